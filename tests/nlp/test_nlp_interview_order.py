"""The public vignettes answered in interview order (bot.workup.next_question), with findings
said in passing merged as the interview merges them (bot.interview.turn.merge_all). A question
not understood is asked again and answered with the plain value, as the outside evaluation does.
Measures what the NLP contributes to the stored summary, without Rasa."""

from __future__ import annotations

from typing import Any

import pytest
from nlp_rates import report, same
from nlp_vignette_eval import load

from bot.interview.turn import merge_all
from bot.nlp import interpret
from bot.workup import next_question

VALUE_WORDS = {"yes": "yes", "no": "no", "unknown": "I don't know"}


def plain(value: Any) -> str:
    if isinstance(value, list):
        return " and ".join(str(v).replace("_", " ") for v in value)
    return VALUE_WORDS.get(str(value), str(value).replace("_", " "))


def interview(answers: dict[str, Any]) -> dict[str, Any]:
    findings: dict[str, Any] = {}
    for _ in range(80):
        code = next_question(findings)
        if code is None:
            break
        answer = answers.get(code, {"say": "I'm not sure", "value": "unknown"})
        value = None
        for text in (answer["say"], plain(answer["value"]), "I don't know"):
            result = interpret(code, text, context=findings)
            for change in merge_all(findings, result.mentions, exclude={code}):
                findings[change.code] = change.new
            if result.value is not None:
                value = result.value
                break
        findings[code] = "unknown" if value is None else value
    return findings


def test_findings_stored_in_interview_order_match_the_vignettes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    total, misses = 0, []
    for vignette in load():
        answers = vignette["answers"]
        for code, value in interview(answers).items():
            if code in answers:
                total += 1
                if not same(value, answers[code]["value"]):
                    misses.append(
                        f"{vignette['id']} {code}: {value!r} (want {answers[code]['value']!r})"
                    )
    rate = report(capsys, "public vignettes in interview order", total, total - len(misses), misses)
    assert rate >= 0.95
