"""The question banks are well formed: adding a language is a data change these checks guard."""

from __future__ import annotations

import pytest

from cll.placement.questions import BANKS, LEVELS, READING


def test_it_has_a_test_for_the_schools_main_languages():
    assert {"en", "nl", "fr"} <= set(BANKS)


@pytest.mark.parametrize("code", sorted(BANKS))
def test_it_stages_every_bank_from_a1_to_c2(code):
    bank = BANKS[code]
    assert bank.language == code
    assert tuple(stage.level for stage in bank.stages) == LEVELS
    for stage in bank.stages:
        assert stage.text.strip()
        assert len(stage.questions) == 4
        reading = [question for question in stage.questions if question.skill == READING]
        # Reading comprehension and grammar or vocabulary at every level.
        assert len(reading) >= 1
        assert len(reading) < len(stage.questions)
        for question in stage.questions:
            assert question.prompt.strip()
            assert len(question.choices) >= 3
            assert len(set(question.choices)) == len(question.choices)
            assert 0 <= question.answer < len(question.choices)


@pytest.mark.parametrize("code", sorted(BANKS))
def test_it_does_not_always_put_the_answer_in_the_same_place(code):
    answers = [question.answer for stage in BANKS[code].stages for question in stage.questions]
    assert len(set(answers)) >= 3


def test_it_writes_french_with_its_typography():
    texts = [stage.text for stage in BANKS["fr"].stages] + [
        question.prompt for stage in BANKS["fr"].stages for question in stage.questions
    ]
    assert not any(" ?" in text or " :" in text or " ;" in text for text in texts)
    assert any("\N{NO-BREAK SPACE}?" in text for text in texts)
