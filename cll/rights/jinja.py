"""Template helpers of the privacy page (found by cll.core.jinja.environment).

``optional_url(name)``: the privacy page links to erasure and to the formal request only when
the apps serving them are installed (the kernel's helper, ``cll/privacy/jinja.py``).
"""

from __future__ import annotations

from cll.privacy.jinja import optional_url

GLOBALS = {"optional_url": optional_url}
