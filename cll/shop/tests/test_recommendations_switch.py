"""The learner's switch for suggestions: on by default, offered on the profile form with what
it does, classified in the data map under the "recommendations" purpose."""

from __future__ import annotations

import pytest
from django.utils import translation

from cll.accounts.forms import ProfileForm
from cll.accounts.models import LearnerProfile
from cll.privacy import datamap

DATA = {"first_name": "Alice", "last_name": "Lambert"}


def test_it_is_on_by_default():
    assert LearnerProfile._meta.get_field("recommendations_enabled").default is True
    assert ProfileForm().fields["recommendations_enabled"].initial is True


@pytest.mark.parametrize(
    ("posted", "value"), [({"recommendations_enabled": "on"}, True), ({}, False)]
)
def test_it_is_a_choice_on_the_profile_form(posted, value):
    form = ProfileForm({**DATA, **posted})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["recommendations_enabled"] is value


def test_it_says_what_it_does():
    with translation.override("fr"):
        field = ProfileForm().fields["recommendations_enabled"]
        assert str(field.label) == "Me suggérer des sessions"
        assert "Décochez pour arrêter" in str(field.help_text)


def test_it_is_declared_in_the_data_map():
    rule = datamap.rule_for(LearnerProfile, "recommendations_enabled")
    assert rule.purposes == ("recommendations",)
    assert rule.basis == datamap.Basis.LEGITIMATE_INTEREST
    assert "recommendations" in datamap.PURPOSES
