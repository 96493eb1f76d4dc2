"""The cart, kept in the visitor's Django session.

Strictly necessary: the session cookie that carries it is declared for this use in the cookie
registry (cll/consent/registry.py), and the policy says so ("cookies ... to remember and process
the items in the shopping cart"). Nothing is stored in the database beyond the session row.

What a line holds: the session's public slug and who attends it ("" for the buyer, or a child's
public id). Nothing else: titles, prices and free seats are read from the database whenever the
cart is shown and again at checkout, so a cart can never carry a tampered price or quantity (a
line is one seat for one learner).

It survives sign-in and registration: Django's ``login()`` keeps the session's data when it
changes the session key (``cycle_key``), so what a visitor put in the cart is there once they
have signed in. Signing out flushes the session, the cart with it (a shared computer keeps
nothing). An expired session takes its cart with it; the checkout then says the cart is empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.sessions.backends.base import SessionBase

SESSION_KEY = "shop.cart"
# A cart is for a family's enrolments, not a stock: a bound keeps the session row small.
MAX_LINES = 10

_SLUG = re.compile(r"^[a-z0-9-]{1,96}$")
_LEARNER = re.compile(r"^([0-9a-f-]{36})?$")


class CartFull(Exception):
    """The cart already holds ``MAX_LINES`` lines."""


@dataclass(frozen=True)
class CartItem:
    session_slug: str
    # "" for the buyer themself, else the public id of one of their children.
    learner: str = ""

    @property
    def key(self) -> str:
        """Identifies the line in forms (remove): the slug and who, both public."""
        return f"{self.session_slug}.{self.learner or 'self'}"


def _stored(session: SessionBase) -> list[CartItem]:
    raw = session.get(SESSION_KEY)
    items: list[CartItem] = []
    if not isinstance(raw, list):
        return items
    for entry in raw:
        # Written by this module only; still, a malformed entry is dropped, never trusted.
        if (
            isinstance(entry, list)
            and len(entry) == 2
            and all(isinstance(part, str) for part in entry)
            and _SLUG.match(entry[0])
            and _LEARNER.match(entry[1])
        ):
            item = CartItem(entry[0], entry[1])
            if item not in items:
                items.append(item)
    return items[:MAX_LINES]


def _store(session: SessionBase, items: list[CartItem]) -> None:
    if items:
        session[SESSION_KEY] = [[item.session_slug, item.learner] for item in items]
    else:
        session.pop(SESSION_KEY, None)


def cart_items(session: SessionBase) -> list[CartItem]:
    """The cart's lines, in the order they were added."""
    return _stored(session)


def cart_count(session: SessionBase) -> int:
    return len(_stored(session))


def cart_add(session: SessionBase, *, session_slug: str, learner: str = "") -> bool:
    """Add one seat in ``session_slug`` for ``learner``; False when that line is already in the
    cart (a learner needs one seat per session). Raises ``CartFull`` past ``MAX_LINES`` and
    ``ValueError`` for a malformed slug or learner (callers resolve both first)."""
    if not _SLUG.match(session_slug) or not _LEARNER.match(learner):
        raise ValueError("Malformed cart line.")
    items = _stored(session)
    item = CartItem(session_slug, learner)
    if item in items:
        return False
    if len(items) >= MAX_LINES:
        raise CartFull
    _store(session, [*items, item])
    return True


def cart_remove(session: SessionBase, *, keys: set[str]) -> int:
    """Remove the lines whose key is in ``keys``; returns how many went."""
    items = _stored(session)
    kept = [item for item in items if item.key not in keys]
    _store(session, kept)
    return len(items) - len(kept)


def cart_clear(session: SessionBase) -> None:
    _store(session, [])
