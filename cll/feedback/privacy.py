"""Data map of feedback (see cll/privacy/datamap.py).

Ratings and comments are the data of the person they are about: the learner of a session (also
when their guardian answered for them) or the account that wrote about a service. Export and
erasure find them through ``learner`` / ``account``; erasure deletes them.

Retention (retention.py):

- ``feedback-link``: an invitation's link works ``FEEDBACK_LINK_DAYS``; when it has expired its
  token's hash is deleted (the invitation stays, so the results can say how many were invited
  and nobody is invited twice);
- ``feedback``: ``FEEDBACK_DAYS`` after an answer, its comment is deleted and the rating is
  detached from the person (the invitation goes). What stays (a session or a topic, a number
  of stars, a date) describes no one: it is kept for the results over time, which is the point
  of asking. A rating that is no longer tied to anyone is not personal data any more.

Who reads what: Customer service and Administrators the ratings and comments with the learner's
name; a Teacher the ratings and comments of their own sessions, without names; Marketing only
aggregates (counts, averages, distributions). Staff reads of comments are audited.
"""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cll.privacy.datamap import (
    NOT_PERSONAL,
    Basis,
    Category,
    Erasure,
    FieldRule,
    Role,
    purpose,
    register,
    retention_rule,
    same,
)

FEEDBACK = purpose(
    "feedback",
    _(
        "Asking you, after a session, how it went, and reading the feedback you give us on our "
        "sessions and services, to improve them."
    ),
)

ANSWERS = retention_rule(
    "feedback",
    format_lazy(
        ngettext_lazy(
            "Your comments are deleted {days} day after you wrote them; your ratings are then "
            "kept only as anonymous figures, no longer tied to you.",
            "Your comments are deleted {days} days after you wrote them; your ratings are then "
            "kept only as anonymous figures, no longer tied to you.",
            settings.FEEDBACK_DAYS,
        ),
        days=settings.FEEDBACK_DAYS,
    ),
    days=settings.FEEDBACK_DAYS,
)
LINKS = retention_rule(
    "feedback-link",
    format_lazy(
        ngettext_lazy(
            "The link of an invitation to rate a session works {days} day; when it has expired "
            "it is deleted.",
            "The link of an invitation to rate a session works {days} days; when it has expired "
            "it is deleted.",
            settings.FEEDBACK_LINK_DAYS,
        ),
        days=settings.FEEDBACK_LINK_DAYS,
    ),
    days=settings.FEEDBACK_LINK_DAYS,
)

_MANAGERS = (Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER)
_PEOPLE = (Role.SELF, Role.GUARDIAN, *_MANAGERS)
# Teachers read their own sessions' ratings and comments (without names); Marketing the
# aggregates of ratings only.
_RATING_READERS = (*_PEOPLE, Role.TEACHER, Role.MARKETING)
_COMMENT_READERS = (*_PEOPLE, Role.TEACHER)


def _rule(
    category: str,
    retention: str = ANSWERS,
    *,
    readers: tuple[str, ...] = _PEOPLE,
    encrypted: bool = False,
) -> FieldRule:
    return FieldRule(
        category,
        (FEEDBACK,),
        Basis.LEGITIMATE_INTEREST,
        retention,
        Erasure.DELETE,
        readers=readers,
        encrypted=encrypted,
    )


register(
    "feedback.Invitation",
    title=_("Invitations to rate a session"),
    subject="learner",
    description="Invitations e-mailed after a session ended to rate it: for whom, to whom, "
    "when, until when the link works.",
    fields={
        **same(NOT_PERSONAL, "id", "public_id"),
        **same(
            _rule(Category.CONTENT),
            "session",
            "learner",
            "created_at",
            "expires_at",
        ),
        **same(_rule(Category.CONTACT), "recipient", "language"),
        "token_hash": _rule(Category.SECURITY, LINKS, readers=()),
    },
)
register(
    "feedback.SessionRating",
    title=_("Your ratings of sessions"),
    subject="learner",
    description="Ratings (1 to 5 stars) of a session, an optional comment and whether it may be "
    "quoted anonymously.",
    fields={
        **same(NOT_PERSONAL, "id", "public_id"),
        **same(
            _rule(Category.CONTENT, readers=_RATING_READERS),
            "invitation",
            "session",
            "learner",
            "rating",
            "created_at",
            "updated_at",
        ),
        "comment": _rule(Category.CONTENT, readers=_COMMENT_READERS, encrypted=True),
        "may_quote": _rule(Category.CONTENT, readers=_COMMENT_READERS),
    },
)
register(
    "feedback.ServiceFeedback",
    title=_("Your feedback on our services"),
    subject="account",
    description="Ratings (1 to 5 stars) of one of our services (website, enrolment and "
    "payment, customer service, premises...) with an optional comment.",
    fields={
        **same(NOT_PERSONAL, "id", "public_id"),
        **same(
            _rule(Category.CONTENT, readers=(*_PEOPLE, Role.MARKETING)),
            "account",
            "topic",
            "rating",
            "created_at",
        ),
        "comment": _rule(Category.CONTENT, encrypted=True),
    },
)
