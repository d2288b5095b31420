"""Property tests: any text, for any finding, never crashes and codes to an allowed value."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.knowledge import UNKNOWN, get_dictionary
from bot.nlp import extract, interpret

FINDINGS = sorted(get_dictionary().findings)
WORDS = [
    "no", "yes", "not", "never", "maybe", "idk", "denies", "nil", "+", "?", "hard", "soft",
    "lumps", "fingers", "knuckles", "bum", "dialysis", "HD", "x3y", "62F", "lupus", "RA", "DM",
    "white", "black", "patch", "won't", "heal", "pus", "fever", "confused", "short", "of",
    "breath", "swallow", "stuck", "years", "ago", "months", "old", "forty-five", "3", "0",
    "200", "one", "a", "few", "many", "my", "mum", "has", "if", "I", "she", "he", "is", "are",
    ",", ".", "-", "!", "'s", "n't", "toothpaste", "chalky", "since", "birth", "baby", "about",
]  # fmt: skip
messages = st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join),
)
contexts = st.one_of(
    st.none(),
    st.fixed_dictionaries({"age": st.one_of(st.integers(-5, 200), st.text(max_size=3), st.none())}),
)


def allowed(code: str, value: Any) -> bool:
    if value is None or value == UNKNOWN:
        return True
    finding = get_dictionary().findings[code]
    return finding.check(value) == value


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(code=st.sampled_from(FINDINGS), message=messages, context=contexts)
def test_interpret_never_crashes_and_codes_allowed_values(
    code: str, message: str, context: Any
) -> None:
    result = interpret(code, message, context=context)
    assert result.finding == code
    assert allowed(code, result.value)
    if get_dictionary().findings[code].type == "text" and message.strip():
        assert result.value == message.strip()
    assert code not in result.mentions or get_dictionary().findings[code].type == "text"
    for other, value in result.mentions.items():
        assert value is not None and allowed(other, value)


@settings(max_examples=300, deadline=None)
@given(message=messages)
def test_extract_never_crashes_and_codes_allowed_values(message: str) -> None:
    for code, value in extract(message).items():
        assert code in get_dictionary().findings
        assert value is not None and allowed(code, value)


@settings(max_examples=200, deadline=None)
@given(code=st.sampled_from(FINDINGS), message=messages)
def test_interpret_is_deterministic(code: str, message: str) -> None:
    assert interpret(code, message) == interpret(code, message)


@settings(max_examples=150, deadline=None)
@given(message=st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join))
def test_a_negated_sentence_never_adds_a_yes(message: str) -> None:
    negated = f"I have never had any of this: no {message}"
    before = {k for k, v in extract(negated).items() if v == "yes"}
    assert before <= {k for k, v in extract(message).items() if v == "yes"}
