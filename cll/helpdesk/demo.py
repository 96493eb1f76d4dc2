"""The demo helpdesk for the embedded set-up (``manage.py load_demo_helpdesk``): a Customer
service member, a few canned replies in French, English and Dutch, and eight tickets in every
state of their life (new, open, waiting for the person, solved, closed), from every channel
(contact form, e-mail, a phone call taken in the staff console), from demo learners with an
account and from visitors, with staff answers, an answer of the person and an internal note;
one is overdue, one urgent. Never in production (the command refuses it).

Everything goes through the helpdesk's own services, as the site would write it: fields are
sealed with the person's key, every change has its audit entry, e-mails go through the outbox
(like the shop demo's confirmations, they are queued once, on the first run: the
acknowledgements, staff answers and staff notifications a real ticket sends; a second run
queues nothing).

Dates. A demo ticket opened "now" looks nothing like a queue; so once a ticket's conversation is
written, its timestamps (and only them: ``created_at`` and the other non-encrypted dates of the
ticket and its messages) are moved into the past with ``QuerySet.update`` as the plan below says
(the opening's day and hour, ``after`` hours for each message), and the service-level due
times are computed again from that opening by ``sla.ticket_sla_start``. The audit ledger keeps
the real time of the load: it is append-only and never rewritten.

Idempotent: a ticket is found again by its requester's address (blind index), topic and
channel, a canned reply by its title and language, the Customer service member by address.
Needs the personas of ``load_demo_accounts`` and the sessions of ``load_demo``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from cll.accounts.models import User
from cll.core.encryption import blind_index
from cll.courses.models import Session
from cll.helpdesk import services, staff_services
from cll.helpdesk.models import (
    EMAIL_INDEX_PURPOSE,
    CannedReply,
    Channel,
    Priority,
    Status,
    Ticket,
    TicketMessage,
    Topic,
)
from cll.helpdesk.sla import ticket_sla_start

DOMAIN = "@demo.cll.be"
# The Customer service member of the demo (load_demo_accounts has none: see the report).
AGENT_EMAIL = f"cecile{DOMAIN}"
PERSONAS = ("alice", "lucas", "sofia", "gina", "admin")


class DemoMissing(Exception):
    """The demo catalogue or personas are not there: run load_demo and load_demo_accounts."""


# -- The plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One message after the opening: ``kind`` is "answer" (staff, e-mailed to the person),
    "note" (internal), "reply" (the person, from the portal) or "close" (the person closes);
    ``after``: hours after the opening; ``status``: what a staff answer leaves the ticket as."""

    kind: str
    after: float
    body: str = ""
    by: str = "agent"
    status: str = Status.PENDING


@dataclass(frozen=True)
class DemoTicket:
    key: str  # for the notes and the tests
    email: str
    name: str
    language: str
    topic: str
    channel: str
    subject: str
    body: str
    # When it was opened: ``days_ago`` days before the load at ``at`` (local time, a plausible
    # hour for a message), or, for today's tickets, ``hours_ago`` hours before the load.
    days_ago: int = 0
    at: str = ""
    hours_ago: float = 0
    account: str = ""  # a persona's name: the ticket is theirs (their portal lists it)
    with_session: bool = False  # "Ask about this session"
    priority: str = Priority.NORMAL
    steps: tuple[Step, ...] = field(default_factory=tuple)


