"""Every detour a conversation takes (bot.interview.detours, bot.nlp.detours, identifiers).

Examples are the project's own; the blind out-of-script turns (tests/data/nlu, ``turns:``)
are played against the real server by ``make eval-turns``.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from bot.interview import detours, readback, turn, wording
from bot.interview.turn import InterviewState
from bot.knowledge import UNKNOWN
from bot.nlp import detours as language
from bot.nlp import extract
from bot.nlp.identifiers import redact

STATE = InterviewState(consent="yes", respondent="patient", findings={"age": 50})


def handle(text: str, requested: str = "raynaud", value: Any = None, **kw: Any) -> Any:
    return detours.handle(kw.pop("state", STATE), requested, text, value, extract, **kw)


@pytest.mark.parametrize("text", ["skip", "pass", "I'd rather not say", "next question please"])
def test_a_skip_is_stored_unknown_and_said(text: str) -> None:
    result = handle(text)
    assert result.findings == {"raynaud": UNKNOWN}
    assert result.messages == [wording.text("skipped", "patient")]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("can we go back to the kidney question", "kidney_disease"),
        ("could I change my answer about dialysis?", "dialysis"),
        ("go back to the bit about the skin getting tight", "skin_thickening"),
        ("the age question was wrong", "age"),
    ],
)
def test_going_back_reopens_the_finding_its_words_name(text: str, code: str) -> None:
    result = handle(text)
    assert result.slots[turn.REOPEN] == code
    after = result.apply(STATE)
    assert turn.next_slot(after) == code
    answered = turn.answer_finding(after, code, "no", _Result("no" if code != "age" else 51))
    assert answered.slots[turn.REOPEN] is None


class _Result:
    def __init__(self, value: Any) -> None:
        self.value = value
        self.mentions: dict[str, Any] = {}


@pytest.mark.parametrize(
    "text", ["so what do you think it is?", "is it cancer?", "am I going to be ok?"]
)
def test_a_diagnosis_question_gets_a_kind_answer_and_the_question(text: str) -> None:
    result = handle(text)
    assert result.messages == [wording.text("diagnosis_question", "patient")]
    assert not result.findings
    assert result.slots[turn.REASKS] == STATE.reasks  # the form asks the question again


def test_an_answer_with_a_diagnosis_question_is_still_the_answer() -> None:
    assert handle("yes, is that bad?", value="yes") is None
    assert detours.aside("yes, is that bad?", "patient") == wording.text(
        "diagnosis_question", "patient"
    )


@pytest.mark.parametrize("text", ["this is a stupid bot", "how many more questions??", "ffs"])
def test_frustration_is_acknowledged_and_nothing_stored(text: str) -> None:
    result = handle(text)
    assert result.messages == [wording.text("frustration", "patient")]
    assert not result.findings


@pytest.mark.parametrize("text", ["{{7*7}}", "<script>alert(1)</script>", "' OR 1=1 --", "${age}"])
def test_markup_is_never_coded(text: str) -> None:
    result = handle(text, requested="age")
    assert result.messages == [wording.text("markup", "patient")]
    assert not result.findings


LETTER = """Dear Dr Smith,
Re: Mrs A Example, DOB: (date of birth removed)
Diagnosis: limited cutaneous systemic sclerosis.
History: Raynaud's phenomenon for 10 years, hard calcinotic nodules over both elbows.
Investigations: calcium 2.35 mmol/L (normal), phosphate 1.1 mmol/L.
Plan: X-ray of the elbows, review in clinic.
Yours sincerely,
Dr B Consultant"""


def test_a_pasted_letter_changes_nothing_until_the_person_says_yes() -> None:
    result = handle(LETTER, value="yes")
    assert not result.findings and not result.red_flags
    pending = result.slots[turn.PENDING]
    assert pending["raynaud"] == "yes"
    assert pending["lesion_consistency"] == "hard"
    waiting = result.apply(STATE)
    kept = detours.confirm_pending(waiting, "yes please", "affirm", 0.99)
    assert kept is not None
    assert kept.findings["raynaud"] == "yes"
    assert kept.slots[turn.PENDING] is None
    dropped = detours.confirm_pending(waiting, "no", "deny", 0.99)
    assert dropped is not None and not dropped.findings


def test_another_language_gets_a_notice_in_it() -> None:
    result = handle("Tengo bultos duros en los codos desde hace dos años")
    assert result.messages[0] == detours.notices()["es"]
    assert not result.findings
    assert language.language_of("hard lumps on both elbows") == ()


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("call me on 07700 900123 about it", ("phone",)),
        ("yes, email me at jo@example.com", ("email",)),
        ("NHS number 943 476 5919", ("health_number",)),
        ("we live at 12 Acacia Avenue, Leeds LS1 4AB", ("postal_address", "postcode")),
    ],
)
def test_identifiers_are_taken_out(text: str, kinds: tuple[str, ...]) -> None:
    found = redact(text)
    assert set(found.kinds) == set(kinds)
    assert "removed)" in found.text
    for part in ("07700", "jo@example", "943 476", "Acacia", "LS1"):
        assert part not in found.text


def test_a_birth_date_gives_the_age_and_is_taken_out() -> None:
    found = redact("she was born on 14/02/2016", today=datetime.date(2026, 12, 2))
    assert found.kinds == ("date_of_birth",)
    assert found.age_from_birth_date == 10
    assert "2016" not in found.text


@pytest.mark.parametrize("text", ["I'm 50", "took 1000 units a day", "since 2019", "about 3-4"])
def test_numbers_that_are_answers_are_kept(text: str) -> None:
    assert redact(text).text == text


def test_after_no_to_the_read_back_a_number_picks_the_answer() -> None:
    findings = {"age": 50, "raynaud": "yes", "dialysis": "no"}
    state = InterviewState(consent="yes", respondent="patient", findings=findings)
    listed = readback.change_list(findings, "patient")
    assert listed.splitlines()[0] == wording.text("ask_change", "patient")
    assert "3. " in listed
    waiting = InterviewState(**{**state.__dict__, "awaiting_change": True})
    picked = turn.answer_summary(waiting, "2", None, 0.0, extract)
    code = turn.answer_choices(findings)[1]
    assert picked.slots[turn.REOPEN] == code
    assert turn.next_slot(picked.apply(waiting)) == code
