"""Writes of the shop: the cart's order, its payment outcome, cancellations.

Contracts used by the other parts of the shop (payments/, invoices.py, waitlist.py, staff):

- ``order_place(*, buyer, lines, language, terms_version, early_start_requested) -> Order``:
  one transaction; locks the sessions' rows, refuses a session without a free seat
  (``SeatsUnavailable``), holds the seats until ``hold_until``; prices from the database.
- ``order_mark_paid(*, order, paid_at) -> bool``: idempotent (False when already paid);
  enrolments, invoice (``invoices.invoice_issue``), confirmation e-mail, audit — one
  transaction. A payment confirmed after the order was cancelled still enrols when seats are
  free, otherwise the payment is refunded (``payments.services``).
- ``order_mark_unpaid(*, order, reason) -> bool``: a failed, cancelled or expired payment;
  idempotent; releases the seats (and lets ``waitlist.waitlist_offer_next`` offer them).
- ``order_refunded(*, order, refund) -> None``: after a refund of the whole order succeeded:
  enrolments cancelled, credit note issued (``invoices.credit_note_issue``).
"""
