"""Corrections and the time of an answer: negations inside a symptom's own words, "not
anymore" read against the question's tense, a yes/no that belongs to another finding, and
where the lumps are (trunk vs abdomen, needle sites)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.knowledge import get_dictionary
from bot.nlp import extract, interpret
from bot.nlp.timing import EVER, TAKES_NOW

# ----------------------------------------------------------------------------- negated corrections

NEGATED_RAYNAUD = [
    "actually my fingers don't go white in the cold",
    "my fingers never go white",
    "no, my fingers do not change colour in the cold",
    "I was wrong, I don't get Raynaud's",
    "my hands dont really turn blue",
    "sorry, her fingers have never changed color",
    "correction - his toes do not go purple",
]


@pytest.mark.parametrize("message", NEGATED_RAYNAUD)
def test_negation_inside_the_symptom_words_is_a_no(message: str) -> None:
    assert extract(message).get("raynaud") == "no"
    assert interpret("raynaud", message).value == "no"


@pytest.mark.parametrize(
    ("message", "code", "value"),
    [
        # the negation is part of what the symptom is: still a yes
        ("sores that don't heal", "skin_necrosis", "yes"),
        ("a wound on my leg that won't heal", "skin_necrosis", "yes"),
        ("I can't swallow properly", "reflux_or_swallowing", "yes"),
        ("my kidneys don't work", "kidney_disease", "yes"),
        ("she isn't making sense", "confusion", "yes"),
        # the negation fell between the symptom's words: a no
        ("my joints don't hurt", "joint_pain_swelling", "no"),
        ("food never gets stuck", "reflux_or_swallowing", "no"),
        ("my skin hasn't become tight", "skin_thickening", "no"),
    ],
)
def test_negation_spelled_by_the_symptom_or_between_its_words(
    message: str, code: str, value: str
) -> None:
    assert interpret(code, message).value == value


# ----------------------------------------------------------------------------- "not anymore"


def test_time_classes_follow_the_questions_wording() -> None:
    findings = get_dictionary().findings
    for code in EVER:
        ask = findings[code].ask.lower()
        assert re.search(r"\b(?:have|has|did)\b", ask), (code, ask)
        assert findings[code].type == "bool"
    for code in TAKES_NOW:
        assert findings[code].ask.lower().startswith("do you take"), code


@pytest.mark.parametrize(
    ("code", "message", "value"),
    [
        # asked about the whole past ("Are you on dialysis, or have you been?"): it happened
        ("dialysis", "she's not on dialysis anymore", "yes"),
        ("dialysis", "not anymore", "yes"),
        ("dialysis", "no longer, I had a transplant", "yes"),
        ("dialysis", "I used to be", "yes"),
        ("dialysis", "I was, before my transplant", "yes"),
        ("dialysis", "came off dialysis in 2020", "yes"),
        ("dialysis", "not at the moment", None),
        ("dialysis", "never been on dialysis", "no"),
        ("cancer_history", "I don't have cancer anymore", "yes"),
        ("mouth_ulcers_or_hair_loss", "I used to get mouth ulcers", "yes"),
        ("parathyroid_disease", "not anymore, they took it out", "yes"),
        # what the person takes now: stopped is a no
        ("vitamin_d_high_dose", "I don't actually take vitamin D", "no"),
        ("vitamin_d_high_dose", "I stopped taking vitamin D", "no"),
        ("vitamin_d_high_dose", "not anymore", "no"),
        ("calcium_or_antacid_intake", "I stopped the Tums last year", "no"),
        ("calcium_or_antacid_intake", "used to, not now", "no"),
        # a recent time: stopping is no answer to "how recently"
        ("chemotherapy_recent", "stopped chemo 2 weeks ago", "yes"),
        ("chemotherapy_recent", "not on chemo anymore", None),
        # a present state: "not anymore"/"not now" is a no, a bare "used to" is asked again
        ("raynaud", "not anymore", "no"),
        ("raynaud", "my fingers don't go white anymore", "no"),
        ("reflux_or_swallowing", "I used to have heartburn", None),
        ("raynaud", "used to, not now", "no"),
    ],
)
def test_stopped_is_read_against_the_question(code: str, message: str, value: Any) -> None:
    assert interpret(code, message).value == value


@pytest.mark.parametrize(
    ("message", "expected", "absent"),
    [
        ("she's not on dialysis anymore", {"dialysis": "yes"}, ()),
        ("I stopped taking vitamin D", {"vitamin_d_high_dose": "no"}, ()),
        (
            "I was on dialysis and I take vitamin D",
            {"dialysis": "yes", "vitamin_d_high_dose": "yes"},
            (),
        ),
        ("I used to get heartburn", {}, ("reflux_or_swallowing",)),
        ("the calcium tablets I stopped last year", {"calcium_or_antacid_intake": "no"}, ()),
        (
            "no longer on dialysis since my transplant",
            {"dialysis": "yes", "organ_transplant": "yes"},
            (),
        ),
    ],
)
def test_stopped_in_passing(
    message: str, expected: dict[str, Any], absent: tuple[str, ...]
) -> None:
    found = extract(message)
    for code, value in expected.items():
        assert found.get(code) == value, (code, found)
    for code in absent:
        assert code not in found, found


# ----------------------------------------------------------------------------- yes/no of another finding

OTHER_FINDING_CLAUSES = [
    ("actually I do get white fingers", "raynaud", "yes"),
    ("yes I do get white fingers", "raynaud", "yes"),
    ("Yes, I do get Raynaud's", "raynaud", "yes"),
    ("I have lupus", "known_diagnoses", ["lupus"]),
    ("yes I'm on dialysis", "dialysis", "yes"),
    # heartburn is only part of its finding: a negated part is no mention ("partial")
    ("no I don't get heartburn", "reflux_or_swallowing", None),
    ("I do take vitamin D", "vitamin_d_high_dose", "yes"),
    ("she does have kidney failure", "kidney_disease", "yes"),
]
ASKED = ["dialysis", "raynaud", "organ_transplant", "sarcoidosis", "lesion_pain", "kidney_disease"]


@pytest.mark.parametrize(
    ("asked", "message", "code", "value"),
    [(asked, *case) for asked in ASKED for case in OTHER_FINDING_CLAUSES if case[1] != asked],
)
def test_an_i_do_about_another_finding_is_no_answer(
    asked: str, message: str, code: str, value: Any
) -> None:
    result = interpret(asked, message)
    assert result.value is None, result
    assert result.mentions.get(code) == value, result


@pytest.mark.parametrize(
    ("asked", "message", "value"),
    [
        ("dialysis", "yes I do, and my fingers go white", "yes"),
        ("dialysis", "yes, three times a week", "yes"),
        ("dialysis", "I am", "yes"),
        ("dialysis", "no. but I do get white fingers", "no"),
        ("raynaud", "yes I do, I'm also on dialysis", "yes"),
        ("raynaud", "I do, in winter", "yes"),
        ("lesion_pain", "yes, the ones on my elbows", "yes"),
    ],
)
def test_a_yes_before_another_clause_still_answers(asked: str, message: str, value: str) -> None:
    assert interpret(asked, message).value == value


# ----------------------------------------------------------------------------- locations


@pytest.mark.parametrize(
    ("message", "sites"),
    [
        ("chest, back or belly", {"trunk", "thighs_abdomen_fatty"}),
        ("my tummy", {"thighs_abdomen_fatty"}),
        ("on her breast and abdomen", {"trunk", "thighs_abdomen_fatty"}),
        ("his lower back and belly button", {"trunk", "thighs_abdomen_fatty"}),
        ("where needles or drips went in", {"venipuncture_sites"}),
        ("where they put the IV", {"venipuncture_sites"}),
        ("at the cannula site", {"venipuncture_sites"}),
        ("where they took blood", {"venipuncture_sites"}),
        ("where they did the blood tests", {"venipuncture_sites"}),
        ("where I had my bloods taken", {"venipuncture_sites"}),
        ("where they stuck the needles in", {"venipuncture_sites"}),
        ("on the back of his hand where the drip went", {"hands", "venipuncture_sites"}),
        # a face landmark right after a face site only says where on it
        ("upper lid, the outer corner near the temple", {"eyelids_mouth"}),
        ("on the forehead, right above the left eye", {"face_head"}),
        # ... but a landmark elsewhere, or a new lump, is a place of its own
        ("on my arm near the elbow", {"arms_legs_other", "elbows"}),
        ("lip and one near the ear", {"eyelids_mouth", "face_head"}),
        # self-injected insulin goes under the skin, not into a vein
        ("on my stomach where I inject insulin", {"thighs_abdomen_fatty"}),
    ],
)
def test_locations(message: str, sites: set[str]) -> None:
    value = interpret("lesion_locations", message).value
    assert isinstance(value, list), value
    assert set(value) == sites


# ----------------------------------------------------------------------------- how an answer opens


@pytest.mark.parametrize(
    ("code", "message", "value"),
    [
        # a first clause with words of its own carries its own "no"
        ("constitutional_symptoms", "no fever, but I've lost 5kg", "yes"),
        ("lesion_pain", "not red, but really sore", "yes"),
        ("kidney_disease", "not on dialysis but I do have CKD", "yes"),
        ("confusion", "totally with it", "no"),
        # a bare "no" against the content is not understood
        ("lesion_pain", "no, but it hurts", None),
        # two negations cancel
        ("hypercalcemia_symptoms", "never not thirsty", "yes"),
        # but an answer word before a negation is the answer, not a second negation
        ("dialysis", "nope not on dialysis", "no"),
        ("dialysis", "nah never had dialysis", "no"),
        # a unit that only sounds like one after a tens word: asked again, not guessed
        ("age", "fourty too", None),
        ("lesion_onset_age", "fifty fore", None),
        ("age", "forty-two", 42),
        # a suspicion refuted
        ("sarcoidosis", "they thought it might be sarcoid but it wasn't", "no"),
        ("cancer_history", "they're testing for it", "unknown"),
        # "wouldn't say" is a polite no
        ("lesion_pain", "i wouldnt say painful", "no"),
        # explained weight loss is no unexplained weight loss
        ("constitutional_symptoms", "I've lost weight but I'm dieting", "no"),
        ("constitutional_symptoms", "lost a stone without trying", "yes"),
        # "cancer free" alone: never had it, or in remission?
        ("cancer_history", "cancer free", None),
        ("cancer_history", "cancer free since 2015", "yes"),
        # a new inability is no "stopped"
        ("muscle_weakness", "she can't climb stairs any more", "yes"),
        # ages to come, infant onset ages, hedged durations
        ("age", "she will be 7 in march", 6),
        ("lesion_onset_age", "they started when she was 18 months", 1),
        ("lesion_onset_age", "idk maybe 5 years", 35),
        ("lesion_onset_age", "they've been there about 7 yrs", 33),
        ("lesion_onset_age", "over the past year", 39),
        ("lesion_onset_age", "since my 30s", 30),
        ("lesion_onset_age", "in my 30s", None),
        ("age", "I'm 70 next birthday", 69),
        ("age", "48 y.o.", 48),
        ("sex", "I'm a woman", "female"),
        ("sarcoidosis", "not sure what that is", None),
        ("cancer_history", "my sister had cancer, not me", "no"),
        ("chemotherapy_recent", "had chemo in the 90s", "no"),
        ("calcium_or_antacid_intake", "a glass of milk a day", "no"),
        ("calcium_or_antacid_intake", "three pints of milk a day", "yes"),
        ("organ_transplant", "I wouldn't know", "unknown"),
        ("vitamin_d_high_dose", "I was on it but stopped", "no"),
        ("dialysis", "I was on it but stopped", "yes"),
    ],
)
def test_generic_answer_rules(code: str, message: str, value: Any) -> None:
    context = {"age": 40} if code == "lesion_onset_age" else None
    assert interpret(code, message, context).value == value


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("my dad was on dialysis before he died", {"dialysis": None}),
        (
            "had chemo for breast cancer in 2010",
            {"cancer_history": "yes", "chemotherapy_recent": None},
        ),
        ("used to take vitamin D but stopped in May", {"vitamin_d_high_dose": "no"}),
        ("no fever no weight loss no night sweats", {"constitutional_symptoms": "no"}),
        ("she's 4 and has never had a transplant", {"age": 4, "organ_transplant": "no"}),
        ("my daughter's 13, she has dermatomyositis", {"age": 13, "sex": "female"}),
        ("my fingers used to go white as a kid", {"raynaud": None}),
        # a comma and a new subject end the "no"
        ("no pain, they're hard", {"lesion_consistency": "hard"}),
        ("no fever, night sweats or weight loss", {"constitutional_symptoms": "no"}),
        # "family history of X" and "X runs in the family" are a relative's X, and no
        # family history of lumps unless they name lumps
        ("family history of lupus", {"known_diagnoses": None, "family_history_calcinosis": None}),
        ("no family history of CKD", {"kidney_disease": None, "family_history_calcinosis": None}),
        ("diabetes and high cholesterol run in the family", {"high_cholesterol": None}),
        ("hyperlipidaemia in the family", {"high_cholesterol": None}),
        ("family history of similar nodules", {"family_history_calcinosis": "yes"}),
        ("FHx: nil", {"family_history_calcinosis": "no"}),
        # what the relative has, the patient has too
        ("my sister has scleroderma and so do I", {"known_diagnoses": ["systemic_sclerosis"]}),
        ("her mum gets Raynaud's, she does too", {"raynaud": "yes"}),
        # lipid values about the patient; a relative's are not
        ("LDL-C 6.3 mmol/L, not on treatment", {"high_cholesterol": "yes"}),
        ("serum cholesterol of 290", {"high_cholesterol": "yes"}),
        ("total chol 4.1", {"high_cholesterol": "no"}),
        ("chol 5.8", {"high_cholesterol": None}),
        ("his father's LDL was 9", {"high_cholesterol": None}),
        ("on rosuvastatin 10 mg", {"high_cholesterol": "yes"}),
        ("cholesterol checked 2 years ago", {"high_cholesterol": None}),
        # an episode that is over says nothing about now
        ("one lump got infected in June but it healed", {"lesion_infection_signs": None}),
        ("she was weak at diagnosis, now she's fine", {"muscle_weakness": None}),
        # hard lumps with chalky content
        (
            "rock hard nodules, surgery found toothpaste-like material",
            {"lesion_consistency": "both"},
        ),
    ],
)
def test_generic_extract_rules(message: str, expected: dict[str, Any]) -> None:
    found = extract(message)
    for code, value in expected.items():
        assert found.get(code) == value, (code, found)
