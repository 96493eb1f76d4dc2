"""Sessions suggested to a signed-in learner, each with the reason it is suggested.

Rules (the "recommendations" purpose of the data map, legitimate interest with an off switch):

- nothing at all when the learner switched suggestions off in their profile
  (``LearnerProfile.recommendations_enabled``), while their processing is restricted (GDPR
  Art. 18, ``cll.rights``), or when they objected to marketing, which the privacy page
  describes as "newsletters, promotions and recommendations";
- only open sessions that have not started, in a language the learner learns (their profile's
  "languages to learn", or a language of their past sessions), never one they already have an
  enrolment in (active, cancelled or withdrawn), and neither company training (quoted for a
  team) nor holiday courses for children;
- the level: the one after the highest session they followed in that language (completed or
  under way), otherwise the level in their profile; without either, any level;
- preferred: the site of their past sessions, and words of their objectives found in a
  session's title or description; then the next to start.

Every reason is a sentence in the active language, shown under the card ("why am I seeing
this?"). The learner's data is read here only to be shown back to them: nothing is stored.
A constant number of queries whatever the catalogue (profile, restriction, objection,
enrolments, languages, candidate sessions).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cll.accounts.models import LearnerProfile, User
from cll.courses.models import Format, Language, Level, Session
from cll.courses.selectors import session_list_for
from cll.rights.selectors import processing_allowed
from cll.shop.models import Enrolment, EnrolmentStatus

PURPOSE = "recommendations"
# The privacy page's objection to marketing covers "newsletters, promotions and
# recommendations" (cll.rights.models.Objection.Purpose.MARKETING).
OBJECTION_PURPOSE = "marketing"
# How many open sessions are weighed at most: the next to start, in the learner's languages.
CANDIDATES = 200
_EXCLUDED_FORMATS = (Format.COMPANY, Format.HOLIDAY)
_LEVELS = list(Level.values)

# Frequent words of the three interface languages that say nothing about a topic.
_STOPWORD_TEXT = """
    about after again because before being could english every french dutch first great
    improve learn learning level other really should speak their there these thing those
    through would language languages course courses session sessions which while where
    apprendre ameliorer anglais francais neerlandais allemand espagnol avoir cours leurs
    notre votre parce pouvoir parler niveau langue langues faire aussi encore comme avant
    apres depuis toujours beaucoup mieux meilleur bonne bonnes pendant entre
    leren verbeteren engels frans nederlands duits spaans kunnen omdat willen graag niveau
    spreken beter goede cursus cursussen hebben worden zodat tijdens tussen sinds
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Recommendation:
    session: Session
    # Why it is suggested, most important first: translated sentences.
    reasons: tuple[str, ...]
    score: int = field(default=0, compare=False)

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)


