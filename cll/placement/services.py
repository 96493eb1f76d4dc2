"""Writes of the placement app.

A test's progress is written to the Django session only (``selectors.SESSION_KEY``): a
visitor leaves nothing else behind. The one database write is the learner's own choice to
save the estimated level to their profile, through the accounts service that audits it.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

from django.db import transaction

from cll.accounts.models import PROFILE_FIELDS, LearnerProfile, User
from cll.accounts.services import profile_update
from cll.placement.questions import BANKS
from cll.placement.selectors import SESSION_KEY, Progress, progress_get_for


class StaleStage(Exception):
    """The answers are for another stage than the one the test is at (a page submitted twice,
    or an old page from the browser's history): nothing is scored."""


class NoProfile(Exception):
    """The account has no learner profile to save a level to."""


def placement_answer(
    *, store: MutableMapping[str, Any], language: str, stage: int, answers: Sequence[int]
) -> Progress:
    """Score the answers to stage ``stage`` of the test in ``language`` and keep the score in
    the session ``store``; returns the new progress.

    Scored here, against the key in cll/placement/questions.py, never in the browser. Answers
    to the first stage start a test (replacing a finished one, or one in another language);
    answers to any other stage than the next one raise ``StaleStage``, so an old page sent
    again from the browser's history changes nothing.
    """
    bank = BANKS[language]
    progress = progress_get_for(store=store, language=language)
    if stage == 0 and progress.finished:
        # The first page again after a result: a new attempt.
        progress = Progress(language)
    if progress.finished or stage != progress.stage or stage >= len(bank.stages):
        raise StaleStage(stage)
    questions = bank.stages[stage].questions
    if len(answers) != len(questions):
        raise ValueError("One answer per question is expected.")
    score = sum(
        1 for question, answer in zip(questions, answers, strict=True) if question.answer == answer
    )
    progress = Progress(language, (*progress.scores, score))
    store[SESSION_KEY] = progress.as_session()
    return progress


def placement_restart(*, store: MutableMapping[str, Any]) -> None:
    """Forget the test in progress (or its result)."""
    store.pop(SESSION_KEY, None)


def placement_level_save(*, user: User, level: str) -> bool:
    """Write ``level`` as the CEFR level of ``user``'s learner profile, at their request.

    Goes through ``accounts.services.profile_update``, which records the audit entry (the
    field's name, never its value) in the same transaction; the rest of the profile is passed
    as it is, read under the same row lock, so a concurrent edit is not overwritten. Returns
    whether the level changed. Raises ``NoProfile`` for an account without a learner profile
    (a staff account): there are no names to keep it valid with.
    """
    with transaction.atomic():
        profile = LearnerProfile.objects.select_for_update().filter(user=user).first()
        if profile is None:
            raise NoProfile(user.public_id)
        if profile.level == level:
            return False
        data = {name: getattr(profile, name) for name in PROFILE_FIELDS}
        data["level"] = level
        profile_update(user=user, data=data, actor=user)
    return True
