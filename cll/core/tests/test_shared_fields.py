"""Forms whose instances share their fields (cll/core/forms.py), and the skeleton the form
renderer keeps of such a form's fields (cll/core/formrender.py: ``form_fields``).

The profile form is the one that uses them: it is built and shown on every visit of the profile
page. Sharing must never let one request see another's changes or values, and the skeleton must
write exactly what the template writes, for every language and value.
"""

from __future__ import annotations

import datetime
import threading

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template.loader import render_to_string
from django.utils import translation

from cll.accounts.forms import ChildProfileForm, ProfileForm
from cll.core import formrender
from cll.core.formrender import FormRenderer
from cll.core.forms import SharedFieldsForm

# Markup, quotes and non-ASCII: written escaped, never kept.
HOSTILE = "\"><script>alert(1)</script> & l'été"

VALUES = [
    {},
    {
        "first_name": HOSTILE,
        "last_name": "Ærøskøbing",
        "street": "Rue de l'Église 1",
        "postcode": "1348",
        "city": "Louvain-la-Neuve",
        "country": "BE",
        "phone": "+3210470000",
        "native_language": "nl",
        "learning_languages": "fr, en",
        "level": "B1",
        "objectives": f"Line one\n{HOSTILE}",
        "birth_date": datetime.date(1990, 2, 3),
        "other_details": "",
        "recommendations_enabled": False,
    },
    {"country": "NL", "level": "C2", "recommendations_enabled": True, "birth_date": "1990-02-03"},
]


def _fields(form_class=ProfileForm, *, initial=None, renderer=None) -> str:
    form = form_class(initial=initial or {}, renderer=renderer)
    return render_to_string("accounts/includes/form_fields.html", {"form": form})


def _snapshot(form: forms.Form) -> dict:
    """What a change to a field would show: every attribute of each field and its widget."""
    return {
        name: (dict(vars(field)), dict(vars(field.widget)), dict(field.widget.attrs))
        for name, field in form.fields.items()
    }


# -- Shared fields ----------------------------------------------------------------------------


def test_instances_share_their_languages_fields():
    with translation.override("fr"):
        first, second = ProfileForm(), ProfileForm()
        french_countries = dict(first.fields["country"].choices)
    with translation.override("nl"):
        dutch = ProfileForm()
        dutch_countries = dict(dutch.fields["country"].choices)
    for name in first.fields:
        assert first.fields[name] is second.fields[name]
        assert first.fields[name] is not dutch.fields[name]
    # Each language's copy was adapted once, in its language.
    assert french_countries["BE"] == "Belgique"
    assert dutch_countries["BE"] == "België"


def test_each_instance_has_its_own_list_of_fields():
    first, second = ProfileForm(), ProfileForm()
    del first.fields["phone"]
    assert "phone" in second.fields
    assert "phone" in ProfileForm().fields


@pytest.mark.django_db
def test_showing_and_validating_the_form_changes_no_shared_field():
    with translation.override("fr"):
        before = _snapshot(ProfileForm())
        for initial in VALUES:
            _fields(initial=initial)
            _fields(initial=initial)
        valid = ProfileForm({"first_name": "Zoé", "last_name": "Peeters", "country": "BE"})
        assert valid.is_valid(), valid.errors
        invalid = ProfileForm({"first_name": "<b>", "last_name": "", "birth_date": "3000-01-01"})
        assert not invalid.is_valid()
        render_to_string("accounts/includes/form_fields.html", {"form": invalid})
        assert _snapshot(ProfileForm()) == before


def test_a_form_that_does_not_share_still_copies_its_fields():
    first, second = ChildProfileForm(), ChildProfileForm()
    assert not getattr(first, "fields_shared", False)
    assert all(first.fields[name] is not second.fields[name] for name in first.fields)
    assert dict(first.fields["country"].choices)["BE"]


