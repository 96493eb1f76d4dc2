"""The form renderer (cll/core/formrender.py) writes exactly the HTML of Django's templates.

Every form the project's views show — ours, allauth's, the admin's — is rendered empty, bound
with valid data and bound with invalid data, once through Django's own renderer and once
through ours, and every piece a template can ask for (the whole form in each layout, each
field's group, widget, label, legend, errors, hidden input, each radio or checkbox, and the
site's own field list) must be the same string.
"""

from __future__ import annotations

import datetime
import difflib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django import forms
from django.contrib import admin
from django.forms.renderers import BaseRenderer, DjangoTemplates, get_default_renderer
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from cll.core import formrender
from cll.core.formrender import TEMPLATES, WRITERS, FormRenderer
from cll.core.widgets import Select
from cll.lib.formfields import BoundedDateField
from conftest import staff_login

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-7-Battery"


def _pieces(form: forms.Form) -> dict[str, str]:
    """Everything of ``form`` a template can render, by name."""
    pieces = {
        "as_div": form.as_div(),
        "as_p": form.as_p(),
        "as_table": form.as_table(),
        "as_ul": form.as_ul(),
        "non_field_errors": str(form.non_field_errors()),
        # The site's own field list (accounts and allauth pages include it).
        "form_fields.html": render_to_string("accounts/includes/form_fields.html", {"form": form}),
    }
    for bound in form:
        pieces[f"{bound.name}: group"] = bound.as_field_group()
        pieces[f"{bound.name}: widget"] = str(bound)
        pieces[f"{bound.name}: label"] = bound.label_tag()
        pieces[f"{bound.name}: legend"] = bound.legend_tag()
        pieces[f"{bound.name}: errors"] = str(bound.errors)
        pieces[f"{bound.name}: hidden"] = bound.as_hidden()
        if isinstance(bound.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            for index, choice in enumerate(bound):
                pieces[f"{bound.name}: choice {index}"] = str(choice)
    return pieces


def _assert_same(make: Callable[[BaseRenderer], forms.Form]) -> tuple[forms.Form, forms.Form]:
    theirs, ours = make(DjangoTemplates()), make(FormRenderer())
    _same_pieces(theirs, ours)
    return theirs, ours


@pytest.fixture
def fallbacks(monkeypatch) -> list[str]:
    """The templates our renderer handed to Django's engine (Django's own renderer excluded)."""
    names: list[str] = []
    original = BaseRenderer.render

    def render(self, template_name, context, request=None):
        if isinstance(self, FormRenderer):
            names.append(template_name)
        return original(self, template_name, context, request=request)

    monkeypatch.setattr(BaseRenderer, "render", render)
    return names


# -- The project's forms ------------------------------------------------------------------------


# Django's templates no page of the site uses, left to Django: the other form layouts and the
# hidden inputs of a multiple choice (BoundField.as_hidden).
NOT_WRITTEN = {
    "django/forms/p.html",
    "django/forms/table.html",
    "django/forms/ul.html",
    "django/forms/widgets/multiple_hidden.html",
}


@dataclass
class Case:
    name: str
    # (world, data or None, renderer) → the form
    make: Callable[..., forms.Form]
    valid: dict
    invalid: dict


def _form(path: str) -> type[forms.Form]:
    module, _, name = path.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


def _plain(path: str, **kwargs) -> Callable[..., forms.Form]:
    return lambda world, data, renderer: _form(path)(data, renderer=renderer, **kwargs)


TODAY = timezone.localdate()
PROFILE_VALID = {
    "first_name": "Zoé",
    "last_name": "D'Hondt",
    "street": "Rue de l'Église 4",
    "postcode": "1348",
    "city": "Louvain-la-Neuve",
    "country": "BE",
    "phone": "+32 10 12 34 56",
    "native_language": "français",
    "learning_languages": "néerlandais",
    "level": "B1",
    "objectives": 'Parler <au travail> & "en réunion"',
    "birth_date": "1990-04-01",
    "other_details": "",
}
PROFILE_INVALID = {
    "first_name": "<script>alert(1)</script>",
    "last_name": "",
    "postcode": "99",
    "country": "XX",
    "phone": "not a phone",
    "level": "Z9",
    "birth_date": "1800-01-01",
    "objectives": "x" * 2001,
}

CASES = [
    Case(
        "accounts.ProfileForm",
        _plain("cll.accounts.forms.ProfileForm"),
        PROFILE_VALID,
        PROFILE_INVALID,
    ),
    Case(
        "accounts.SignupForm (our fields)",
        _plain("cll.accounts.forms.SignupForm"),
        {**PROFILE_VALID, "birth_date": "", "age_confirmed": "on"},
        {**PROFILE_INVALID, "birth_date": ""},
    ),
    Case(
        "accounts.ChildProfileForm",
        _plain("cll.accounts.forms.ChildProfileForm"),
        {**PROFILE_VALID, "birth_date": "2018-06-01"},
        PROFILE_INVALID,
    ),
    Case(
        "accounts.AccountDeleteForm",
        lambda world, data, renderer: _form("cll.accounts.forms.AccountDeleteForm")(
            data, user=world.user, renderer=renderer
        ),
        {"password": PASSWORD},
        {"password": "wrong"},
    ),
    Case(
        "accounts.AccountReactivateForm",
        _plain("cll.accounts.forms.AccountReactivateForm"),
        {"email": "sleeping@example.org", "password": PASSWORD},
        {"email": "not an address", "password": ""},
    ),
    Case(
        "accounts.ParentEmailForm",
        _plain("cll.accounts.forms.ParentEmailForm"),
        {"parent_email": "parent@example.org"},
        {"parent_email": "parent@"},
    ),
    Case(
        "accounts.HandoverForm",
        _plain("cll.accounts.forms.HandoverForm"),
        {"email": "child@example.org", "password1": PASSWORD, "password2": PASSWORD},
        {"email": "child@example.org", "password1": PASSWORD, "password2": "other"},
    ),
    Case(
        "accounts.LearnerSearchForm",
        _plain("cll.accounts.forms.LearnerSearchForm"),
        {"email": "alice@example.org"},
        {"email": "x" * 300},
    ),
    Case(
        "erasure.ErasureConfirmForm (with children)",
        lambda world, data, renderer: _form("cll.erasure.forms.ErasureConfirmForm")(
            data, user=world.user, wards_erased=2, renderer=renderer
        ),
        {"password": PASSWORD, "confirm_wards": "on"},
        {"password": PASSWORD},
    ),
    Case(
        "dsar.RequestForm",
        _plain("cll.dsar.forms.RequestForm"),
        {"type": "access", "email": "alice@example.org", "details": "Tout <svp>"},
        {"type": "teleport", "email": "alice"},
    ),
    Case(
        "dsar.StaffRequestForm",
        _plain("cll.dsar.forms.StaffRequestForm"),
        {
            "type": "erasure",
            "email": "alice@example.org",
            "channel": "email",
            "received_on": TODAY.isoformat(),
            "language": "nl",
            "identity_verified": "on",
        },
        {"type": "access", "channel": "pigeon", "received_on": "2017-01-01", "language": "xx"},
    ),
    Case(
        "dsar.ExtendForm",
        _plain("cll.dsar.forms.ExtendForm"),
        {"months": "2", "reason": "Beaucoup de demandes"},
        {"months": "7", "reason": ""},
    ),
    Case(
        "dsar.RejectForm",
        _plain("cll.dsar.forms.RejectForm"),
        {"reason": "Manifestement infondée"},
        {"reason": ""},
    ),
    Case(
        "dsar.FulfilForm (objection)",
        lambda world, data, renderer: _form("cll.dsar.forms.FulfilForm")(
            data, objection=True, renderer=renderer
        ),
        {"note": "Fait", "purpose": "marketing"},
        {"purpose": "nothing"},
    ),
    Case(
        "rights.RestrictionForm",
        _plain("cll.rights.forms.RestrictionForm"),
        {"reason": "Je conteste l'exactitude <de mes données>"},
        {"reason": "x" * 1001},
    ),
    Case(
        "rights.ObjectionForm",
        _plain("cll.rights.forms.ObjectionForm"),
        {"purpose": "marketing"},
        {"purpose": ""},
    ),
    Case(
        "courses.SessionFilterForm",
        lambda world, data, renderer: _form("cll.courses.forms.SessionFilterForm")(
            data, languages=world.languages, sites=world.sites, renderer=renderer
        ),
        {"language": "en", "level": "B1", "format": "", "site": "woluwe"},
        {"language": "tlh", "level": "Z9"},
    ),
    Case(
        "analytics.DateRangeForm",
        _plain("cll.analytics.forms.DateRangeForm"),
        {"start": "2026-01-01", "end": "2026-01-31"},
        {"start": "2026-02-01", "end": "2026-01-01"},
    ),
    Case(
        "consent.ConsentForm",
        _plain("cll.consent.forms.ConsentForm"),
        {"action": "custom", "categories": ["analytics"], "source": "banner", "next": "/fr/"},
        {"action": "everything", "categories": ["tracking"], "source": "?"},
    ),
    Case(
        "consent.TagConfigurationForm",
        _plain("cll.consent.forms.TagConfigurationForm"),
        {"ga4_measurement_id": "g-abc123", "google_signals": "on"},
        {"ga4_measurement_id": "<b>not an id</b>"},
    ),
    Case(
        "breaches.BreachForm",
        _plain("cll.breaches.forms.BreachForm"),
        {
            "title": "Lost laptop",
            "detected_at": f"{TODAY.isoformat()}T00:00",
            "nature": "A laptop was stolen.",
            "data_categories": ["identity", "contact"],
            "people_categories": "learners",
            "people_count": "12",
            "records_count": "40",
            "authority_notification": "not_required",
            "people_notification": "not_required",
            "decision_reasons": "Encrypted disk.",
        },
        {"title": "", "detected_at": "3000-01-01T00:00", "people_count": "-1"},
    ),
    Case(
        "breaches.BreachNoticeForm",
        _plain("cll.breaches.forms.BreachNoticeForm"),
        {"audience": "all_learners", "subject": "Incident", "body": "Bonjour, ..."},
        {"audience": "listed", "public_ids": "not-a-uuid", "subject": "", "body": ""},
    ),
    Case(
        "policies.PolicyVersionForm",
        _plain("cll.policies.forms.PolicyVersionForm"),
        {"kind": "privacy", "version": "2099-01", "body_fr": "Texte"},
        {"kind": "privacy", "version": "-bad label-", "affects_existing_processing": "on"},
    ),
    Case(
        "policies.PolicyAcceptForm",
        lambda world, data, renderer: _form("cll.policies.forms.PolicyAcceptForm")(
            data, version=world.policy_version, renderer=renderer
        ),
        {"purposes": []},
        {"purposes": ["no-such-purpose"]},
    ),
    Case(
        "policies.PurposeChoiceForm",
        lambda world, data, renderer: _form("cll.policies.forms.PurposeChoiceForm")(
            data, keys=["a", "b"], renderer=renderer
        ),
        {"purpose": "a", "opted_in": "1"},
        {"purpose": "c", "opted_in": "maybe"},
    ),
]


@pytest.fixture
def world(alice):
    from cll.courses.tests.factories import make_language, make_site
    from cll.privacy import datamap

    alice.set_password(PASSWORD)
    alice.save(update_fields=["password"])
    # Deactivated: the one person the reactivation form lets in.
    type(alice).objects.create_user(
        email="sleeping@example.org",
        password=PASSWORD,
        is_active=False,
        deactivated_at=timezone.now(),
    )
    return SimpleNamespace(
        user=alice,
        languages=[make_language("en"), make_language("nl")],
        sites=[make_site("louvain-la-neuve"), make_site("woluwe")],
        # What PolicyAcceptForm reads of a version: the consent purposes it adds.
        policy_version=SimpleNamespace(new_consent_purposes=list(datamap.PURPOSES)[:3]),
    )


@pytest.mark.parametrize("language", ["fr", "nl"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_it_renders_every_form_of_the_project_as_django_does(case, language, world, fallbacks):
    with translation.override(language):
        empty, _ = _assert_same(lambda renderer: case.make(world, None, renderer))
        valid, _ = _assert_same(lambda renderer: case.make(world, dict(case.valid), renderer))
        invalid, _ = _assert_same(lambda renderer: case.make(world, dict(case.invalid), renderer))
    assert not empty.is_bound
    assert valid.is_valid(), valid.errors.as_data()
    assert not invalid.is_valid()
    # Written in Python, not handed back to Django's engine.
    assert set(fallbacks) <= NOT_WRITTEN


# -- allauth's and the admin's forms ------------------------------------------------------------


def _allauth_cases(world, request):
    from allauth.account import forms as allauth

    return [
        (
            "LoginForm",
            lambda data, renderer: allauth.LoginForm(data, request=request, renderer=renderer),
            {"login": "alice@example.org", "password": "x"},
            {"login": "", "password": ""},
        ),
        (
            "SignupForm",
            lambda data, renderer: allauth.SignupForm(data, renderer=renderer),
            {
                **PROFILE_VALID,
                "email": "new-person@example.org",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
            {**PROFILE_INVALID, "email": "nope", "password1": "1", "password2": "2"},
        ),
        (
            "ResetPasswordForm",
            lambda data, renderer: allauth.ResetPasswordForm(data, renderer=renderer),
            {"email": "anyone@example.org"},
            {"email": "@"},
        ),
        (
            "ChangePasswordForm",
            lambda data, renderer: allauth.ChangePasswordForm(
                data=data, user=world.user, renderer=renderer
            ),
            {"oldpassword": PASSWORD, "password1": PASSWORD + "!", "password2": PASSWORD + "!"},
            {"oldpassword": "wrong", "password1": "a", "password2": "b"},
        ),
        (
            "AddEmailForm",
            lambda data, renderer: allauth.AddEmailForm(
                data=data, user=world.user, renderer=renderer
            ),
            {"email": "second@example.org"},
            {"email": "second@"},
        ),
    ]


@pytest.mark.parametrize("index", range(5))
def test_it_renders_allauths_forms_as_django_does(index, world, fallbacks):
    request = RequestFactory().post("/")
    request.user = world.user
    request.session = {}
    _name, make, valid, invalid = _allauth_cases(world, request)[index]
    for data in (None, dict(valid), dict(invalid)):
        _assert_same(lambda renderer, data=data: make(data, renderer))
    assert set(fallbacks) <= NOT_WRITTEN


def test_it_renders_every_admin_form_as_django_does(admin_user):
    request = RequestFactory().get("/")
    request.user = admin_user
    with translation.override("fr"):
        for model_admin in admin.site._registry.values():
            form_class = model_admin.get_form(request)
            # Initial values drawn at random (a new session's slug): the same for both.
            initial = {
                name: field.initial() if callable(field.initial) else field.initial
                for name, field in form_class.base_fields.items()
            }
            for data in (None, {}):
                _assert_same(
                    lambda renderer, data=data, form_class=form_class, initial=initial: form_class(
                        data, initial=initial, renderer=renderer
                    )
                )


# -- What the writers cover, and what they leave to Django ---------------------------------------


def test_it_was_written_from_the_installed_djangos_templates():
    renderer = DjangoTemplates()
    for name, text in TEMPLATES.items():
        assert renderer.get_template(name).template.source == text, (
            f"Django's {name} changed: check its writer in cll/core/formrender.py, then its text"
        )
    for name in WRITERS:
        assert FormRenderer()._check(name)


class Everything(forms.Form):
    """Values a template treats in its own ways: markup, safe strings, numbers, groups."""

    required_css_class = "required"
    error_css_class = "error"

    name = forms.CharField(
        label='Nom <b>&</b> "prénom"', help_text="<em>HTML</em> kept as it is", max_length=5
    )
    safe_label = forms.CharField(label=mark_safe("<i>Safe</i>"), required=False)
    no_label = forms.CharField(label="", required=False)
    punctuated = forms.CharField(label="Vraiment ?", required=False)
    amount = forms.DecimalField(initial=1234.5, required=False, localize=True)
    count = forms.IntegerField(initial=1234567, required=False)
    when = forms.DateTimeField(initial=datetime.datetime(2026, 12, 6, 9, 30), required=False)
    grouped = forms.ChoiceField(
        choices=[
            ("", "—"),
            ("Pays voisins", [("NL", "Pays-Bas <NL>"), ("DE", "Allemagne")]),
            (3, 1000),
        ],
        required=False,
    )
    radio = forms.ChoiceField(
        choices=[("Groupe", [("a", "A & B"), ("b", "B")]), ("c", "C")],
        widget=forms.RadioSelect(attrs={"class": "radios", "data-x": '"q"'}),
    )
    boxes = forms.MultipleChoiceField(
        choices=[(1, "un"), (2, "deux")],
        widget=forms.CheckboxSelectMultiple,
        initial=[2],
        required=False,
    )
    many = forms.MultipleChoiceField(choices=[(1, "un"), (2, "deux")], required=False)
    flag = forms.BooleanField(required=False, initial=True)
    nullable = forms.NullBooleanField(required=False)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "hidden": False}))
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    locked = forms.CharField(disabled=True, initial="<locked>", required=False)
    tracked = forms.CharField(show_hidden_initial=True, initial="v", required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=True)
    split = forms.SplitDateTimeField(required=False)
    upload = forms.FileField(required=False)
    attrs = forms.CharField(
        required=False,
        widget=forms.TextInput(
            attrs={"autofocus": True, "spellcheck": False, "maxlength": 10, "data-n": None}
        ),
    )


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "options",
    [{}, {"auto_id": False}, {"prefix": "p"}, {"label_suffix": " :"}, {"auto_id": "x_%s"}],
    ids=["default", "no ids", "prefix", "suffix", "auto_id"],
)
def test_it_writes_what_templates_treat_specially_as_django_does(language, options):
    data = {
        "name": "<script>x</script>",
        "radio": "a",
        "boxes": ["1"],
        "amount": "12,5",
        "text": '"quoted" & <tag>',
        "secret": "s3cr<t",
        "initial-tracked": "v",
        "grouped": "3",
        "many": ["1", "2"],
        "nullable": "true",
    }
    if "prefix" in options:
        data = {f"p-{key}": value for key, value in data.items()}
    with translation.override(language):
        for bound_data in (None, data):
            _assert_same(lambda renderer, d=bound_data: Everything(d, renderer=renderer, **options))


