"""Erasing a person, for code that may not import the erasure app.

Retention rules erase people (an account nobody used for years, a registration never
confirmed); the accounts app applies them but sits below the erasure app, which erases by the
data map and itself uses accounts. So the erasure app installs its engine here at start-up
(``person_erase.install`` in its ready()), and the accounts' pruners call
``person_erase(subject=..., reason=..., actor=None)``: one erasure path for the whole project, no
import cycle. Without an eraser installed, erasing raises.
"""

from cll.lib.hooks import Hook

person_erase = Hook(
    missing="No eraser: the erasure app (cll.erasure) must be installed to erase people."
)