def demo_tickets() -> list[DemoTicket]:
    """The eight tickets of the demo (see the module docstring)."""
    return [
        DemoTicket(
            key="alice-session",
            email=f"alice{DOMAIN}",
            name="Alice Lambert",
            language="fr",
            account="alice",
            topic=Topic.COURSES,
            channel=Channel.FORM,
            with_session=True,
            subject="Manuel pour la session",
            body=(
                "Bonjour,\n\nFaut-il acheter un manuel pour cette session, ou le matériel est-il "
                "fourni au premier cours ?\n\nMerci d'avance,\nAlice"
            ),
            days_ago=2,
            at="10:05",
            steps=(
                Step(
                    "answer",
                    after=3,
                    body=(
                        "Bonjour Alice,\n\nLe matériel est fourni au premier cours : vous "
                        "n'avez rien à acheter. Apportez simplement de quoi prendre des notes.\n\n"
                        "Pouvez-vous nous confirmer que cela répond à votre question ?\n\n"
                        "Cécile, service clientèle"
                    ),
                ),
            ),
        ),
        DemoTicket(
            key="lucas-invoice",
            email=f"lucas{DOMAIN}",
            name="Lucas Janssens",
            language="nl",
            account="lucas",
            topic=Topic.BILLING,
            channel=Channel.FORM,
            priority=Priority.HIGH,
            subject="Factuur op naam van mijn werkgever",
            body=(
                "Goedendag,\n\nMijn werkgever betaalt mijn cursus terug. Kan de factuur op naam "
                "van Janssens & Partners bv worden opgemaakt, met ons btw-nummer "
                "BE 0123.456.789?\n\nMet vriendelijke groeten,\nLucas Janssens"
            ),
            days_ago=1,
            at="09:10",
            steps=(
                Step(
                    "answer",
                    after=2,
                    body=(
                        "Goedendag meneer Janssens,\n\nDat kan. Wilt u ons ook het adres van de "
                        "maatschappelijke zetel bezorgen? Dan maken wij een nieuwe factuur op.\n\n"
                        "Met vriendelijke groeten,\nCécile, klantendienst"
                    ),
                ),
                Step(
                    "reply",
                    after=5,
                    body="Natuurlijk: Diestsestraat 140, 3000 Leuven. Alvast bedankt!",
                ),
                Step(
                    "note",
                    after=6,
                    body=(
                        "Demandé à la comptabilité (Bill) de refaire la facture au nom de la "
                        "société ; réponse attendue demain."
                    ),
                ),
            ),
        ),
        DemoTicket(
            key="sofia-level",
            email=f"sofia{DOMAIN}",
            name="Sofía García",
            language="en",
            account="sofia",
            topic=Topic.COURSES,
            channel=Channel.FORM,
            subject="Which level should I choose?",
            body=(
                "Hello,\n\nI took French at school in Spain for four years. Should I enrol in "
                "B1 or B2? Is there a placement test?\n\nThank you,\nSofía"
            ),
            days_ago=1,
            at="13:40",
            steps=(
                Step(
                    "answer",
                    after=4,
                    status=Status.SOLVED,
                    body=(
                        "Hello Sofía,\n\nYes: our free placement test is on line, on each "
                        'session\'s page ("Test your level"). It takes about twenty minutes and '
                        "tells you which level to choose.\n\nKind regards,\nCécile, Customer "
                        "service"
                    ),
                ),
            ),
        ),
        DemoTicket(
            key="gina-holiday",
            email=f"gina{DOMAIN}",
            name="Gina Rossi",
            language="fr",
            account="gina",
            topic=Topic.COURSES,
            channel=Channel.FORM,
            subject="Stage de vacances : à quelle heure venir chercher ma fille ?",
            body=(
                "Bonjour,\n\nMa fille Léa suit le stage de vacances. À quelle heure puis-je "
                "venir la chercher le vendredi ?\n\nBien à vous,\nGina Rossi"
            ),
            days_ago=10,
            at="18:30",
            steps=(
                Step(
                    "answer",
                    after=15,
                    status=Status.SOLVED,
                    by="admin",
                    body=(
                        "Bonjour Madame Rossi,\n\nLe vendredi, les enfants terminent à 15 h 30 "
                        "par un petit spectacle : vous êtes la bienvenue dès 15 h.\n\nBien à "
                        "vous,\nL'équipe CLL"
                    ),
                ),
                Step("close", after=40),
            ),
        ),
        DemoTicket(
            key="visitor-company-overdue",
            email="marc.dubois@example.org",
            name="Marc Dubois",
            language="fr",
            topic=Topic.COMPANY,
            channel=Channel.FORM,
            subject="Cours de néerlandais pour notre équipe",
            body=(
                "Bonjour,\n\nNous sommes une PME de 25 personnes à Wavre. Six collègues "
                "voudraient apprendre le néerlandais, si possible dans nos locaux, le mardi "
                "midi. Pouvez-vous nous faire une proposition ?\n\nMarc Dubois, responsable RH"
            ),
            # Written before opening time three days ago: its first-response time (a working
            # day's hours) has passed whatever the day of the load, weekends included.
            days_ago=3,
            at="08:30",
        ),
        DemoTicket(
            key="visitor-email-nl",
            email="emma.peeters@example.org",
            name="Emma Peeters",
            language="nl",
            topic=Topic.OTHER,
            channel=Channel.EMAIL,
            subject="Parkeren in Louvain-la-Neuve",
            body=(
                "Beste,\n\nKan ik bij jullie centrum in Louvain-la-Neuve parkeren, of is er een "
                "parking in de buurt?\n\nGroeten,\nEmma"
            ),
            hours_ago=3,
        ),
        DemoTicket(
            key="visitor-phone",
            email="james.walker@example.org",
            name="James Walker",
            language="en",
            topic=Topic.BILLING,
            channel=Channel.STAFF,
            subject="Phone call: payment by bank transfer",
            body=(
                "Called the desk: he would like to pay his son's course by bank transfer "
                "instead of by card, and asks whether that still holds his son's seat."
            ),
            hours_ago=2,
            steps=(
                Step(
                    "note",
                    after=0.2,
                    body=(
                        "Rappelé à 14 h, pas de réponse. Je réessaie demain matin ; sinon "
                        "réponse par e-mail."
                    ),
                ),
            ),
        ),
        DemoTicket(
            key="visitor-urgent",
            email="thomas.leroy@example.org",
            name="Thomas Leroy",
            language="fr",
            topic=Topic.BILLING,
            channel=Channel.FORM,
            priority=Priority.URGENT,
            subject="Débité deux fois pour la même inscription",
            body=(
                "Bonjour,\n\nMon compte a été débité deux fois de 260 € pour la même "
                "inscription. Pouvez-vous rembourser le second paiement rapidement ?\n\n"
                "Thomas Leroy"
            ),
            hours_ago=1,
        ),
    ]


