"""The widget's answer options: every button says what it shows, as the interview codes it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels import state
from bot.interview.replies import respondent_of, yes_no
from bot.knowledge import UNKNOWN, get_dictionary
from bot.nlp import interpret

FINDINGS = get_dictionary().findings
CHOICE_FINDINGS = [c for c, f in FINDINGS.items() if f.type in ("bool", "enum", "multi")]


def expected(code: str, value: str) -> Any:
    return [value] if FINDINGS[code].type == "multi" and value != UNKNOWN else value


@pytest.mark.parametrize("code", CHOICE_FINDINGS)
def test_each_option_is_coded_to_its_value(code: str) -> None:
    spec = state.question_input(code, {})
    assert spec is not None
    for option in spec["options"]:
        result = interpret(code, option["payload"], {})
        assert result.value == expected(code, option["value"]), option


@pytest.mark.parametrize("code", CHOICE_FINDINGS)
def test_options_cover_every_value_and_dont_know(code: str) -> None:
    spec = state.question_input(code, {})
    assert spec is not None
    values = [o["value"] for o in spec["options"]]
    allowed = list(FINDINGS[code].values) or ["yes", "no"]
    # "I don't know" is offered unless the finding has its own value for it ("not sure")
    own = interpret(code, "I don't know", {}).value
    assert values == [*allowed, UNKNOWN] if own == UNKNOWN else values == allowed
    assert own in values
    assert (
        spec["kind"] == {"bool": "choice", "enum": "choice", "multi": "multi"}[FINDINGS[code].type]
    )


@pytest.mark.parametrize("code", [c for c, f in FINDINGS.items() if f.type == "multi"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_checked_boxes_together_are_coded_to_all_of_them(code: str, data: st.DataObject) -> None:
    options = [o for o in state.question_input(code, {})["options"] if o["value"] != UNKNOWN]
    if code == "known_diagnoses":
        options = [o for o in options if o["value"] != "none"]  # "none" goes alone
    chosen = data.draw(
        st.lists(st.sampled_from(options), min_size=1, unique_by=lambda o: o["value"])
    )
    text = ", ".join(o["payload"] for o in chosen)  # what the widget sends
    order = list(FINDINGS[code].values)
    assert interpret(code, text, {}).value == sorted((o["value"] for o in chosen), key=order.index)


def test_control_questions_are_understood() -> None:
    for slot in ("consent", "summary_confirmed"):
        spec = state.question_input(slot, {})
        assert spec is not None
        assert [yes_no(o["payload"]) for o in spec["options"]] == ["yes", "no"]
    respondents = state.question_input("respondent", {})
    assert respondents is not None
    # the widget is never staff: it offers no clinician (CONTRACT.md)
    assert [respondent_of(o["payload"]) for o in respondents["options"]] == ["patient", "proxy"]


def test_a_change_after_the_read_back_is_picked_by_number() -> None:
    slots = {"awaiting_change": True, "age": 40, "raynaud": "yes"}
    spec = state.question_input("summary_confirmed", slots)
    assert spec is not None and spec["kind"] == "choice"
    assert [o["payload"] for o in spec["options"]] == ["1", "2"]
    assert [o["value"] for o in spec["options"]] == ["age", "raynaud"]


def test_the_read_back_card_is_the_widgets_and_goes_when_a_change_is_picked() -> None:
    slots = {"age": 40, "raynaud": "yes"}
    shown = state.widget_input("summary_confirmed", slots)
    assert shown is not None and [o["value"] for o in shown["options"]] == ["yes", "no"]
    items = [item["code"] for group in shown["card"] for item in group["items"]]
    assert sorted(items) == ["age", "raynaud"]  # every answer given, once
    assert "card" not in (state.question_input("summary_confirmed", slots) or {})
    picking = state.widget_input("summary_confirmed", {**slots, "awaiting_change": True})
    assert picking is not None and "card" not in picking


@pytest.mark.parametrize("code", ["age", "lesion_onset_age"])
def test_numbers_offer_dont_know_only(code: str) -> None:
    assert state.question_input(code, {}) == {"kind": "number", "options": [state.DONT_KNOW]}
    assert interpret(code, state.DONT_KNOW["payload"], {}).value == UNKNOWN


def test_the_story_offers_nothing_to_add() -> None:
    spec = state.question_input("free_text_story", {})
    assert spec == {"kind": "text", "options": [state.NOTHING_TO_ADD]}
    assert interpret("free_text_story", "Nothing to add", {}).value == "Nothing to add"


def test_progress_comes_from_the_engine() -> None:
    from bot import workup

    slots = {"consent": "yes", "respondent": "patient", "raynaud": "yes", "requested_slot": "age"}
    shown = state.widget_state(slots, "interview_form")
    assert shown["questions_left"] == workup.questions_left({"raynaud": "yes"})
    assert state.widget_state(slots, None)["asking"] is None  # no form: nothing asked


def test_red_flag_advice_is_plain_for_patients_clinical_for_clinicians() -> None:
    slots = {"lesion_infection_signs": "yes"}
    patient = state.widget_state({**slots, "respondent": "patient"}, None)["red_flags"]
    clinician = state.widget_state({**slots, "respondent": "clinician"}, None)["red_flags"]
    [flag] = [f for f in get_flags() if f.code == "infected_lesion"]
    assert patient == [{"code": "infected_lesion", "advice": flag.advice}]
    assert clinician == [{"code": "infected_lesion", "advice": flag.clinician}]


def get_flags() -> list[Any]:
    from bot import workup

    return list(workup.check_red_flags({"lesion_infection_signs": "yes"}))


def test_the_sites_question_brings_the_body_map_with_the_answers_so_far() -> None:
    import re

    shown = state.widget_input("lesion_locations", {"lesion_locations": ["knees"]})
    assert shown is not None and shown["kind"] == "multi"
    regions = re.findall(r'data-value="(\w+)" role="checkbox" tabindex="0" aria-checked="(\w+)"',
                         shown["map"])  # fmt: skip
    listed = {o["value"] for o in shown["options"]} - {UNKNOWN}
    assert {code for code, _ in regions} == listed  # a region for every box of the list
    assert [code for code, on in regions if on == "true"] == ["knees"]
    assert "map" not in (state.widget_input("lesion_count", {}) or {})
    # Slack and Teams get the options alone: the map is the widget's
    assert "map" not in (state.question_input("lesion_locations", {}) or {})