def _plain(text: str) -> str:
    """Lower case without accents: "Réunions" and "reunions" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[^\w]+", text) if word]


def _languages_named(text: str, languages: list[Language]) -> set[str]:
    """Codes of the languages a free-text "languages to learn" names ("en, nl", "Anglais et
    néerlandais", "Engels"). Codes count only when the text is a list of codes: "en" is also
    the Dutch for "and"."""
    words = _words(_plain(text))
    codes = {language.code for language in languages}
    if words and all(word in codes for word in words):
        return set(words)
    found = set()
    for language in languages:
        # Each name's first word too: "Français langue étrangère" is written "français".
        names = {_plain(getattr(language, f"name_{code}")) for code in ("fr", "en", "nl")}
        keys = names | {_words(name)[0] for name in names if _words(name)}
        if keys & set(words):
            found.add(language.code)
    return found


def _keywords(objectives: str, languages: list[Language]) -> dict[str, str]:
    """Topic words of the learner's objectives: {stem: the word as they wrote it}."""
    names = {
        word
        for language in languages
        for code in ("fr", "en", "nl")
        for word in _words(_plain(getattr(language, f"name_{code}")))
    }
    keywords = {}
    for word in _words(objectives):
        plain = _plain(word)
        if len(plain) >= 5 and plain not in _STOPWORDS and plain not in names:
            keywords.setdefault(plain[:6], word)
    return keywords


def _session_stems(session: Session) -> set[str]:
    text = " ".join(
        getattr(session, f"{name}_{code}")
        for name in ("title", "description")
        for code in ("fr", "en", "nl")
    )
    return {word[:6] for word in _words(_plain(text)) if len(word) >= 5}


def _quoted(text: str) -> str:
    # Each language its quotation marks: “…” in English, « … » in French.
    # Translators: quotation marks around a session's title or a word of the learner's.
    return _("“%(text)s”") % {"text": text}


def _next_level(level: str) -> str:
    index = _LEVELS.index(level)
    return _LEVELS[min(index + 1, len(_LEVELS) - 1)]


@dataclass
class _History:
    """What the learner's enrolments say, per language."""

    session_ids: set[int] = field(default_factory=set)
    site_names: dict[int, str] = field(default_factory=dict)
    # language code -> (the highest session followed, whether it has ended)
    highest: dict[str, tuple[Session, bool]] = field(default_factory=dict)


def _history(user: User, today: dt.date) -> _History:
    history = _History()
    enrolments = Enrolment.objects.filter(learner=user).select_related(
        "session__language", "session__site"
    )
    for enrolment in enrolments:
        session = enrolment.session
        history.session_ids.add(session.pk)
        if enrolment.status != EnrolmentStatus.ACTIVE:
            continue
        history.site_names[session.site_id] = session.site.name
        code = session.language.code
        best = history.highest.get(code)
        if best is None or _LEVELS.index(session.level) > _LEVELS.index(best[0].level):
            history.highest[code] = (session, session.ends_on < today)
    return history


def recommendations_allowed(*, user: User, profile: LearnerProfile | None) -> bool:
    """Whether suggestions may be made for ``user`` at all (switch, restriction, objection)."""
    if profile is not None and not profile.recommendations_enabled:
        return False
    return processing_allowed(subject=user.public_id, purpose=PURPOSE) and processing_allowed(
        subject=user.public_id, purpose=OBJECTION_PURPOSE
    )


def recommendation_list_for(
    *, user: User, limit: int = 3, today: dt.date | None = None
) -> list[Recommendation]:
    """Up to ``limit`` sessions suggested to ``user``, best first (rules: module docstring).

    [] for an anonymous visitor, when suggestions are off, restricted or objected to, and when
    nothing tells which language the learner learns.
    """
    if not getattr(user, "is_authenticated", False) or limit <= 0:
        return []
    today = today or timezone.localdate()
    profile = LearnerProfile.objects.filter(user=user).first()
    if not recommendations_allowed(user=user, profile=profile):
        return []

    history = _history(user, today)
    languages = list(Language.objects.all())
    wanted = _languages_named(profile.learning_languages, languages) if profile else set()
    codes = wanted | set(history.highest)
    if not codes:
        return []
    profile_level = profile.level if profile and profile.level in _LEVELS else ""
    keywords = _keywords(profile.objectives, languages) if profile else {}

    candidates = (
        session_list_for(today=today)
        .filter(language__code__in=codes, starts_on__gte=today)
        .exclude(format__in=_EXCLUDED_FORMATS)
        .exclude(pk__in=history.session_ids)[:CANDIDATES]
    )
    found = []
    for session in candidates:
        scored = _judge(session, history, profile_level, keywords)
        if scored is not None:
            found.append(scored)
    found.sort(key=lambda item: (-item.score, item.session.starts_on, item.session.pk))
    return found[:limit]


def _judge(
    session: Session, history: _History, profile_level: str, keywords: dict[str, str]
) -> Recommendation | None:
    """The reasons to suggest ``session`` and its score; None when its level does not fit."""
    reasons = []
    score = 0
    followed = history.highest.get(session.language.code)
    if followed is not None and followed[0].level == _LEVELS[-1]:
        # After C2 there is no next level: the profile's level (or any) decides.
        followed = None
    if followed is not None:
        previous, ended = followed
        if session.level != _next_level(previous.level) or (
            not ended and session.starts_on <= previous.ends_on
        ):
            return None
        score += 4
        values = {"level": session.level, "title": _quoted(previous.title)}
        if ended:
            reasons.append(
                _("The next level (%(level)s) after %(title)s, which you followed.") % values
            )
        else:
            values["date"] = date_format(previous.ends_on, "j F Y")
            reasons.append(
                _("The next level (%(level)s), to go on after %(title)s ends on %(date)s.") % values
            )
    elif profile_level:
        if session.level != profile_level:
            return None
        score += 3
        reasons.append(
            _("%(language)s, at the level your profile gives (%(level)s).")
            % {"language": session.language.name, "level": profile_level}
        )
    else:
        reasons.append(
            _("%(language)s: a language you want to learn.") % {"language": session.language.name}
        )
    if session.site_id in history.site_names:
        score += 1
        reasons.append(
            _("At %(site)s, where you have followed a session before.")
            % {"site": history.site_names[session.site_id]}
        )
    if keywords:
        stems = _session_stems(session)
        matched = [word for stem, word in keywords.items() if stem in stems][:2]
        if matched:
            score += len(matched)
            reasons.append(
                _("It matches your objectives: %(words)s.")
                % {"words": ", ".join(_quoted(word) for word in matched)}
            )
    return Recommendation(session=session, reasons=tuple(reasons), score=score)
