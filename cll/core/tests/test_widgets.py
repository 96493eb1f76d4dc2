"""The Python-written widgets give exactly the HTML of Django's templates."""

from __future__ import annotations

import pytest
from django import forms

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
