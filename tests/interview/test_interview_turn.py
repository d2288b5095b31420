"""One turn of the interview: answers, re-asks, mentions, corrections, red flags, what's next."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import workup
from bot.interview import turn, wording
from bot.interview.turn import InterviewState, answer_consent, answer_finding, merge, next_slot
from bot.knowledge import UNKNOWN, get_dictionary
from bot.nlp import Interpretation, extract, interpret

DICTIONARY = get_dictionary()
STARTED = InterviewState(consent="yes", respondent="patient")


def said(code: str, value: Any, **mentions: Any) -> Interpretation:
    return Interpretation(finding=code, value=value, mentions=mentions)


# -- what comes next ---------------------------------------------------------------------------


def test_the_order_consent_respondent_findings_readback_end() -> None:
    assert next_slot(InterviewState()) == "consent"
    assert next_slot(InterviewState(consent="no")) is None
    assert next_slot(InterviewState(consent="yes")) == "respondent"
    assert next_slot(STARTED) == workup.next_question({})
    done = workup_done_findings()
    assert next_slot(InterviewState(consent="yes", respondent="patient", findings=done)) == (
        "summary_confirmed"
    )
    confirmed = InterviewState(
        consent="yes", respondent="patient", findings=done, summary_confirmed="yes"
    )
    assert next_slot(confirmed) is None


def workup_done_findings() -> dict[str, Any]:
    """Answer whatever the engine asks ("no"/first value) until it stops."""
    findings: dict[str, Any] = {}
    while (code := workup.next_question(findings)) is not None:
        finding = DICTIONARY.finding(code)
        if finding.type in ("enum", "multi"):
            findings[code] = [finding.values[0]] if finding.type == "multi" else finding.values[0]
        else:
            findings[code] = {"bool": "no", "int": 40, "text": "nothing"}[finding.type]
    return findings


def test_a_correction_that_makes_a_question_matter_asks_it_before_the_readback() -> None:
    done = {k: v for k, v in workup_done_findings().items() if k != "dialysis"}
    assert "kidney_disease" in done
    state = InterviewState(consent="yes", respondent="patient", findings=done)
    assert next_slot(state) == "summary_confirmed"
    corrected = replace(state, findings={**done, "kidney_disease": "yes"})
    assert next_slot(corrected) == "dialysis"


# -- answers --------------------------------------------------------------------------------------


def test_an_understood_answer_is_set_with_the_persons_words() -> None:
    result = answer_finding(STARTED, "age", "I'm 54", said("age", 54))
    assert result.findings == {"age": 54}
    assert result.answers == {"age": (54, "I'm 54")}
    assert result.slots[turn.REASKS] == 0
    assert result.slots[turn.LAST_ANSWERED] == "age"
    assert result.messages == []


def test_not_understood_is_reasked_twice_then_unknown() -> None:
    state = STARTED
    for attempt in (1, 2):
        result = answer_finding(state, "lesion_pain", "purple", said("lesion_pain", None))
        assert result.findings == {}
        assert result.slots[turn.REASKS] == attempt
        state = result.apply(state)
    result = answer_finding(state, "lesion_pain", "purple", said("lesion_pain", None))
    assert result.findings == {"lesion_pain": UNKNOWN}
    assert result.answers["lesion_pain"] == (UNKNOWN, "purple")
    assert result.messages == [wording.text("gave_up")]
    assert result.slots[turn.REASKS] == 0


def test_a_value_the_dictionary_refuses_is_not_understood() -> None:
    result = answer_finding(STARTED, "lesion_count", "eleventy", said("lesion_count", "eleventy"))
    assert result.findings == {}
    assert result.slots[turn.REASKS] == 1


def test_mentions_fill_other_findings_silently() -> None:
    text = "I'm on dialysis and my fingers go white in the cold"
    result = answer_finding(STARTED, "age", text, said("age", None, dialysis="yes", raynaud="yes"))
    assert result.findings == {"dialysis": "yes", "raynaud": "yes"}
    assert result.answers["raynaud"] == ("yes", text)
    assert result.slots[turn.REASKS] == 0, "a message about other things is not a failed attempt"
    assert result.messages == [wording.text("noted_other")]


RAYNAUD_NO = InterviewState(consent="yes", respondent="patient", findings={"raynaud": "no"})


@pytest.mark.parametrize(
    "text",
    [
        "they hurt, and my fingers go white",
        "yes they hurt, my fingers go white in the cold",
        "they do hurt. My fingers do go white",
    ],
)
def test_a_passing_mention_never_changes_an_answer_given(text: str) -> None:
    result = answer_finding(
        RAYNAUD_NO, "lesion_pain", text, said("lesion_pain", "yes", raynaud="yes")
    )
    assert result.findings == {"lesion_pain": "yes"}
    assert result.changes == []
    assert not any("changed" in m for m in result.messages)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("they hurt, and actually my fingers do go white", "inform"),
        ("I meant my fingers do go white, and yes they hurt", "inform"),
        ("sorry, no: my fingers do go white in the cold", "inform"),
        ("on second thought my fingers go white in the cold", "inform"),
        ("my fingers go white in the cold", turn.CORRECT_INTENT),
    ],
)
def test_a_correction_changes_an_answer_given_and_is_confirmed(text: str, intent: str) -> None:
    result = answer_finding(
        RAYNAUD_NO, "lesion_pain", text, said("lesion_pain", "yes", raynaud="yes"), intent=intent
    )
    assert result.findings == {"raynaud": "yes"}, "a correction answers nothing else"
    assert [(c.code, c.old, c.new, c.kind) for c in result.changes] == [
        ("raynaud", "no", "yes", "changed")
    ]
    label = wording.label("raynaud", "patient")
    assert result.messages == [
        wording.text("changed", "patient", label=label, value=wording.value_text("raynaud", "yes"))
    ]


@pytest.mark.parametrize("explicit", [False, True])
def test_a_mention_fills_an_unknown_answer_correction_or_not(explicit: bool) -> None:
    state = InterviewState(consent="yes", respondent="patient", findings={"raynaud": UNKNOWN})
    text = "actually my fingers go white" if explicit else "my fingers go white"
    result = answer_finding(state, "lesion_pain", text, said("lesion_pain", None, raynaud="yes"))
    assert result.findings == {"raynaud": "yes"}
    assert result.changes[0].old == UNKNOWN


def test_places_said_in_passing_are_added_not_replaced() -> None:
    state = InterviewState(
        consent="yes", respondent="patient", findings={"lesion_locations": ["elbows"]}
    )
    result = answer_finding(
        state,
        "lesion_pain",
        "no, the knee ones neither",
        said("lesion_pain", "no", lesion_locations=["knees"]),
    )
    assert result.findings["lesion_locations"] == ["elbows", "knees"]
    assert "added knees" in result.messages[0]


def test_an_explicit_correction_of_another_finding_answers_nothing_else() -> None:
    state = InterviewState(consent="yes", respondent="patient", findings={"raynaud": "no"})
    result = answer_finding(
        state,
        "muscle_weakness",
        "actually I do get white fingers",
        said("muscle_weakness", "yes", raynaud="yes"),
        intent=turn.CORRECT_INTENT,
    )
    assert result.findings == {"raynaud": "yes"}
    assert "muscle_weakness" not in result.findings


@pytest.mark.parametrize("intent", [turn.CORRECT_INTENT, "affirm"])
@pytest.mark.parametrize(
    "text", ["sorry I meant yes", "oops, my mistake: yes", "wrong answer, yes"]
)
def test_a_correction_naming_nothing_applies_to_the_previous_answer(intent: str, text: str) -> None:
    state = InterviewState(
        consent="yes", respondent="patient", findings={"raynaud": "no"}, last_answered="raynaud"
    )
    result = answer_finding(
        state,
        "lesion_pain",
        text,
        interpret("lesion_pain", text, state.findings),
        intent=intent,
        interpret=interpret,
    )
    assert result.findings == {"raynaud": "yes"}, "the question just asked is not answered"
    assert result.messages[0].startswith("Got it, I've changed")


def test_i_meant_after_a_reask_answers_the_question_reasked() -> None:
    state = InterviewState(
        consent="yes",
        respondent="patient",
        findings={"raynaud": "no"},
        last_answered="raynaud",
        reasks=1,
    )
    text = "sorry I meant yes"
    result = answer_finding(
        state,
        "lesion_pain",
        text,
        interpret("lesion_pain", text, state.findings),
        interpret=interpret,
    )
    assert result.findings == {"lesion_pain": "yes"}


def test_unknown_said_in_passing_never_fills_or_overwrites() -> None:
    state = InterviewState(consent="yes", respondent="patient", findings={"dialysis": "yes"})
    result = answer_finding(
        state, "age", "50", said("age", 50, dialysis=UNKNOWN, cancer_history=UNKNOWN)
    )
    assert result.findings == {"age": 50}


# -- red flags ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("respondent", "field"),
    [("patient", "advice"), ("proxy", "advice"), ("clinician", "clinician")],
)
def test_a_red_flag_is_told_at_once_and_once(respondent: str, field: str) -> None:
    state = InterviewState(consent="yes", respondent=respondent)
    result = answer_finding(
        state,
        "lesion_infection_signs",
        "yes one is red and hot",
        said("lesion_infection_signs", "yes"),
    )
    flag = workup.check_red_flags({"lesion_infection_signs": "yes"})[0]
    assert [f.code for f in result.red_flags] == ["infected_lesion"]
    assert any(getattr(flag, field) in m for m in result.messages)
    assert result.slots[turn.FLAGS_TOLD] == ["infected_lesion"]
    again = answer_finding(result.apply(state), "lesion_pain", "yes", said("lesion_pain", "yes"))
    assert again.red_flags == []


def test_a_red_flag_from_words_said_in_passing() -> None:
    state = InterviewState(consent="yes", respondent="patient", findings={"kidney_disease": "yes"})
    text = "there's a black patch on my thigh that won't heal"
    result = answer_finding(
        state, "lesion_count", text, interpret("lesion_count", text, state.findings)
    )
    assert result.findings.get("skin_necrosis") == "yes"
    assert [f.code for f in result.red_flags] == ["calciphylaxis_suspected"]


# -- interruptions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intent", "confidence", "value", "interrupts"),
    [
        ("ask_why", 0.99, None, True),
        ("ask_why", 0.99, "yes", True),
        ("out_of_scope", 0.5, "unsure", False),
        ("out_of_scope", 0.5, None, True),
        ("pause", 0.6, UNKNOWN, False),
        ("deny", 0.99, None, False),
        ("correct", 0.99, None, False),
        ("inform", 0.3, None, False),
    ],
)
def test_interruption_or_answer(
    intent: str, confidence: float, value: Any, interrupts: bool
) -> None:
    assert turn.is_interruption(intent, confidence, value) is interrupts


# -- consent, respondent, read-back --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent", "consent"), [("yes, I agree", "affirm", "yes"), ("no thanks", "deny", "no")]
)
def test_consent(text: str, intent: str, consent: str) -> None:
    assert turn.answer_consent(InterviewState(), text, intent, 0.9).slots[turn.CONSENT] == consent


def test_consent_unclear_is_asked_again() -> None:
    result = turn.answer_consent(InterviewState(), "what?", "out_of_scope", 0.4)
    assert turn.CONSENT not in result.slots
    assert result.slots[turn.REASKS] == 1


@pytest.mark.parametrize("who", ["patient", "proxy", "clinician"])
def test_respondent_gets_their_intro(who: str) -> None:
    text = {"patient": "I'm the patient", "proxy": "for my son", "clinician": "I'm a resident"}[who]
    result = turn.answer_respondent(InterviewState(consent="yes", staff=True), text)
    assert result.slots[turn.RESPONDENT] == who
    assert result.messages == [wording.text("intro", who)]


def test_a_clinician_is_taken_only_from_staff() -> None:
    result = turn.answer_respondent(InterviewState(consent="yes"), "I'm a resident")
    assert turn.RESPONDENT not in result.slots
    assert result.slots[turn.REASKS] == 1
    assert result.messages == [wording.text("clinician_elsewhere")]
    assert not InterviewState(respondent="clinician").clinician
    assert InterviewState(respondent="clinician", staff=True).clinician


def test_readback_yes_confirms() -> None:
    state = InterviewState(consent="yes", respondent="patient", findings={"age": 40})
    result = turn.answer_summary(state, "yes, that's all correct", "affirm", 0.99, extract)
    assert result.slots[turn.SUMMARY_CONFIRMED] == "yes"


def test_readback_no_then_a_correction_then_read_back_again() -> None:
    state = InterviewState(
        consent="yes", respondent="patient", findings={"age": 40, "dialysis": "no"}
    )
    first = turn.answer_summary(state, "no", "deny", 0.99, extract)
    assert first.slots[turn.AWAITING_CHANGE] is True
    state = first.apply(state)
    second = turn.answer_summary(state, "actually I am on dialysis", "correct", 0.99, extract)
    assert second.findings == {"dialysis": "yes"}
    assert second.slots[turn.AWAITING_CHANGE] is False
    assert second.slots[turn.SUMMARY_CONFIRMED] is None
    assert "Dialysis" in second.messages[0]


def test_readback_no_with_the_change_in_the_same_message() -> None:
    state = InterviewState(consent="yes", respondent="patient", findings={"raynaud": "no"})
    result = turn.answer_summary(
        state, "no, my fingers do go white in the cold", "deny", 0.99, extract
    )
    assert result.findings == {"raynaud": "yes"}


def test_readback_change_not_found_is_asked_again() -> None:
    state = InterviewState(
        consent="yes", respondent="patient", findings={"age": 40}, awaiting_change=True
    )
    result = turn.answer_summary(state, "the thing", "inform", 0.9, extract)
    assert result.slots[turn.REASKS] == 1
    assert result.findings == {}


# -- merging and progress ------------------------------------------------------------------------

VALUES = {
    code: (
        st.sampled_from([*f.allowed_values(), UNKNOWN])
        if f.type in ("bool", "enum")
        else st.lists(st.sampled_from(f.values), min_size=1, unique=True)
        if f.type == "multi"
        else st.integers(0, 130)
        if f.type == "int"
        else st.text(min_size=1, max_size=20)
    )
    for code, f in DICTIONARY.findings.items()
}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_merge_never_reports_a_non_change(data: st.DataObject) -> None:
    code = data.draw(st.sampled_from(list(VALUES)))
    old = data.draw(st.one_of(st.none(), VALUES[code]))
    new = data.draw(VALUES[code])
    explicit = data.draw(st.booleans())
    change = merge(code, old, new, explicit=explicit)
    if change is None:
        return
    assert change.new != change.old
    assert DICTIONARY.finding(code).check(change.new) == change.new
    if isinstance(old, list) and not explicit:
        assert set(old) <= set(change.new)
    if new == UNKNOWN:
        assert explicit


def test_progress_is_noted_sparingly() -> None:
    few = InterviewState(consent="yes", respondent="patient", findings={"age": 30})
    assert turn.progress_note(few) == (None, 0)
    many = InterviewState(
        consent="yes",
        respondent="patient",
        findings=dict.fromkeys(
            [
                "lesion_pain",
                "lesion_ulceration",
                "raynaud",
                "dialysis",
                "kidney_disease",
                "sarcoidosis",
            ],
            "no",
        ),
    )
    note, noted = turn.progress_note(many)
    assert note is not None and note.startswith("(about ")
    assert noted == 6
    assert turn.progress_note(replace(many, progress_noted=noted)) == (None, 6)
    # the widget shows its own progress line: no second, different number in the question
    assert turn.progress_note(replace(many, state_shown=True)) == (None, 0)


# -- who is typing, from the channel ----------------------------------------------------------


def test_the_channels_that_say_who_is_typing_are_calx_s_verified_ones() -> None:
    from bot.channels import slack, teams

    channels = {slack.SlackThreadInput.name(): slack, teams.TeamsInput.name(): teams}
    assert set(channels) == turn.RESPONDENT_CHANNELS
    for name, module in channels.items():
        metadata = {"calx": dict(module.CHANNEL_METADATA)}
        assert turn.channel_respondent(name, metadata) == "clinician"
        assert turn.channel_respondent("rest", metadata) is None


def test_consent_given_with_the_respondent_known_introduces_the_interview() -> None:
    known = answer_consent(InterviewState(respondent="clinician"), "yes", "affirm", 0.99)
    assert known.slots[turn.CONSENT] == "yes"
    assert known.messages == [wording.text("intro", "clinician")]
    assert next_slot(known.apply(InterviewState(respondent="clinician"))) == workup.next_question(
        {}
    )
    unknown = answer_consent(InterviewState(), "yes", "affirm", 0.99)
    assert unknown.messages == []
