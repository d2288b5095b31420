"""Findings said in passing: caught when stated as facts, never a "yes" when negated or hypothetical."""

from __future__ import annotations

from typing import Any

import pytest

from bot.nlp import extract, interpret

ASKED_ELSEWHERE = ["age", "sex", "lesion_count", "dialysis", "kidney_disease", "free_text_story"]


@pytest.mark.parametrize(
    ("asked", "message", "value", "mentions"),
    [
        (
            "dialysis",
            "I'm on dialysis and my fingers go white in the cold",
            "yes",
            {"raynaud": "yes"},
        ),
        ("age", "62F", 62, {"sex": "female"}),
        ("age", "she is 5", 5, {"sex": "female"}),
        ("age", "my son is 14", 14, {"sex": "male"}),
        ("lesion_pain", "no pain but they are hard", "no", {"lesion_consistency": "hard"}),
        (
            "lesion_pain",
            "yes, and the skin over one has broken open",
            "yes",
            {"lesion_ulceration": "yes"},
        ),
        ("kidney_disease", "ESRD on HD for 2 years", "yes", {"dialysis": "yes"}),
        ("hypercalcemia_symptoms", "she's constipated and confused", "yes", {"confusion": "yes"}),
        (
            "known_diagnoses",
            "lupus, and I get mouth ulcers",
            ["lupus"],
            {"mouth_ulcers_or_hair_loss": "yes"},
        ),
        ("lesion_count", "lots, and they're rock hard", "many", {"lesion_consistency": "hard"}),
    ],
)
def test_answer_and_what_else_it_says(
    asked: str, message: str, value: Any, mentions: dict[str, Any]
) -> None:
    result = interpret(asked, message)
    assert result.value == value
    for code, want in mentions.items():
        assert result.mentions.get(code) == want, result.mentions
    assert asked not in result.mentions


RED_FLAG_TEXTS = [
    ("there's a black patch on my thigh that won't heal", "skin_necrosis"),
    ("the skin on my leg has gone black", "skin_necrosis"),
    ("one is red, hot and I've had fever", "lesion_infection_signs"),
    ("pus coming out of one of them", "lesion_infection_signs"),
    ("she's been confused since yesterday", "confusion"),
    ("he is very drowsy", "confusion"),
    ("my mum is not making sense", "confusion"),
    ("I can't swallow properly", "reflux_or_swallowing"),
    ("food gets stuck when I eat", "reflux_or_swallowing"),
    ("I'm short of breath", "breathing_difficulty"),
    ("very thirsty, constipated", "hypercalcemia_symptoms"),
]


@pytest.mark.parametrize("asked", ASKED_ELSEWHERE)
@pytest.mark.parametrize(("message", "code"), RED_FLAG_TEXTS)
def test_red_flag_findings_are_caught_whatever_is_asked(
    asked: str, message: str, code: str
) -> None:
    result = interpret(asked, message)
    found = {**result.mentions, **({asked: result.value} if asked == code else {})}
    assert found.get(code) == "yes", (asked, result)


@pytest.mark.parametrize(("message", "code"), RED_FLAG_TEXTS)
def test_red_flag_findings_in_extract(message: str, code: str) -> None:
    assert extract(message).get(code) == "yes"


NOT_A_YES = [
    "no fever, no pus",
    "I don't have Raynaud's",
    "if I get short of breath what should I do?",
    "what if the skin turns black?",
    "my mum has lupus",
    "my dad had kidney failure and was on dialysis",
    "worried it might be cancer",
    "they are checking for sarcoidosis",
    "is it possible that I have scleroderma?",
    "she's not confused at all",
    "not short of breath",
    "never been on dialysis",
    "no heartburn, swallowing is fine",
    "the doctor asked if I was thirsty",
    "no black patches and nothing that won't heal",
    "should I worry about infection?",
    "no redness, warmth or pus",
    "my muscles ache after work",
    "I feel tired all the time",
    "it's hard to say",
    "denies dysphagia, Raynaud's and skin tightening",
    "negative for SLE",
    "?sarcoid ?malignancy",
    "r/o calciphylaxis",
    "calciphylaxis suspected",
    "lupus?",
    "lupus I think",
    "sarcoid maybe",
    "waiting for a kidney transplant",
    "in case it gets infected, what do I do?",
    "no history of cancer or chemo",
    "my sister has similar problems with her fingers going white",
    "not thirsty and not constipated",
    "I used to take calcium tablets years ago but not now",
]


@pytest.mark.parametrize("message", NOT_A_YES)
def test_negated_or_hypothetical_mentions_never_say_yes(message: str) -> None:
    found = extract(message)
    yes = {code for code, value in found.items() if value == "yes"}
    assert not yes, found
    assert not [d for d in found.get("known_diagnoses", []) if d != "none"], found