CANNED_REPLIES = [
    (
        "fr",
        Topic.BILLING,
        "Où trouver ma facture ?",
        "Bonjour,\n\nVos factures sont dans votre compte, sous « Mes commandes » : chaque "
        "commande payée a sa facture en PDF.\n\nBien à vous,\nLe service clientèle de CLL",
    ),
    (
        "en",
        Topic.BILLING,
        "Where is my invoice?",
        'Hello,\n\nYour invoices are in your account, under "My orders": each paid order has '
        "its invoice as a PDF.\n\nKind regards,\nCLL Customer service",
    ),
    (
        "nl",
        Topic.BILLING,
        "Waar vind ik mijn factuur?",
        'Goedendag,\n\nU vindt uw facturen in uw account, onder "Mijn bestellingen": bij '
        "elke betaalde bestelling hoort een factuur in pdf.\n\nMet vriendelijke groeten,\nDe "
        "klantendienst van CLL",
    ),
    (
        "fr",
        Topic.COURSES,
        "Test de niveau",
        "Bonjour,\n\nNotre test de niveau gratuit est en ligne, sur la page de chaque "
        "session (« Tester mon niveau ») ; il prend une vingtaine de minutes.\n\nBien à vous,\n"
        "Le service clientèle de CLL",
    ),
    (
        "en",
        Topic.COURSES,
        "Placement test",
        "Hello,\n\nOur free placement test is on line, on each session's page (\"Test your "
        'level"); it takes about twenty minutes.\n\nKind regards,\nCLL Customer service',
    ),
    (
        "nl",
        Topic.COURSES,
        "Niveautest",
        "Goedendag,\n\nOnze gratis niveautest staat online, op de pagina van elke sessie "
        '("Test uw niveau"); hij duurt ongeveer twintig minuten.\n\nMet vriendelijke '
        "groeten,\nDe klantendienst van CLL",
    ),
]


# -- People ------------------------------------------------------------------------------------


def demo_agent() -> User:
    """The demo's Customer service member (cecile, from ``load_demo_accounts``)."""
    agent = User.objects.filter(email=AGENT_EMAIL).first()
    if agent is None:
        raise DemoMissing(
            "Demo accounts missing (cecile): run `manage.py load_demo_accounts` first."
        )
    return agent


def demo_people() -> dict[str, User]:
    """The personas by first name and the agent; ``DemoMissing`` without them."""
    users = {
        user.email.removesuffix(DOMAIN): user
        for user in User.objects.filter(email__in=[f"{name}{DOMAIN}" for name in PERSONAS])
    }
    missing = sorted(set(PERSONAS) - set(users))
    if missing:
        raise DemoMissing(
            f"Demo accounts missing ({', '.join(missing)}): run `manage.py load_demo_accounts` "
            "first."
        )
    return {**users, "agent": demo_agent()}


def _asked_session() -> Session | None:
    """The session of "Ask about this session": alice's next one when the shop demo sold her
    one, else the first upcoming demo session."""
    today = timezone.localdate()
    upcoming = Session.objects.published().filter(slug__startswith="demo-", ends_on__gte=today)
    mine = upcoming.filter(enrolments__learner__email=f"alice{DOMAIN}").order_by("starts_on")
    return mine.first() or upcoming.order_by("starts_on", "slug").first()


# -- Tickets -----------------------------------------------------------------------------------


def ticket_find(plan: DemoTicket) -> Ticket | None:
    """The ticket an earlier run made for ``plan``."""
    return Ticket.objects.filter(
        email_index=blind_index(plan.email, purpose=EMAIL_INDEX_PURPOSE),
        topic=plan.topic,
        channel=plan.channel,
    ).first()


