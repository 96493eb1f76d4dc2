"""Answering the placement test in tests, from the key (which only the server holds)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from cll.placement.questions import BANKS


def right_answers(language: str, stage: int) -> list[int]:
    return [question.answer for question in BANKS[language].stages[stage].questions]


def answers_with(language: str, stage: int, right: int) -> list[int]:
    """The answers to ``stage`` with exactly ``right`` of them correct."""
    questions = BANKS[language].stages[stage].questions
    return [
        question.answer if index < right else (question.answer + 1) % len(question.choices)
        for index, question in enumerate(questions)
    ]


def post_stage(client, language: str, stage: int, answers: list[int], ui: str = "fr"):
    data = {"stage": str(stage)}
    data.update({f"q{index}": str(answer) for index, answer in enumerate(answers, start=1)})
    with translation.override(ui):
        url = reverse("placement:stage", args=[language])
    return client.post(url, data)


def take_test(client, language: str, rights: list[int]):
    """Answer stage after stage with ``rights[i]`` right answers at stage ``i``."""
    response = None
    for stage, right in enumerate(rights):
        response = post_stage(client, language, stage, answers_with(language, stage, right))
    return response
