"""Reads of the placement app: which languages have a test, a stage's questions as the page
shows them (without the answer key), and the visitor's progress from their session.

The progress of a test lives in the Django session only (``SESSION_KEY``), for visitors and
learners alike: nothing is written to the database while a test is taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cll.courses.models import Language, Session
from cll.courses.selectors import language_list_for, session_list_for
from cll.placement.questions import BANKS, LEVELS, READING

SESSION_KEY = "placement"
# A stage is passed with at least this many correct answers out of its four.
PASS_MARK = 3


@dataclass(frozen=True)
class PublicQuestion:
    """A question as the page shows it: no answer key, so none can reach the browser."""

    name: str
    prompt: str
    choices: tuple[tuple[str, str], ...]
    is_reading: bool


@dataclass(frozen=True)
class PublicStage:
    number: int
    level: str
    text: str
    questions: tuple[PublicQuestion, ...]


@dataclass(frozen=True)
class Progress:
    """Where a test stands: the scores of the stages answered so far, in ``LEVELS`` order."""

    language: str
    scores: tuple[int, ...] = ()

    @property
    def stage(self) -> int:
        """Index of the next stage to answer."""
        return len(self.scores)

    @property
    def passed(self) -> int:
        return sum(1 for score in self.scores if score >= PASS_MARK)

    @property
    def finished(self) -> bool:
        # Staged: a failed stage ends the test, and so does passing the last one.
        return bool(self.scores) and (
            self.scores[-1] < PASS_MARK or len(self.scores) == len(LEVELS)
        )

    @property
    def level(self) -> str:
        """The estimated level: the highest stage passed (A1 for a beginner who passed none)."""
        return LEVELS[max(self.passed, 1) - 1]

    @property
    def beginner(self) -> bool:
        return self.finished and self.passed == 0

    def as_session(self) -> dict[str, Any]:
        return {"language": self.language, "scores": list(self.scores)}


def placement_language_list_for() -> list[Language]:
    """Languages taught (in the catalogue) that have a placement test, in catalogue order."""
    return [language for language in language_list_for() if language.code in BANKS]


def placement_language_get_for(*, code: str) -> Language:
    """The language ``code`` if it has a test and is taught; Language.DoesNotExist otherwise."""
    if code not in BANKS:
        raise Language.DoesNotExist(code)
    return Language.objects.get(code=code)


def stage_get_for(*, language: str, number: int) -> PublicStage:
    stage = BANKS[language].stages[number]
    return PublicStage(
        number=number,
        level=stage.level,
        text=stage.text,
        questions=tuple(
            PublicQuestion(
                name=f"q{index}",
                prompt=question.prompt,
                choices=tuple(
                    (str(value), choice) for value, choice in enumerate(question.choices)
                ),
                is_reading=question.skill == READING,
            )
            for index, question in enumerate(stage.questions, start=1)
        ),
    )


def progress_get_for(*, store: Mapping[str, Any], language: str) -> Progress:
    """The progress of the test in ``language`` kept in the session ``store``; a fresh one
    when there is none, or when the session holds a test in another language.

    The session is the server's (only its id is in the cookie), but its content is checked
    all the same: anything malformed counts as no progress.
    """
    saved = store.get(SESSION_KEY)
    if not isinstance(saved, dict) or saved.get("language") != language:
        return Progress(language)
    scores = saved.get("scores")
    stages = BANKS[language].stages
    if (
        not isinstance(scores, list)
        or len(scores) > len(stages)
        or not all(
            isinstance(score, int) and 0 <= score <= len(stage.questions)
            for score, stage in zip(scores, stages, strict=False)
        )
        # Only the last stage answered may have been failed: a failure ends the test.
        or any(score < PASS_MARK for score in scores[:-1])
    ):
        return Progress(language)
    return Progress(language, tuple(scores))


def recommended_session_list_for(*, language: str, level: str, limit: int = 6) -> list[Session]:
    """Open sessions of the estimated level in the tested language, the next to start first."""
    return list(session_list_for(language=language, level=level)[:limit])
