# Demo texts use real typography (apostrophes, en dashes), as load_demo's.
# ruff: noqa: RUF001
"""The demo feedback for the embedded set-up (``manage.py load_demo_feedback``): two sessions
that ended last week, their learners invited to rate them, ratings with comments (one may be
quoted), one invitation still unanswered (sofia's: her "My feedback" page has a session to
rate), and a year of feedback on our services, so the staff results page shows its charts.
Never in production (the command refuses it).

Everything goes through the apps' services: the learners are enrolled by paid orders of the
shop demo's own helper (``cll.shop.demo``: order, sandbox payment, enrolment, invoice), invited
by ``invitation_create`` (the job's own code: one invitation per seat, its e-mail through the
outbox, queued once on the first run like the shop demo's confirmations), and answer through
``session_rating_save`` and ``service_feedback_create`` (encrypted comments, audit entries).

Dates. A session cannot be sold once it has ended, so each demo session is created running
(it started three weeks ago) and sold, then moved into the past as a whole: its first and last
days and the dates of its lessons (no personal data) are shifted back with ``QuerySet.update``
until it ended ``ENDED_DAYS_AGO`` days ago. Feedback on our services is spread over the past
months the same way (its ``created_at`` only), so the monthly chart has a history. The audit
ledger keeps the real time of the load.

Idempotent: the sessions are found by slug (a session already in the past is not moved
again), orders by the shop demo's own lookup, invitations by the database's one-per-seat rule,
ratings by invitation, feedback on services by account and topic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cll.accounts.models import User
from cll.core import pagecache
from cll.courses import services as course_services
from cll.courses.models import Format, Language, Session, Site
from cll.feedback import services
from cll.feedback.models import Invitation, ServiceFeedback, SessionRating, Topic
from cll.shop import demo as shop_demo
from cll.shop.payments import sandbox

# Sessions are created running, started this many days before the load (see the docstring).
STARTED_DAYS_AGO = 21


@dataclass(frozen=True)
class DemoSession:
    slug: str
    language: str
    names: tuple[str, str, str]  # the language's name in fr, en, nl
    level: str
    titles: dict[str, str]
    weekdays: tuple[int, ...]
    learners: tuple[str, ...]  # personas (and "lea", gina's child)
    # Days before the load it ended: invited (FEEDBACK_INVITE_AFTER_DAYS), links still valid
    # for weeks (FEEDBACK_LINK_DAYS).
    ended_days_ago: int


SESSIONS = (
    DemoSession(
        slug="demo-feedback-dutch-a2-ended",
        language="nl",
        names=("Néerlandais", "Dutch", "Nederlands"),
        level="A2",
        titles={
            "fr": "Néerlandais A2 – cours intensif de fin d'année",
            "en": "Dutch A2 – end-of-year intensive course",
            "nl": "Nederlands A2 – intensieve eindejaarscursus",
        },
        weekdays=(0, 2, 4),
        learners=("alice", "lucas", "sofia"),
        ended_days_ago=5,
    ),
    DemoSession(
        slug="demo-feedback-english-a1-ended",
        language="en",
        names=("Anglais", "English", "Engels"),
        level="A1",
        titles={
            "fr": "Anglais A1 – ateliers du mercredi",
            "en": "English A1 – Wednesday workshops",
            "nl": "Engels A1 – woensdagworkshops",
        },
        weekdays=(2,),
        learners=("lucas", "sofia", "lea"),
        ended_days_ago=12,
    ),
)

# (session slug, learner, stars, comment, may be quoted); sofia leaves the first one unanswered.
RATINGS = (
    (
        SESSIONS[0].slug,
        "alice",
        5,
        "Un groupe motivé et une professeure qui nous fait parler dès la première minute. "
        "J'ose enfin téléphoner en néerlandais !",
        True,
    ),
    (
        SESSIONS[0].slug,
        "lucas",
        4,
        "Goede cursus, maar het lokaal was op maandag te warm.",
        False,
    ),
    (
        SESSIONS[1].slug,
        "lucas",
        3,
        "The pace was a bit slow for me; more speaking exercises would help.",
        False,
    ),
    (SESSIONS[1].slug, "sofia", 5, "", False),
    (
        SESSIONS[1].slug,
        "lea",
        4,
        "Léa a adoré les chansons ; elle aurait aimé un peu plus de jeux.",
        True,
    ),
)

# (account, topic, stars, comment, months ago): one per account and topic, over a year, so
# that each line of the monthly chart has a few points.
SERVICE_FEEDBACK = (
    ("alice", Topic.WEBSITE, 4, "Inscription rapide, mais le calendrier est petit sur mobile.", 0),
    ("lucas", Topic.WEBSITE, 3, "De site is soms traag op mijn gsm.", 6),
    ("sofia", Topic.WEBSITE, 5, "", 3),
    ("gina", Topic.WEBSITE, 4, "", 9),
    ("alice", Topic.ENROLMENT, 5, "", 2),
    ("lucas", Topic.ENROLMENT, 5, "Betalen met Bancontact ging vlot.", 1),
    ("sofia", Topic.ENROLMENT, 3, "The confirmation e-mail took a few minutes to arrive.", 7),
    ("gina", Topic.ENROLMENT, 4, "Inscrire ma fille a été simple.", 10),
    ("alice", Topic.CUSTOMER_SERVICE, 4, "", 4),
    ("lucas", Topic.CUSTOMER_SERVICE, 4, "Snel antwoord op mijn vraag over de factuur.", 0),
    ("sofia", Topic.CUSTOMER_SERVICE, 5, "Quick and friendly answer about the levels.", 1),
    ("gina", Topic.CUSTOMER_SERVICE, 3, "", 8),
    ("alice", Topic.PREMISES, 4, "Salles lumineuses, café correct.", 5),
    ("sofia", Topic.PREMISES, 4, "", 8),
    ("gina", Topic.PREMISES, 3, "Peu de places pour se garer à Louvain-la-Neuve.", 2),
    ("gina", Topic.OTHER, 5, "Merci pour le stage de vacances de Léa !", 10),
)


# -- Sessions that ended -----------------------------------------------------------------------


def _session(plan: DemoSession, today: dt.date) -> Session:
    """The demo session of ``plan``: found by slug, else created running (it started
    ``STARTED_DAYS_AGO`` days ago; its last lessons are still ahead, so it can be sold)."""
    session = Session.objects.filter(slug=plan.slug).first()
    if session is not None:
        return session
    fr, en, nl = plan.names
    return course_services.session_create(
        slug=plan.slug,
        language=Language.objects.get_or_create(
            code=plan.language, defaults={"name_fr": fr, "name_en": en, "name_nl": nl}
        )[0],
        level=plan.level,
        format=Format.GROUP,
        site=Site.objects.filter(is_online=False).order_by("position").first()
        or Site.objects.order_by("position").first(),
        titles=plan.titles,
        first_day=today - dt.timedelta(days=STARTED_DAYS_AGO),
        # Three weeks behind, two or three weeks ahead: not ended, so on sale.
        hours=len(plan.weekdays) * 2 * 6,
        schedule=course_services.WeeklySchedule(plan.weekdays, dt.time(18, 0), dt.time(20, 0)),
        price_cents=26000,
        capacity=12,
        is_published=True,
    )


def _end_in_the_past(session: Session, plan: DemoSession, today: dt.date) -> None:
    """Shift the session and its lessons back until it ended ``plan.ended_days_ago`` days ago
    (see the module docstring); nothing when it already ended."""
    if session.ends_on < today:
        return
    shift = (session.ends_on - today) + dt.timedelta(days=plan.ended_days_ago)
    with transaction.atomic():
        Session.objects.filter(pk=session.pk).update(
            starts_on=F("starts_on") - shift, ends_on=F("ends_on") - shift
        )
        session.courses.update(date=F("date") - shift)
    session.refresh_from_db()
    pagecache.content_changed()


def _sell(session: Session, plan: DemoSession, people: dict[str, User], report) -> None:
    """A paid order per learner (gina buys lea's seat), through the shop demo's helper."""
    for name in plan.learners:
        learner = people[name]
        buyer = people["gina"] if name == "lea" else learner
        shop_demo.demo_order(
            buyer=buyer, seats=[(session, learner)], outcome=sandbox.PAY, report=report
        )


# -- Answers -----------------------------------------------------------------------------------


def _invite(session: Session, learner: User) -> Invitation | None:
    """The seat's invitation: an earlier run's, else a new one (its e-mail is queued)."""
    invitation = Invitation.objects.filter(session=session, learner=learner).first()
    if invitation is not None:
        return invitation
    recipient = services.invitation_recipient(learner)
    if recipient is None or not services.invitation_allowed(learner=learner, recipient=recipient):
        return None
    return services.invitation_create(session=session, learner=learner, recipient=recipient)


def demo_ratings_load(sessions: dict[str, Session], people: dict[str, User]) -> int:
    """Invite every learner of the demo sessions and record the planned answers; returns the
    answers recorded now."""
    invitations = {}
    for plan in SESSIONS:
        for name in plan.learners:
            invitations[plan.slug, name] = _invite(sessions[plan.slug], people[name])
    recorded = 0
    for slug, name, stars, comment, may_quote in RATINGS:
        invitation = invitations.get((slug, name))
        if invitation is None or SessionRating.objects.filter(invitation=invitation).exists():
            continue
        services.session_rating_save(
            invitation=invitation,
            rating=stars,
            comment=comment,
            may_quote=may_quote,
            actor=invitation.recipient,
        )
        recorded += 1
    return recorded


def demo_service_feedback_load(people: dict[str, User], now: dt.datetime) -> int:
    """Feedback on our services over the past months (see the module docstring)."""
    created = 0
    for name, topic, stars, comment, months_ago in SERVICE_FEEDBACK:
        account = people[name]
        if ServiceFeedback.objects.filter(account=account, topic=topic).exists():
            continue
        feedback = services.service_feedback_create(
            account=account, topic=topic, rating=stars, comment=comment
        )
        if months_ago:
            at = now - dt.timedelta(days=30 * months_ago + 3)
            ServiceFeedback.objects.filter(pk=feedback.pk).update(created_at=at)
        created += 1
    return created


# -- All of it ---------------------------------------------------------------------------------


def demo_feedback_load() -> tuple[dict[str, int], list[str]]:
    """Load the demo feedback (see the module docstring): what was created, and notes for the
    developer (orders the shop refused); ``shop_demo.DemoMissing`` without the demo catalogue
    and accounts. Runs outside any transaction, as the shop demo does (the
    orders are paid at the sandbox provider)."""
    people = shop_demo.demo_people()
    today = timezone.localdate()
    report = shop_demo.Report()
    sessions = {}
    for plan in SESSIONS:
        session = _session(plan, today)
        if session.ends_on >= today:
            _sell(session, plan, people, report)
            _end_in_the_past(session, plan, today)
        sessions[plan.slug] = session
    created = {
        "ratings": demo_ratings_load(sessions, people),
        "service feedback": demo_service_feedback_load(people, timezone.now()),
    }
    return created, report.notes
