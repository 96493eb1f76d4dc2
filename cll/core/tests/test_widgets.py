"""The Python-written widgets give exactly the HTML of Django's templates."""

from __future__ import annotations

import copy

import pytest
from django import forms
from django.utils.choices import normalize_choices

from cll.core.choices import FixedChoices
from cll.core.widgets import Select

CHOICES = [
    ("", "—"),
    ("BE", "Belgique"),
    ("FR", 'France <& "Outre-mer">'),
    ("Pays voisins", [("NL", "Pays-Bas"), ("DE", "Allemagne")]),
    (3, "Trois"),
]


@pytest.mark.parametrize("value", [None, "", "BE", "NL", 3, "<script>"])
@pytest.mark.parametrize(
    "attrs", [{}, {"autocomplete": "country", "required": True, "disabled": False, "x": '"q"'}]
)
def test_it_writes_the_same_select_as_django(value, attrs):
    ours = Select(attrs=attrs, choices=CHOICES).render("country", value, attrs={"id": "id_c"})
    django = forms.Select(attrs=attrs, choices=CHOICES).render(
        "country", value, attrs={"id": "id_c"}
    )
    assert str(ours) == str(django)


def test_a_form_field_renders_with_it_as_with_django():
    class Form(forms.Form):
        ours = forms.ChoiceField(choices=CHOICES, widget=Select)
        theirs = forms.ChoiceField(choices=CHOICES)

    form = Form(data={"ours": "FR", "theirs": "FR"})
    assert str(form["ours"]).replace("ours", "x") == str(form["theirs"]).replace("theirs", "x")


def test_fixed_choices_write_the_same_select_once_per_selection():
    choices = FixedChoices([("", "—"), ("BE", "Belgique"), ("FR", "France"), ("NL", "Pays-Bas")])
    assert normalize_choices(choices) is choices
    assert copy.deepcopy(choices) is choices
    field = forms.ChoiceField(choices=choices, required=False, widget=Select())
    plain = forms.ChoiceField(choices=list(choices), required=False, widget=forms.Select())
    for value in ("", "FR", "NL", "FR", "XX"):
        ours = field.widget.render("country", value)
        django_s = plain.widget.render("country", value)
        assert ours == django_s
    assert set(choices.written) == {
        (("",), False),
        (("FR",), False),
        (("NL",), False),
        (("XX",), False),
    }
    assert field.valid_value("BE") and not field.valid_value("XX")
