"""Scoring the placement test: staged from A1 to C2, on the server, stopping at a failed stage."""

from __future__ import annotations

import pytest

from cll.placement import services
from cll.placement.selectors import SESSION_KEY, Progress, progress_get_for
from cll.placement.tests.helpers import answers_with, right_answers


def _take(store: dict, language: str, rights: list[int]) -> Progress:
    progress = None
    for stage, right in enumerate(rights):
        progress = services.placement_answer(
            store=store,
            language=language,
            stage=stage,
            answers=answers_with(language, stage, right),
        )
    return progress


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_it_gives_c2_when_every_answer_is_right(language):
    progress = _take({}, language, [4, 4, 4, 4, 4, 4])
    assert progress.finished
    assert progress.level == "C2"
    assert not progress.beginner


@pytest.mark.parametrize(
    ("rights", "level"),
    [
        ([4, 2], "A1"),
        ([4, 3, 4, 1], "B1"),
        ([3, 3, 3, 3, 3, 2], "C1"),
        ([4, 4, 4, 4, 0], "B2"),
    ],
)
def test_it_estimates_the_last_stage_passed(rights, level):
    progress = _take({}, "en", rights)
    assert progress.finished
    assert progress.level == level
    assert progress.scores == tuple(rights)


def test_it_places_a_beginner_who_fails_the_first_stage_in_a1():
    progress = _take({}, "fr", [2])
    assert progress.finished
    assert progress.level == "A1"
    assert progress.beginner


def test_it_goes_on_while_stages_are_passed():
    progress = _take({}, "nl", [4, 3])
    assert not progress.finished
    assert progress.stage == 2


def test_it_keeps_only_scores_in_the_session():
    store = {}
    _take(store, "en", [4, 3])
    assert store == {SESSION_KEY: {"language": "en", "scores": [4, 3]}}


def test_it_refuses_answers_to_another_stage_than_the_next():
    store = {}
    _take(store, "en", [4])
    with pytest.raises(services.StaleStage):
        services.placement_answer(
            store=store, language="en", stage=2, answers=right_answers("en", 2)
        )
    # The first page sent again mid-test (browser history) does not start over.
    with pytest.raises(services.StaleStage):
        services.placement_answer(
            store=store, language="en", stage=0, answers=right_answers("en", 0)
        )
    assert progress_get_for(store=store, language="en").scores == (4,)


def test_it_starts_a_new_attempt_after_a_result():
    store = {}
    _take(store, "en", [1])
    progress = services.placement_answer(
        store=store, language="en", stage=0, answers=right_answers("en", 0)
    )
    assert progress.scores == (4,)


def test_it_replaces_a_test_in_another_language():
    store = {}
    _take(store, "en", [4, 4])
    progress = _take(store, "nl", [4])
    assert progress.language == "nl"
    assert store[SESSION_KEY] == {"language": "nl", "scores": [4]}


def test_it_ignores_a_malformed_session():
    for saved in (
        "junk",
        {"language": "en", "scores": "44"},
        {"language": "en", "scores": [9]},
        {"language": "en", "scores": [1, 4]},
        {"language": "en", "scores": [4] * 7},
    ):
        assert progress_get_for(store={SESSION_KEY: saved}, language="en").scores == ()


def test_it_refuses_a_wrong_number_of_answers():
    with pytest.raises(ValueError):
        services.placement_answer(store={}, language="en", stage=0, answers=[0, 1])