def _open(plan: DemoTicket, people: dict[str, User]) -> Ticket:
    account = people[plan.account] if plan.account else None
    if plan.channel == Channel.STAFF:
        return staff_services.ticket_open_for_caller(
            actor=people["agent"],
            name=plan.name,
            email=plan.email,
            subject=plan.subject,
            body=plan.body,
            topic=plan.topic,
            language=plan.language,
        )
    return services.ticket_open(
        name=plan.name,
        email=plan.email,
        subject=plan.subject,
        body=plan.body,
        topic=plan.topic,
        language=plan.language,
        channel=plan.channel,
        account=account,
        session=_asked_session() if plan.with_session else None,
        email_message_id=(
            f"<demo-{plan.key}@example.org>" if plan.channel == Channel.EMAIL else ""
        ),
    ).ticket


def _step(ticket: Ticket, step: Step, people: dict[str, User]) -> None:
    staff = people[step.by]
    if step.kind == "answer":
        staff_services.ticket_reply_by_staff(
            ticket=ticket, actor=staff, body=step.body, status=step.status
        )
    elif step.kind == "note":
        staff_services.ticket_note_add(ticket=ticket, actor=staff, body=step.body)
    elif step.kind == "reply":
        services.ticket_reply_by_requester(ticket=ticket, body=step.body, channel=Channel.PORTAL)
    elif step.kind == "close":
        services.ticket_close_by_requester(ticket=ticket)
    else:
        raise ValueError(f"Unknown demo step {step.kind!r}.")


def _opened(plan: DemoTicket, now: dt.datetime) -> dt.datetime:
    """When the plan's ticket was opened, relative to ``now`` (see ``DemoTicket``)."""
    if not plan.days_ago:
        return now - dt.timedelta(hours=plan.hours_ago)
    day = timezone.localdate(now) - dt.timedelta(days=plan.days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.fromisoformat(plan.at)))


def _backdate(ticket: Ticket, plan: DemoTicket, now: dt.datetime) -> None:
    """Move the ticket's and its messages' dates into the past as the plan says (see the
    module docstring): non-encrypted fields only, due times computed again from the opening."""
    opened = _opened(plan, now)
    messages = list(ticket.messages.order_by("created_at", "id"))
    # The first message is the opening; the others follow the steps that wrote one.
    times = [opened] + [
        opened + dt.timedelta(hours=step.after) for step in plan.steps if step.kind != "close"
    ]
    first_answer = None
    for message, at in zip(messages, times, strict=False):
        TicketMessage.objects.filter(pk=message.pk).update(created_at=at)
        is_answer = message.author_kind == TicketMessage.Author.STAFF and not message.is_internal
        if is_answer and first_answer is None:
            first_answer = at
    last = opened + dt.timedelta(hours=max((step.after for step in plan.steps), default=0))
    ticket.created_at = opened
    ticket_sla_start(ticket=ticket)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=opened,
        updated_at=last,
        first_response_due=ticket.first_response_due,
        resolution_due=ticket.resolution_due,
        first_responded_at=first_answer,
        solved_at=last if ticket.status == Status.SOLVED else None,
        closed_at=last if ticket.status == Status.CLOSED else None,
    )


def demo_ticket_load(plan: DemoTicket, people: dict[str, User], now: dt.datetime) -> bool:
    """Open the ticket of ``plan`` with its conversation, then date it; False when an earlier
    run did. One transaction: a failure leaves no half-written conversation behind."""
    if ticket_find(plan) is not None:
        return False
    with transaction.atomic():
        ticket = _open(plan, people)
        if plan.priority != ticket.priority:
            staff_services.ticket_priority_set(
                ticket=ticket, actor=people["agent"], priority=plan.priority
            )
        for step in plan.steps:
            _step(ticket, step, people)
        ticket.refresh_from_db()
        _backdate(ticket, plan, now)
    return True


def demo_canned_replies_load(agent: User) -> int:
    """The team's ready answers (invoice, placement test) in the three languages."""
    created = 0
    for language, topic, title, body in CANNED_REPLIES:
        if CannedReply.objects.filter(title=title, language=language).exists():
            continue
        staff_services.canned_reply_create(
            actor=agent, title=title, language=language, topic=topic, body=body
        )
        created += 1
    return created


def demo_helpdesk_load() -> dict[str, int]:
    """Load the demo helpdesk (see the module docstring); returns what was created."""
    people = demo_people()
    if not Session.objects.filter(slug__startswith="demo-").exists():
        raise DemoMissing("No demo session: run `manage.py load_demo` first.")
    now = timezone.now()
    tickets = sum(demo_ticket_load(plan, people, now) for plan in demo_tickets())
    return {"tickets": tickets, "canned replies": demo_canned_replies_load(people["agent"])}
