"""Fixtures of the erasure tests: a journal of their own, and a learner with data everywhere."""

from __future__ import annotations

import datetime

import pytest
from allauth.account.models import EmailAddress

from cll.accounts.models import LearnerProfile


@pytest.fixture(autouse=True)
def journal(tmp_path, settings):
    """Each test writes its own erasure journal, outside the (test) database."""
    settings.ERASURE_JOURNAL = tmp_path / "journal" / "erasure-journal.jsonl"
    return settings.ERASURE_JOURNAL


# Values of the person that must not survive erasure anywhere in the database. Each is long or
# unusual enough that ciphertext, hashes or random ids cannot contain it by chance.
PERSON = {
    "email": "nadia.verhoeven@example.org",
    "first_name": "Nadiaxq",
    "last_name": "Verhoeven-Ostyn",
    "phone": "+3210470099",
    "street": "Rue des Wallons 12",
    "postcode": "B-1348",
    "city": "Louvain-la-Neuve",
}


@pytest.fixture
def nadia(db, django_user_model):
    """A learner with a profile (name, address, phone) and a verified address."""
    from conftest import PASSWORD

    user = django_user_model.objects.create_user(email=PERSON["email"], password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    LearnerProfile.objects.create(
        user=user,
        first_name=PERSON["first_name"],
        last_name=PERSON["last_name"],
        phone=PERSON["phone"],
        street=PERSON["street"],
        postcode=PERSON["postcode"],
        city=PERSON["city"],
        country="BE",
        birth_date=datetime.date(1990, 4, 2),
    )
    return user