@pytest.mark.parametrize("asked", ["age", "lesion_count", "free_text_story"])
@pytest.mark.parametrize("message", NOT_A_YES)
def test_no_yes_in_passing_while_another_question_is_open(asked: str, message: str) -> None:
    mentions = interpret(asked, message).mentions
    assert "yes" not in mentions.values(), mentions


@pytest.mark.parametrize(
    ("message", "absent"),
    [
        ("my muscles ache", "muscle_weakness"),
        ("muscle aches and cramps", "muscle_weakness"),
        ("tired all the time", "muscle_weakness"),
        ("my joints hurt", "lesion_pain"),
        ("the lumps are painful", "joint_pain_swelling"),
        ("I have dark skin", "skin_necrosis"),
        ("my vitamin D level was low", "vitamin_d_high_dose"),
        ("calcium was high on the last blood test", "calcium_or_antacid_intake"),
        ("I'm diabetic", "known_diagnoses"),
        ("DM x10y", "known_diagnoses"),
        ("milky white stuff came out", "calcium_or_antacid_intake"),
        ("it's hard to walk", "lesion_consistency"),
        ("on the other hand they itch", "lesion_locations"),
        ("they're on my elbows", "lesion_locations"),
    ],
)
def test_no_mention_from_look_alike_words(message: str, absent: str) -> None:
    assert absent not in extract(message)


def test_joints_ok_is_a_no() -> None:
    assert extract("joints are ok")["joint_pain_swelling"] == "no"
    assert interpret("age", "45, my joints are fine").mentions["joint_pain_swelling"] == "no"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("actually I do get white fingers", {"raynaud": "yes"}),
        ("sorry, I meant I'm not on dialysis", {"dialysis": "no"}),
        ("I was wrong, she has had a kidney transplant", {"organ_transplant": "yes"}),
        ("correction: no Raynaud's", {"raynaud": "no"}),
        ("actually they're soft, like toothpaste", {"lesion_consistency": "soft_paste"}),
        (
            "62F lcSSc, Raynaud's +, denies dysphagia, HD x3y",
            {
                "age": 62,
                "sex": "female",
                "known_diagnoses": ["systemic_sclerosis"],
                "raynaud": "yes",
                "dialysis": "yes",
            },
        ),
        (
            "45M, SLE, CKD4 not on dialysis, no transplant, vit D 50k weekly",
            {
                "age": 45,
                "sex": "male",
                "known_diagnoses": ["lupus"],
                "kidney_disease": "yes",
                "dialysis": "no",
                "organ_transplant": "no",
                "vitamin_d_high_dose": "yes",
            },
        ),
        (
            "7 yo girl with JDM, Gottron's papules, proximal weakness, dysphagia",
            {
                "age": 7,
                "sex": "female",
                "known_diagnoses": ["dermatomyositis"],
                "heliotrope_or_gottron_rash": "yes",
                "muscle_weakness": "yes",
                "reflux_or_swallowing": "yes",
            },
        ),
        (
            "I'm typing for my husband, he's been on peritoneal dialysis for years",
            {"sex": "male", "dialysis": "yes"},
        ),
        (
            "My daughter is 9. She has hard lumps on her knees.",
            {"age": 9, "sex": "female", "lesion_consistency": "hard"},
        ),
        ("Any questions? My fingers go white in the cold", {"raynaud": "yes"}),
        ("is it lupus? I have Raynauds", {"raynaud": "yes"}),
    ],
)
def test_extract_corrections_and_shorthand(message: str, expected: dict[str, Any]) -> None:
    found = extract(message)
    for code, value in expected.items():
        assert found.get(code) == value, (code, found)


@pytest.mark.parametrize(
    ("message", "places"),
    [
        ("hard lumps on her elbows and knees", ["elbows", "knees"]),
        ("calcinosis fingertips + forearms", ["fingers", "forearms"]),
        ("white spots on my fingers", ["fingers"]),  # no other word for the lumps: theirs
        # a rash's places are not the lumps' when the lumps have a word of their own
        (
            "a rash on my eyelids and hands and red spots on my thighs. "
            "my mum felt hard bumps on my elbows",
            ["elbows"],
        ),
        (
            "Erythematous patches forehead/nose, small plaques on knees, "
            "multiple firm SC nodules on dorsal hands and elbows",
            ["hands", "elbows"],
        ),
    ],
)
def test_the_places_of_the_lumps_said_in_passing(message: str, places: list[str]) -> None:
    assert sorted(extract(message)["lesion_locations"]) == sorted(places)


def test_a_hedge_on_a_texture_is_the_in_between_value_not_unknown() -> None:
    said = "they're so tiny I honestly can't tell, firm-ish? like grains under the skin"
    assert interpret("lesion_consistency", said).value == "unsure"
    assert interpret("lesion_pain", "maybe a bit, but doesn't everyone?").value == "unknown"
