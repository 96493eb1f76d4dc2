"""The demo school for the embedded set-up (``manage.py load_demo_accounts``): people with
profiles, a guardian and her child, teachers on sessions, a few breaches and policy versions,
and a month of access-log history. Never in production (the command refuses it).

Everything goes through the apps' own services, as the site would write it: profiles are
encrypted by the model fields, entries land in the audit ledger, the access log is ingested and
aggregated by the analytics app. Each step is idempotent (found by address, title, version or
day), so running ``scripts/run.sh`` twice changes nothing the second time; a database from an
older run is completed (an account without a profile gets one).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from cll.accounts import services
from cll.accounts.models import Guardianship, LearnerProfile, User
from cll.analytics import services as analytics
from cll.analytics.events import Event
from cll.analytics.models import VisitorSalt
from cll.breaches import services as breaches
from cll.breaches.models import Breach, Decision
from cll.courses.models import Session
from cll.policies import services as policies
from cll.policies.models import PolicyKind, PolicyVersion
from cll.policies.selectors import policy_version_current
from cll.privacy.datamap import Role

DEMO_PASSWORD = "demo-cll-2026"  # noqa: S105 - printed to the developer; refused in production


@dataclass(frozen=True)
class DemoAccount:
    email: str
    persona: str
    roles: tuple[str, ...] = ()
    profile: dict[str, Any] = field(default_factory=dict)


def _born(years_ago: int, month: int, day: int) -> dt.date:
    # Relative to today, so a demo child stays a child whenever the demo is loaded.
    return dt.date(timezone.localdate().year - years_ago, month, day)


def demo_accounts() -> list[DemoAccount]:
    """The personas of DESIGN.md, plus a few learners so the staff lists are not empty."""
    return [
        DemoAccount(
            "alice@demo.cll.be",
            "learner",
            profile={
                "first_name": "Alice",
                "last_name": "Lambert",
                "street": "Rue des Wallons 12",
                "postcode": "1348",
                "city": "Louvain-la-Neuve",
                "country": "BE",
                "phone": "+32470123456",
                "native_language": "fr",
                "learning_languages": "en, nl",
                "level": "B1",
                "objectives": "Présenter mon travail en anglais lors de réunions internationales.",
                "birth_date": _born(32, 4, 18),
            },
        ),
        DemoAccount("bob@demo.cll.be", "teacher", (Role.TEACHER,)),
        DemoAccount("nora@demo.cll.be", "teacher", (Role.TEACHER,)),
        DemoAccount("dora@demo.cll.be", "privacy officer", (Role.PRIVACY_OFFICER,)),
        DemoAccount("mark@demo.cll.be", "marketing", (Role.MARKETING,)),
        DemoAccount("cecile@demo.cll.be", "customer service", (Role.CUSTOMER_SERVICE,)),
        DemoAccount(
            "gina@demo.cll.be",
            "guardian",
            profile={
                "first_name": "Gina",
                "last_name": "Rossi",
                "street": "Avenue de Tervuren 210",
                "postcode": "1150",
                "city": "Woluwe-Saint-Pierre",
                "country": "BE",
                "phone": "+32478654321",
                "native_language": "it",
                "learning_languages": "nl",
                "level": "A2",
                "birth_date": _born(41, 9, 2),
            },
        ),
        DemoAccount(
            "lucas@demo.cll.be",
            "learner",
            profile={
                "first_name": "Lucas",
                "last_name": "Janssens",
                "street": "Bondgenotenlaan 88",
                "postcode": "3000",
                "city": "Leuven",
                "country": "BE",
                "native_language": "nl",
                "learning_languages": "fr",
                "level": "A2",
                "objectives": "Mijn Frans verbeteren voor mijn nieuwe job in Brussel.",
                "birth_date": _born(27, 1, 30),
            },
        ),
        DemoAccount(
            "sofia@demo.cll.be",
            "learner",
            profile={
                "first_name": "Sofía",
                "last_name": "García",
                "postcode": "1200",
                "city": "Woluwe-Saint-Lambert",
                "country": "ES",
                "native_language": "es",
                "learning_languages": "fr, en",
                "level": "B2",
                "birth_date": _born(24, 11, 5),
            },
        ),
        DemoAccount("admin@demo.cll.be", "administrator", (Role.ADMINISTRATOR,)),
    ]


# gina's daughter: under the digital consent age (13), so her account is the guardian's to run.
DEMO_CHILD = {
    "first_name": "Léa",
    "last_name": "Rossi",
    "native_language": "fr",
    "learning_languages": "en",
    "level": "A1",
    "objectives": "Parler anglais pendant les vacances en famille.",
}
DEMO_CHILD_AGE = 9


def demo_accounts_load() -> list[DemoAccount]:
    """Create the accounts that are missing and complete the ones without a profile."""
    accounts = demo_accounts()
    for account in accounts:
        user = User.objects.filter(email=account.email).first()
        if user is None:
            user = User.objects.create_user(
                email=account.email,
                password=DEMO_PASSWORD,
                is_staff=bool(account.roles),
                is_superuser=Role.ADMINISTRATOR in account.roles,
            )
            user.groups.set(Group.objects.filter(name__in=account.roles))
        # Demo addresses cannot receive mail: mark them verified so the accounts can sign in.
        EmailAddress.objects.update_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
        if account.profile and not LearnerProfile.objects.filter(user=user).exists():
            services.profile_create(user=user, data=account.profile)
    return accounts


def demo_child_load(*, guardian: User) -> User:
    """gina's child (the guardian's own path: ``child_add``), once."""
    guardianship = Guardianship.objects.filter(guardian=guardian).select_related("child").first()
    if guardianship is not None:
        return guardianship.child
    return services.child_add(
        guardian=guardian, data={**DEMO_CHILD, "birth_date": _born(DEMO_CHILD_AGE, 6, 21)}
    )


def _sessions_have_teachers() -> bool:
    try:
        Session._meta.get_field("teacher")
    except FieldDoesNotExist:
        return False
    return True


# How many demo sessions each teacher takes (the earliest ones still without a teacher).
SESSIONS_PER_TEACHER = 6


def demo_teaching_load(*, teachers: list[User]) -> int:
    """Give each demo teacher sessions of the catalogue; returns sessions assigned now.

    Works before the catalogue exists (nothing to assign) and before sessions have a teacher
    field (the course app adds it): then it assigns nothing.
    """
    if not _sessions_have_teachers():
        return 0
    assigned = 0
    for teacher in teachers:
        if Session.objects.filter(teacher=teacher).exists():
            continue
        free = Session.objects.filter(slug__startswith="demo-", teacher__isnull=True).order_by(
            "starts_on", "slug"
        )
        ids = list(free.values_list("pk", flat=True)[:SESSIONS_PER_TEACHER])
        assigned += Session.objects.filter(pk__in=ids).update(teacher=teacher)
    return assigned


def _demo_breaches(now: dt.datetime) -> list[dict[str, Any]]:
    return [
        {
            "title": "Courriel envoyé au mauvais groupe",
            "detected_at": now - dt.timedelta(days=54, hours=3),
            "nature": "La liste des participants d'un cours du soir (noms et adresses e-mail) a "
            "été envoyée par erreur aux participants d'un autre groupe.",
            "data_categories": ["identity", "contact"],
            "people_categories": "Apprenants",
            "people_count": 11,
            "records_count": 11,
            "consequences": "Risque faible : les destinataires sont eux-mêmes apprenants du "
            "centre ; pas de données sensibles.",
            "measures": "Demande de suppression aux destinataires (toutes confirmées) ; envoi des "
            "listes désormais depuis le site uniquement.",
            "authority_notification": Decision.NOT_REQUIRED,
            "people_notification": Decision.NOT_REQUIRED,
            "decision_reasons": "Risque improbable pour les droits et libertés (art. 33.1) : "
            "données de contact seulement, destinataires identifiés et coopératifs.",
        },
        {
            "title": "Hameçonnage de la boîte e-mail de l'accueil",
            "detected_at": now - dt.timedelta(days=118, hours=2),
            "nature": "Le mot de passe de la boîte e-mail de l'accueil de Louvain-la-Neuve a été "
            "obtenu par hameçonnage ; la boîte a été consultée depuis l'étranger pendant deux "
            "heures.",
            "data_categories": ["identity", "contact", "financial"],
            "people_categories": "Apprenants et parents ayant écrit à l'accueil",
            "people_count": 310,
            "records_count": 1240,
            "consequences": "Risque d'hameçonnage ciblé des personnes concernées au nom du centre.",
            "measures": "Mot de passe changé, vérification en deux étapes imposée, sessions "
            "fermées ; message d'avertissement aux personnes concernées.",
            "authority_notified_at": now - dt.timedelta(days=116, hours=20),
            "authority_reference": "APD-DOS-2026-0815",
            "people_notification": Decision.REQUIRED,
            "decision_reasons": "Risque élevé d'hameçonnage ciblé (art. 34) : les personnes "
            "doivent pouvoir se méfier des messages reçus au nom du centre.",
        },
        {
            "title": "Ordinateur portable volé à Woluwe",
            "detected_at": now - dt.timedelta(days=19, hours=6),
            "nature": "Vol de l'ordinateur portable d'un professeur dans une salle de cours. Le "
            "disque est chiffré ; des feuilles de présence y étaient enregistrées.",
            "data_categories": ["identity", "learning"],
            "people_categories": "Apprenants de deux groupes",
            "people_count": 23,
            "records_count": 46,
            "consequences": "Faibles : disque chiffré, appareil éteint au moment du vol.",
            "measures": "Plainte déposée ; accès du professeur révoqués et mots de passe changés.",
            "authority_notification": Decision.PENDING,
            "people_notification": Decision.PENDING,
        },
    ]


def demo_breaches_load(*, reporter: User) -> int:
    """Record the demo breaches missing from the register (found by title); returns how many."""
    now = timezone.now()
    recorded = 0
    for values in _demo_breaches(now):
        if Breach.objects.filter(title=values["title"]).exists():
            continue
        breaches.breach_record(actor=reporter, role=Role.PRIVACY_OFFICER, values=values)
        recorded += 1
    return recorded


# A published clarification of the terms (not material: in force at once, nobody is asked) and
# a privacy policy draft the privacy officer is preparing.
TERMS_CLARIFICATION = "2026-12"
PRIVACY_DRAFT = "2027-01"
_TERMS_CHANGES = {
    "fr": "Précisions sur les conditions d'annulation des cours particuliers.",
    "en": "Clearer wording of the cancellation terms for individual lessons.",
    "nl": "Duidelijkere formulering van de annuleringsvoorwaarden voor privélessen.",
}
_PRIVACY_CHANGES = {
    "fr": "Nouvelle section sur la classe virtuelle et ses enregistrements.",
    "en": "A new section on the virtual classroom and its recordings.",
    "nl": "Een nieuw deel over de virtuele klas en de opnames ervan.",
}


def _published_bodies(kind: str) -> dict[str, str]:
    current = (
        PolicyVersion.objects.filter(kind=kind, version=policy_version_current(kind))
        .exclude(published_at=None)
        .first()
    )
    if current is None:
        return {}
    return {language: current.body(language) for language in ("fr", "en", "nl")}


def demo_policy_versions_load(*, actor: User) -> int:
    """The terms clarification (published) and the privacy draft; returns versions created."""
    created = 0
    for kind, version, changes, publish in (
        (PolicyKind.TERMS, TERMS_CLARIFICATION, _TERMS_CHANGES, True),
        (PolicyKind.PRIVACY, PRIVACY_DRAFT, _PRIVACY_CHANGES, False),
    ):
        if PolicyVersion.objects.filter(kind=kind, version=version).exists():
            continue
        bodies = _published_bodies(kind)
        if not bodies:
            continue
        with transaction.atomic():
            draft = policies.policy_version_draft_save(
                actor=actor,
                role=Role.ADMINISTRATOR,
                kind=kind,
                version=version,
                bodies=bodies,
                changes=changes,
                material=False,
                affects_existing_processing=False,
                new_consent_purposes=[],
            )
            if publish:
                policies.policy_version_publish(actor=actor, role=Role.ADMINISTRATOR, version=draft)
        created += 1
    return created


# -- Access-log history -----------------------------------------------------------------------

ACCESS_LOG_DAYS = 30
# Documentation address ranges (RFC 5737): no real visitor is named.
_NETWORKS = ("192.0.2.", "198.51.100.", "203.0.113.")
_BROWSERS = (
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", 3),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        6,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        4,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        2,
    ),
)
_BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
_LANGUAGES = (("fr", "fr-BE,fr;q=0.9,en;q=0.5", 6), ("nl", "nl-BE,nl;q=0.9", 3), ("en", "en-GB", 2))
_REFERRERS = (
    ("", 6),
    ("https://www.google.com/", 4),
    ("https://duckduckgo.com/", 1),
    ("https://www.facebook.com/", 1),
)


def _site_paths(language: str) -> list[str]:
    """Real pages of the site in ``language``: home, catalogue, news, some sessions."""
    with translation.override(language):
        paths = [
            reverse("content:home"),
            reverse("courses:session_list"),
            reverse("content:news_list"),
            reverse("helpdesk:contact"),
            reverse("account_signup"),
        ]
        for session in Session.objects.filter(slug__startswith="demo-").order_by("slug")[:12]:
            paths.append(session.get_absolute_url())
    return paths


# A visitor in this many goes shopping: catalogue, a session, the cart; some of them then order
# (checkout, then their orders), so the dashboard's funnel has its cart and order steps.
_SHOPPERS = 5
_BUYERS = 0.5


def _shop_paths(language: str) -> dict[str, Any]:
    """The pages of a visit that goes from the catalogue to the cart and to an order."""
    sessions = Session.objects.filter(slug__startswith="demo-").order_by("slug")[:12]
    with translation.override(language):
        return {
            "catalogue": reverse("courses:session_list"),
            "sessions": [session.get_absolute_url() for session in sessions],
            "cart": reverse("shop:cart"),
            "checkout": reverse("shop:checkout"),
            "orders": reverse("shop:order_list"),
        }


def _visit_paths(rng: random.Random, code: str, paths: dict, shop: dict) -> list[str]:
    """The pages one visitor sees: a few pages of the site, or a shopping visit."""
    if rng.randrange(_SHOPPERS) or not shop[code]["sessions"]:
        return rng.sample(paths[code], k=rng.randint(1, 5))
    pages = shop[code]
    visit = [pages["catalogue"], rng.choice(pages["sessions"]), pages["cart"]]
    if rng.random() < _BUYERS:
        visit += [pages["checkout"], pages["orders"]]
    return visit


def _day_events(
    day: dt.date, rng: random.Random, paths: dict[str, list[str]], shop: dict[str, dict]
) -> list[Event]:
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    opening = dt.datetime.combine(day, dt.time(7), zone).timestamp()
    # Busier on weekdays than at weekends: a plausible curve, not a flat line.
    visitors = rng.randint(18, 34) if day.weekday() < 5 else rng.randint(8, 16)
    events = []
    for number in range(visitors):
        ip = rng.choice(_NETWORKS) + str(rng.randint(1, 254))
        agent = rng.choices([a for a, _w in _BROWSERS], [w for _a, w in _BROWSERS])[0]
        code, accept = rng.choices(
            [(c, h) for c, h, _w in _LANGUAGES], [w for _c, _h, w in _LANGUAGES]
        )[0]
        referrer = rng.choices([r for r, _w in _REFERRERS], [w for _r, w in _REFERRERS])[0]
        consent = rng.random() < 0.5
        time = opening + rng.uniform(0, 15 * 3600)
        for step, path in enumerate(_visit_paths(rng, code, paths, shop)):
            events.append(
                Event(
                    time + step * rng.uniform(20, 180),
                    "GET",
                    path,
                    200,
                    ip,
                    agent,
                    accept,
                    referrer if step == 0 else "",
                    rng.randint(3, 40),
                    consent,
                    f"demo-{day.isoformat()}-{number}" if consent else None,
                )
            )
    # A crawler and a few broken links, as on any public site.
    for _ in range(rng.randint(3, 8)):
        events.append(
            Event(
                opening + rng.uniform(0, 15 * 3600),
                "GET",
                "/fr/",
                200,
                "192.0.2.200",
                _BOT,
                "",
                "",
                5,
            )
        )
    events.append(
        Event(
            opening + rng.uniform(0, 15 * 3600),
            "GET",
            "/fr/cours-anglais/",
            404,
            "198.51.100.9",
            _BROWSERS[0][0],
            "fr",
            "",
            3,
        )
    )
    return sorted(events, key=lambda event: event.time)


def demo_access_log_load(*, days: int = ACCESS_LOG_DAYS) -> int:
    """A month of requests before today, ingested and aggregated by the analytics app as the
    log writer would have done; days that already have a log are left alone. Returns the
    number of days written.

    Each day is replayed as the site lived it: the day's visitor salt exists while its
    requests are ingested and aggregated (so consenting visits are walked: visitors, visits,
    paths and the catalogue → cart → order funnel), then it is destroyed, as the daily
    retention job destroys every past day's salt. Only the salts made here are destroyed.
    """
    today = timezone.localdate()
    since = today - dt.timedelta(days=days)
    logged = set(analytics.days_with_log(since=since, until=today - dt.timedelta(days=1)))
    paths = {code: _site_paths(code) for code, _header, _weight in _LANGUAGES}
    shop = {code: _shop_paths(code) for code, _header, _weight in _LANGUAGES}
    written = 0
    salted: list[dt.date] = []
    try:
        for offset in range(days, 0, -1):
            day = today - dt.timedelta(days=offset)
            if day in logged:
                continue
            rng = random.Random(f"cll-demo-access-log-{day.isoformat()}")
            _salt, created = VisitorSalt.objects.get_or_create(
                day=day, defaults={"salt": secrets.token_bytes(32)}
            )
            if created:
                salted.append(day)
            analytics.access_events_ingest(events=_day_events(day, rng, paths, shop))
            analytics.aggregates_compute(day=day)
            written += 1
    finally:
        VisitorSalt.objects.filter(day__in=salted).delete()
        analytics.forget_visitor_hashes()
    return written
