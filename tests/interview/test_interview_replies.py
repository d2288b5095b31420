"""Reading yes/no and who is answering."""

from __future__ import annotations

import pytest

from bot.interview.replies import is_correction, refers_back, respondent_of, yes_no


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("yes, I agree", "affirm", "yes"),
        ("yes, that's all correct", "affirm", "yes"),
        ("Sure, go ahead", "inform", "yes"),
        ("ok", None, "yes"),
        ("that's fine", None, "yes"),
        ("no problem, go ahead", None, "yes"),
        ("it's correct", "inform", "yes"),
        ("no", "deny", "no"),
        ("nope", None, "no"),
        ("I don't agree", None, "no"),
        ("no, some of it is wrong", "deny", "no"),
        ("that's not right", None, "no"),
        ("hmm", "dont_know", None),
        ("what is this for", "ask_about", None),
    ],
)
def test_yes_no(text: str, intent: str | None, expected: str | None) -> None:
    assert yes_no(text, intent, 0.95) == expected


@pytest.mark.parametrize(("confidence", "expected"), [(0.95, "yes"), (0.5, None)])
def test_unclear_words_leave_it_to_a_confident_intent(
    confidence: float, expected: str | None
) -> None:
    assert yes_no("whatever you think", "affirm", confidence) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm the patient", "patient"),
        ("it's me", "patient"),
        ("i am 40 and the lumps are mine", "patient"),
        ("I'm answering for them, I'm family", "proxy"),
        ("I'm answering for my daughter", "proxy"),
        ("I am the patient's mother", "proxy"),
        ("carer", "proxy"),
        ("I'm a resident, asking about a patient of mine", "clinician"),
        ("rheum registrar with a case", "clinician"),
        ("I'm her GP", "clinician"),
        ("2", "proxy"),
        ("3", "clinician"),
        ("banana", None),
    ],
)
def test_respondent(text: str, expected: str | None) -> None:
    assert respondent_of(text) == expected


@pytest.mark.parametrize(
    ("text", "correction", "back"),
    [
        ("actually my fingers do go white", True, False),
        ("actually no", True, False),
        ("sorry, no, I'm not on dialysis", True, False),
        ("on second thought, yes", True, False),
        ("I said no to pain but they do hurt", True, False),
        ("sorry I meant yes", True, True),
        ("I meant 56, typo", True, True),
        ("oops, wrong answer", True, True),
        ("my mistake, no rash", True, True),
        ("can I change my last answer", True, True),
        ("my fingers go white in the cold", False, False),
        ("yes they hurt, I mean a lot", False, False),
        ("sorry, what do you mean?", False, False),
        ("they're actual lumps, hard ones", False, False),
    ],
)
def test_correction_wording(text: str, correction: bool, back: bool) -> None:
    assert is_correction(text) == correction
    assert refers_back(text) == back