def test_it_leaves_widgets_and_fields_with_their_own_template_to_django(fallbacks):
    class OwnTemplate(forms.TextInput):
        template_name = "django/forms/widgets/textarea.html"  # a template of another widget

    class OwnOption(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    class Form(forms.Form):
        a = forms.CharField(widget=OwnTemplate)
        b = forms.ChoiceField(choices=[("x", "X")], widget=OwnOption)
        c = forms.CharField(template_name="django/forms/p.html")

    _assert_same(lambda renderer: Form({"a": "1"}, renderer=renderer))
    assert "django/forms/widgets/select.html" in fallbacks  # its options use another template
    assert "django/forms/p.html" in fallbacks


def test_it_renders_an_attribute_the_writers_do_not_cover_through_django(fallbacks):
    class Form(forms.Form):
        # The template calls a callable; it reads attrs.items as the key "items" if there is one.
        called = forms.CharField(widget=forms.TextInput(attrs={"data-f": lambda: "<called>"}))
        items = forms.CharField(widget=forms.TextInput(attrs={"items": [("x", "y")]}))

    _, ours = _assert_same(lambda renderer: Form(renderer=renderer))
    assert 'data-f="&lt;called&gt;"' in str(ours["called"])
    assert ' x="y"' in str(ours["items"])
    assert "django/forms/widgets/text.html" in fallbacks


def test_it_falls_back_to_django_when_a_template_is_not_the_text_it_was_written_from(
    monkeypatch, caplog
):
    monkeypatch.setitem(
        formrender.TEMPLATES, "django/forms/widgets/attrs.html", "{# another text #}"
    )
    renderer = FormRenderer()

    class Form(forms.Form):
        a = forms.CharField()

    with caplog.at_level(logging.WARNING, logger="cll.core.formrender"):
        html = Form(renderer=renderer).as_div()
    assert html == Form(renderer=DjangoTemplates()).as_div()
    assert renderer._usable["django/forms/widgets/text.html"] is False
    assert renderer._usable["django/forms/field.html"] is True
    assert "django/forms/widgets/attrs.html" in caplog.text


# -- Whole pages ---------------------------------------------------------------------------------

_PER_RESPONSE = re.compile(r'(name="csrfmiddlewaretoken" value=|nonce=)"[^"]*"')


def _page(client, method: str, url: str, data: dict | None) -> str:
    response = getattr(client, method)(url, data) if data is not None else client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    # The CSRF token and the CSP nonce are drawn for each response.
    return _PER_RESPONSE.sub(r'\1"…"', response.content.decode())


def _same_pages(client, settings, pages) -> None:
    served = {}
    for renderer in ("django.forms.renderers.DjangoTemplates", "cll.core.formrender.FormRenderer"):
        settings.FORM_RENDERER = renderer  # get_default_renderer() is emptied on the change
        assert type(get_default_renderer()) is import_string(renderer)
        served[renderer] = [_page(client, *page) for page in pages]
    for page, theirs, ours in zip(pages, *served.values(), strict=True):
        diff = "\n".join(difflib.unified_diff(theirs.splitlines(), ours.splitlines(), lineterm=""))
        assert ours == theirs, f"{page[1]} differs:\n{diff}"


def test_it_serves_a_learner_the_same_pages_with_either_renderer(client, settings, alice):
    client.force_login(alice)
    _same_pages(
        client,
        settings,
        [
            ("get", reverse("accounts:profile"), None),
            ("post", reverse("accounts:profile"), {"first_name": "<b>", "postcode": "1"}),
            ("get", reverse("rights:home"), None),
            ("get", reverse("erasure:account_delete"), None),
            ("get", reverse("accounts:child_add"), None),
            ("get", reverse("courses:session_list") + "?level=B1", None),
        ],
    )


def test_it_serves_a_visitor_the_same_pages_with_either_renderer(client, settings):
    _same_pages(
        client,
        settings,
        [
            ("get", reverse("account_login"), None),
            ("get", reverse("account_signup"), None),
            ("post", reverse("account_signup"), {"email": "x", "first_name": "<i>"}),
            ("get", reverse("dsar:request_new"), None),
            ("post", reverse("dsar:request_new"), {"type": "?", "email": "@"}),
            ("get", reverse("accounts:parental_consent_start"), None),
        ],
    )


def test_it_serves_staff_the_same_pages_with_either_renderer(client, settings, dora, admin_user):
    from cll.courses.tests.factories import make_session

    staff_login(client, dora)
    session = make_session()
    pages = [
        ("get", reverse("dsar_staff:request_new"), None),
        ("post", reverse("dsar_staff:request_new"), {"type": "access", "received_on": "1"}),
        ("get", reverse("breaches_staff:breach_record"), None),
        ("get", reverse("policies_staff:version_create"), None),
    ]
    _same_pages(client, settings, pages)
    staff_login(client, admin_user)
    admin_pages = [
        ("get", reverse("admin:courses_session_change", args=[session.pk]), None),
        ("get", reverse("admin:courses_language_add"), None),
        ("get", reverse("admin:auth_group_add"), None),
    ]
    _same_pages(client, settings, admin_pages)


# -- cll.core.widgets.Select, written straight from its choices ---------------------------------


class _OwnOptionsMixin:
    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"]["data-own"] = "1"
        return option


PAIRS = {
    "select": (Select, forms.Select),
    "own options": (
        type("Ours", (_OwnOptionsMixin, Select), {}),
        type("Theirs", (_OwnOptionsMixin, forms.Select), {}),
    ),
    "multiple": (
        type("Ours", (Select,), {"allow_multiple_selected": True}),
        type("Theirs", (forms.Select,), {"allow_multiple_selected": True}),
    ),
}


@pytest.mark.parametrize("value", [None, "", "BE", ["BE", 3], 3, '"><script>'])
@pytest.mark.parametrize("pair", PAIRS, ids=list(PAIRS))
def test_it_writes_the_sites_select_as_django_does(pair, value):
    ours, theirs = PAIRS[pair]
    choices = [
        (None, "—"),
        ("BE", gettext_lazy("country")),
        (3, 1000),
        ("Voisins <&>", [("NL", "Pays-Bas"), ("BE", "Belgique bis")]),
    ]
    with translation.override("fr"):
        written = ours(choices=choices, attrs={"required": True}).render("c", value, {"id": "c"})
        expected = theirs(choices=choices, attrs={"required": True}).render("c", value, {"id": "c"})
    assert written == expected
    # Written straight from the choices unless Django's option logic is overridden.
    straight = formrender.select_html(ours(choices=choices), "c", value, {"id": "c"})
    assert (straight is None) == (pair == "own options")


# -- Field groups kept: what does not depend on the value, written once per kind of field -------

# Values a field group must write as Django does: markup and quotes, nothing, empty, non-ASCII.
TRICKY_TEXT = '<b>"Zoé" & l\'été</b> 😀'


def _initial_values(form: forms.Form) -> list[dict]:
    """Initial values for every field of ``form``: tricky text, a selected choice, the other
    choice, None, empty, dates, booleans."""
    tricky, other, nothing, empty = {}, {}, {}, {}
    for name, field in form.fields.items():
        nothing[name], empty[name] = None, ""
        choices = [value for value, _label in getattr(field, "choices", []) if value != ""]
        if isinstance(field, forms.BooleanField):
            tricky[name], other[name] = True, False
        elif isinstance(field, forms.DateTimeField):
            tricky[name] = datetime.datetime(2001, 2, 3, 4, 5, tzinfo=datetime.UTC)
            other[name] = "2001-02-03 04:05"
        elif isinstance(field, forms.DateField):
            tricky[name], other[name] = datetime.date(2001, 2, 3), "2001-02-03"
        elif isinstance(field, forms.IntegerField):
            tricky[name], other[name] = 42, "7"
        elif isinstance(field, forms.MultipleChoiceField):
            tricky[name], other[name] = choices[:1], choices[1:] or ["<not a choice>"]
        elif choices:
            tricky[name], other[name] = choices[0], choices[-1] if len(choices) > 1 else TRICKY_TEXT
        else:
            tricky[name], other[name] = TRICKY_TEXT, "Ærøskøbing"
    return [tricky, other, nothing, empty]


@pytest.fixture
def kept(monkeypatch) -> list[tuple[str, bool, bool]]:
    """For each field group our renderers write: its field, whether its form is bound and
    whether it came from what was kept."""
    used: list[tuple[str, bool, bool]] = []
    original = FormRenderer._field_group

    def field_group(self, context):
        html = original(self, context)
        used.append((context["field"].name, context["field"].form.is_bound, html is not None))
        return html

    monkeypatch.setattr(FormRenderer, "_field_group", field_group)
    return used


def _same_pieces(theirs: forms.Form, ours: forms.Form) -> None:
    expected, written = _pieces(theirs), _pieces(ours)
    assert written.keys() == expected.keys()
    for name, html in expected.items():
        diff = "\n".join(
            difflib.unified_diff(html.splitlines(), written[name].splitlines(), lineterm="")
        )
        assert written[name] == html, f"{name} differs:\n{diff}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_it_writes_kept_field_groups_of_every_form_as_django_does(case, world, kept):
    # One renderer for everything, as in production: what it keeps serves every form after.
    renderer = FormRenderer()
    for language in ("fr", "en", "nl"):
        with translation.override(language):
            for initial in _initial_values(case.make(world, None, DjangoTemplates())):
                # Twice: written then kept, then from what was kept.
                for _ in range(2):
                    theirs = case.make(world, None, DjangoTemplates())
                    ours = case.make(world, None, renderer)
                    for form in (theirs, ours):
                        form.initial = {**form.initial, **initial}
                    _same_pieces(theirs, ours)
            # Bound, valid and not, after the same renderer kept the unbound groups.
            for data in (case.valid, case.invalid):
                _same_pieces(
                    case.make(world, dict(data), DjangoTemplates()),
                    case.make(world, dict(data), renderer),
                )
    # Every field group of the project's unbound forms came from what was kept.
    assert kept
    assert [name for name, bound, used in kept if not bound and not used] == []
    assert renderer._kept and None not in renderer._kept.values()


def test_it_keeps_no_value_of_a_field(world):
    renderer = FormRenderer()
    marker = "Personal-7c1f"
    written = []
    for case in CASES:
        form = case.make(world, None, renderer)
        form.initial = {name: marker for name in form.fields}
        written.append(_pieces(form)["form_fields.html"])
    assert marker in "".join(written)
    assert renderer._kept
    for kept_group in renderer._kept.values():
        for name in kept_group.__slots__:
            assert marker not in str(getattr(kept_group, name))


class Changing(forms.Form):
    """A form whose ``__init__`` changes a field per instance: what it keeps must follow."""

    name = forms.CharField(required=False)
    choice = forms.ChoiceField(choices=[("", "—"), ("a", "A")], required=False)
    flag = forms.BooleanField(required=False)
    text = forms.CharField(widget=forms.Textarea, required=False)
    born = forms.DateField(required=False)

    def __init__(self, *args, change=None, **kwargs):
        super().__init__(*args, **kwargs)
        if change:
            change(self)


def _set(name: str, attribute: str, value) -> Callable[[forms.Form], None]:
    def change(form):
        setattr(form.fields[name], attribute, value)

    return change


def _widget(name: str, **values) -> Callable[[forms.Form], None]:
    def change(form):
        for attribute, value in values.items():
            setattr(form.fields[name].widget, attribute, value)

    return change


def _attrs_of(name: str, attrs: dict) -> Callable[[forms.Form], None]:
    def change(form):
        form.fields[name].widget.attrs.update(attrs)

    return change


def _form_attribute(attribute: str, value) -> Callable[[forms.Form], None]:
    def change(form):
        setattr(form, attribute, value)

    return change


def _widget_class(name: str, widget: forms.Widget) -> Callable[[forms.Form], None]:
    def change(form):
        form.fields[name].widget = widget

    return change


def _check_test(form):
    form.fields["flag"].widget.check_test = lambda value: value == "yes"


# Changes one instance makes, each after an instance without it (same renderer).
CHANGES = {
    "label": _set("name", "label", "Autre <nom>"),
    "safe label": _set("name", "label", mark_safe("Autre <nom>")),
    "lazy label": _set("name", "label", gettext_lazy("Country")),
    "label ending in punctuation": _set("name", "label", "Nom ?"),
    "no label": _set("name", "label", ""),
    "help text": _set("name", "help_text", "Pourquoi <em>ceci</em>"),
    "required": _set("name", "required", True),
    "required choice": _set("choice", "required", True),
    "disabled": _set("text", "disabled", True),
    "field label suffix": _set("name", "label_suffix", " →"),
    "attrs": _attrs_of("name", {"class": "wide", "placeholder": '"x" & <y>'}),
    "attr True": _attrs_of("name", {"data-x": True}),
    "attr 1": _attrs_of("name", {"data-x": 1}),
    "attr 1.0": _attrs_of("name", {"data-x": 1.0}),
    "attr False": _attrs_of("name", {"data-x": False}),
    "attr id": _attrs_of("name", {"id": "own"}),
    "attr aria-describedby": _attrs_of("name", {"aria-describedby": "elsewhere"}),
    "attr checked": _attrs_of("flag", {"checked": False}),
    "attr type": _widget("name", input_type="search"),
    "textarea attrs": _attrs_of("text", {"rows": 2}),
    "widget class": _widget_class("name", forms.EmailInput()),
    "textarea instead": _widget_class("name", forms.Textarea()),
    "password": _widget_class("name", forms.PasswordInput()),
    "hidden": _widget_class("name", forms.HiddenInput()),
    "radio": _widget_class("choice", forms.RadioSelect(choices=[("a", "A")])),
    "fieldset": _widget("name", use_fieldset=True),
    "choices": _set("choice", "choices", [("b", "B <&>"), ("a", "A")]),
    "check test": _check_test,
    "show hidden initial": _set("name", "show_hidden_initial", True),
    "localized": _set("born", "localize", True),
    "prefix": _form_attribute("prefix", "p"),
    "no ids": _form_attribute("auto_id", False),
    "auto_id": _form_attribute("auto_id", "f_%s"),
    "label suffix": _form_attribute("label_suffix", " :"),
    "safe label suffix": _form_attribute("label_suffix", mark_safe("&nbsp;:")),
    "no label suffix": _form_attribute("label_suffix", ""),
    "required css class": _form_attribute("required_css_class", "needed"),
    "no required attribute": _form_attribute("use_required_attribute", False),
    "error on an unbound form": lambda form: form.errors.update(
        name=form.error_class(["Déjà pris <ici>"], field_id=form["name"].auto_id)
    ),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_each_instance_gets_its_own_field_groups(change):
    renderer = FormRenderer()
    initial = {"name": TRICKY_TEXT, "choice": "a", "flag": "yes", "text": "<t>", "born": TODAY}
    for language in ("fr", "en", "nl"):
        with translation.override(language):
            # Without the change, with it, without it again: each as Django writes it.
            for changed in (None, CHANGES[change], None, CHANGES[change]):
                _same_pieces(
                    Changing(initial=initial, change=changed, renderer=DjangoTemplates()),
                    Changing(initial=initial, change=changed, renderer=renderer),
                )


def test_it_writes_date_bounds_of_the_moment():
    class Form(forms.Form):
        born = BoundedDateField(earliest=datetime.date(1900, 1, 1), latest=lambda: bound)

    renderer = FormRenderer()
    for bound in (datetime.date(2026, 1, 1), datetime.date(2026, 1, 2)):
        ours = Form(initial={"born": bound}, renderer=renderer)
        assert f'max="{bound.isoformat()}"' in ours["born"].as_field_group()
        _same_pieces(Form(initial={"born": bound}, renderer=DjangoTemplates()), ours)


def test_it_keeps_a_bounded_number_of_field_groups(monkeypatch):
    monkeypatch.setattr(FormRenderer, "KEPT", 3)
    renderer = FormRenderer()
    for index in range(10):
        change = _set("name", "label", f"Nom {index}")
        _same_pieces(
            Changing(change=change, renderer=DjangoTemplates()),
            Changing(change=change, renderer=renderer),
        )
        assert len(renderer._kept) <= 3


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_field_rows_are_what_a_template_reads_of_each_visible_field(case, world):
    for data in (None, dict(case.valid), dict(case.invalid)):
        form = case.make(world, data, FormRenderer())
        fields = form.visible_fields()
        expected = [(field, bool(field.errors), field.widget_type) for field in fields]
        assert formrender.field_rows(form) == expected