def test_a_changed_setting_gives_fresh_copies(settings):
    before = ProfileForm().fields["first_name"]
    settings.DIGITAL_CONSENT_AGE = 14
    assert ProfileForm().fields["first_name"] is not before


def test_threads_of_two_languages_each_get_their_own():
    seen: dict[str, str] = {}

    def show(language: str) -> None:
        with translation.override(language):
            for _ in range(50):
                seen[language] = dict(ProfileForm().fields["country"].choices)["DE"]

    threads = [threading.Thread(target=show, args=(code,)) for code in ("fr", "nl", "en")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"fr": "Allemagne", "nl": "Duitsland", "en": "Germany"}


# -- The skeleton of a shared form's fields ----------------------------------------------


@pytest.fixture
def written(monkeypatch) -> list[bool]:
    """Per form_fields call: whether the fields came from a kept skeleton."""
    calls: list[bool] = []
    original = formrender._Skeleton.write

    def write(self, renderer, form):
        calls.append(True)
        return original(self, renderer, form)

    monkeypatch.setattr(formrender._Skeleton, "write", write)
    return calls


@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_the_skeleton_writes_what_the_template_writes(language, written):
    renderer = FormRenderer()
    with translation.override(language):
        for initial in [*VALUES, *reversed(VALUES)]:
            expected = _fields(initial=initial, renderer=DjangoTemplates())
            assert _fields(initial=initial, renderer=renderer) == expected
    # The first form was written by the template, every later one from its skeleton.
    assert len(written) == 2 * len(VALUES) - 1
    assert len(renderer._skeletons) == 1


def test_the_skeleton_keeps_no_value(written):
    renderer = FormRenderer()
    marker = "Personal-9d2e"
    html = _fields(initial={"first_name": marker, "objectives": marker}, renderer=renderer)
    assert html.count(marker) == 2
    (skeleton,) = renderer._skeletons.values()
    kept = "".join(before for before, _slot in skeleton.parts) + skeleton.tail
    assert marker not in kept
    later = _fields(initial={"first_name": "Zoé"}, renderer=renderer)
    assert written and marker not in later and "Zoé" in later


def test_a_form_with_errors_is_written_by_the_template(written):
    renderer = FormRenderer()
    _fields(renderer=renderer)
    form = ProfileForm({"first_name": "", "last_name": "Peeters"}, renderer=renderer)
    html = render_to_string("accounts/includes/form_fields.html", {"form": form})
    expected = render_to_string(
        "accounts/includes/form_fields.html",
        {"form": ProfileForm({"first_name": "", "last_name": "Peeters"})},
    )
    assert html == expected
    assert 'class="form-errors"' in html and "field--error" in html
    assert written == []


class _WithHidden(SharedFieldsForm, forms.Form):
    name = forms.CharField()
    next = forms.CharField(widget=forms.HiddenInput)


class _NotShared(forms.Form):
    name = forms.CharField()


@pytest.mark.parametrize("form_class", [_WithHidden, _NotShared])
def test_other_forms_are_written_by_the_template(form_class, written):
    renderer = FormRenderer()
    for value in ("one", "two"):
        html = _fields(form_class, initial={"name": value, "next": value}, renderer=renderer)
        assert html == _fields(form_class, initial={"name": value, "next": value})
        assert f'value="{value}"' in html
    assert written == []
    assert all(skeleton is None for skeleton in renderer._skeletons.values())


def test_a_value_the_skeleton_cannot_write_is_written_by_django(written, monkeypatch):
    renderer = FormRenderer()
    _fields(renderer=renderer)  # the skeleton, from the template

    def unsupported(value):
        raise formrender._Unsupported

    monkeypatch.setattr(formrender, "_input_value", unsupported)
    initial = {"first_name": HOSTILE, "city": "Namur"}
    assert _fields(initial=initial, renderer=renderer) == _fields(
        initial=initial, renderer=DjangoTemplates()
    )
    assert written == [True]
