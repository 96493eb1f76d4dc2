# ruff: noqa: RUF001 -- the French texts use the typographic apostrophe.
"""The sandbox's test-mode payment page and the return page it sends the buyer back to."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cll.shop.models import Enrolment, Order, OrderStatus, PaymentStatus, ProviderEvent
from cll.shop.payments import sandbox
from cll.shop.payments.services import payment_start
from cll.shop.tests.recordings.loopback import make_order

pytestmark = pytest.mark.django_db

TEST_MODE = {
    "fr": "Mode test — aucun argent n’est débité.",
    "en": "Test mode — no money is moved.",
    "nl": "Testmodus — er wordt geen geld verplaatst.",
}


def _started(rf, user, **order):
    request = rf.get("/")
    request.user = user
    url = payment_start(order=make_order(user, **order), request=request)
    payment = Order.objects.get(buyer=user).payments.get()
    return url, payment


def test_it_sends_the_buyer_to_the_sandbox_page(rf, alice):
    url, payment = _started(rf, alice)

    assert url == reverse("shop:sandbox_pay", kwargs={"ref": payment.provider_ref})
    assert payment.provider == "sandbox"
    assert payment.amount_cents == 39000
    assert payment.status == PaymentStatus.OPEN


@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_it_shows_test_mode_in_each_language(client, rf, alice, language):
    _url, payment = _started(rf, alice)
    client.force_login(alice)

    response = client.get(f"/{language}/shop/pay/sandbox/{payment.provider_ref}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert TEST_MODE[language] in page
    assert payment.order.reference in page
    assert page.count('name="outcome"') == 4


def test_it_asks_for_a_login(client, rf, alice):
    url, _payment = _started(rf, alice)

    response = client.get(url)

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_it_shows_nothing_to_a_stranger(client, rf, alice, charlie):
    url, payment = _started(rf, alice)
    client.force_login(charlie)

    assert client.get(url).status_code == 404
    assert client.post(url, {"outcome": "pay"}).status_code == 404
    return_url = reverse("shop:payment_return", kwargs={"public_id": payment.public_id})
    assert client.get(return_url).status_code == 404
    retry_url = reverse("shop:payment_retry", kwargs={"public_id": payment.public_id})
    assert client.post(retry_url).status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.OPEN


def test_it_pays_and_comes_back_to_a_confirmation(client, rf, alice):
    url, payment = _started(rf, alice)
    client.force_login(alice)

    response = client.post(url, {"outcome": "pay"})

    return_url = reverse("shop:payment_return", kwargs={"public_id": payment.public_id})
    assert response["Location"] == return_url
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert Enrolment.objects.filter(learner=alice).count() == 1
    page = client.get(return_url).content.decode()
    assert "votre commande" in page and payment.order.reference in page
    assert 'role="status"' in page


def test_it_fails_and_offers_to_order_again(client, rf, alice):
    url, payment = _started(rf, alice)
    client.force_login(alice)

    client.post(url, {"outcome": "fail"})

    page = client.get(
        reverse("shop:payment_return", kwargs={"public_id": payment.public_id})
    ).content.decode()
    assert "Le paiement n’a pas abouti. Aucun montant n’a été débité." in page
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.CANCELLED
    assert not Enrolment.objects.exists()
    assert reverse("courses:session_list") in page


def test_it_confirms_a_slow_payment_once_it_settles(client, rf, alice):
    url, payment = _started(rf, alice)
    client.force_login(alice)
    return_url = reverse("shop:payment_return", kwargs={"public_id": payment.public_id})

    client.post(url, {"outcome": "slow"})
    pending = client.get(return_url).content.decode()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert 'http-equiv="refresh"' in pending
    with time_machine.travel(timezone.now() + sandbox.SETTLE_AFTER, tick=False):
        settled = client.get(return_url).content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert 'http-equiv="refresh"' not in settled
    assert Enrolment.objects.filter(learner=alice).count() == 1
    # One notice only ("pending"): the confirmation came from asking the sandbox.
    assert list(ProviderEvent.objects.values_list("kind", flat=True)) == ["payment.pending"]


def test_it_answers_a_payment_once(client, rf, alice):
    url, payment = _started(rf, alice)
    client.force_login(alice)

    client.post(url, {"outcome": "pay"})
    client.post(url, {"outcome": "fail"})

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert ProviderEvent.objects.count() == 1
    assert "déjà" in client.get(url).content.decode()


def test_it_refuses_an_unknown_button(client, rf, alice):
    url, _payment = _started(rf, alice)
    client.force_login(alice)

    response = client.post(url, {"outcome": "refund-me-twice"})

    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()


def test_it_lets_the_buyer_try_again_with_a_new_payment(client, rf, alice):
    _url, payment = _started(rf, alice)
    client.force_login(alice)
    return_url = reverse("shop:payment_return", kwargs={"public_id": payment.public_id})
    # Back from the provider's page without paying: the payment is still open.
    page = client.get(return_url).content.decode()
    assert reverse("shop:payment_retry", kwargs={"public_id": payment.public_id}) in page

    response = client.post(reverse("shop:payment_retry", kwargs={"public_id": payment.public_id}))

    second = Order.objects.get(pk=payment.order_id).payments.exclude(pk=payment.pk).get()
    assert response["Location"] == reverse("shop:sandbox_pay", kwargs={"ref": second.provider_ref})


def test_it_is_absent_in_production(client, rf, alice, settings):
    url, _payment = _started(rf, alice)
    client.force_login(alice)
    settings.PRODUCTION = True

    assert client.get(url).status_code == 404
    webhook = reverse("shop:payment_webhook", kwargs={"provider": "sandbox"})
    assert client.post(webhook, b"{}", content_type="application/json").status_code == 404


def test_it_says_why_it_cannot_try_again(client, rf, alice):
    _url, payment = _started(rf, alice)
    client.force_login(alice)
    Order.objects.filter(pk=payment.order_id).update(hold_until=timezone.now())

    response = client.post(
        reverse("shop:payment_retry", kwargs={"public_id": payment.public_id}), follow=True
    )

    assert "Le délai pour payer cette commande est dépassé" in response.content.decode()
    assert Order.objects.get(pk=payment.order_id).payments.count() == 1


def test_it_asks_for_a_login_to_come_back_or_try_again(client, rf, alice):
    _url, payment = _started(rf, alice)

    for response in (
        client.get(reverse("shop:payment_return", kwargs={"public_id": payment.public_id})),
        client.post(reverse("shop:payment_retry", kwargs={"public_id": payment.public_id})),
    ):
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_it_refunds_a_payment_confirmed_after_the_seats_were_gone(
    client, rf, alice, charlie, django_capture_on_commit_callbacks
):
    from cll.courses.models import Session
    from cll.shop import tasks
    from cll.shop.services import order_mark_unpaid

    url, payment = _started(rf, alice)
    client.force_login(alice)
    order = payment.order
    # The hold ran out and the order was cancelled; the session then filled up.
    order_mark_unpaid(order=order, reason="expired")
    session = Session.objects.get(order_lines__order=order)
    Session.objects.filter(pk=session.pk).update(capacity=1)
    Enrolment.objects.create(session=session, learner=charlie)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(url, {"outcome": "pay"})
    assert len(queued) == 1
    assert tasks.payment_refund_unplaced.call(str(payment.public_id)) == "refunded"
    # Run twice (a retried task): refunded once.
    assert tasks.payment_refund_unplaced.call(str(payment.public_id)) == "nothing to refund"

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.refunded_cents == payment.amount_cents
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert not Enrolment.objects.filter(learner=alice).exists()
    page = client.get(
        reverse("shop:payment_return", kwargs={"public_id": payment.public_id})
    ).content.decode()
    assert "Nous vous remboursons la totalité du montant" in page
