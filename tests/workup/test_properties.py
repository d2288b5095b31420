"""Property tests: any mix of findings and labs is handled sanely."""

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.knowledge import get_dictionary
from bot.workup import applicable, assess, check_red_flags, next_question

D = get_dictionary()


def value_strategy(code: str) -> st.SearchStrategy[Any]:
    finding = D.findings[code]
    unknown = st.just("unknown")
    if finding.type == "bool":
        return st.sampled_from(["yes", "no", "unknown"])
    if finding.type == "enum":
        return st.sampled_from([*finding.values, "unknown"])
    if finding.type == "multi":
        return st.lists(st.sampled_from(finding.values), min_size=1, unique=True) | unknown
    if finding.type == "int":
        return st.integers(0, 130) | unknown
    return st.text(max_size=40)


findings_st = st.fixed_dictionaries(
    {}, optional={code: value_strategy(code) for code in D.findings}
)
labs_st = st.fixed_dictionaries(
    {}, optional={code: st.sampled_from(lab.values) for code, lab in D.labs.items()}
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def scores(result: Any) -> dict[str, float]:
    return {c.code: c.score for c in result.differential}


@SETTINGS
@given(findings_st, labs_st)
def test_assess_never_crashes_and_scores_stay_in_0_1(findings: dict, labs: dict) -> None:
    result = assess(findings, labs)
    assert result.differential, "something always scores above zero"
    assert all(0.0 <= c.score <= 1.0 for c in result.differential)
    assert abs(sum(c.score for c in result.differential) - 1.0) < 1e-3
    assert [c.score for c in result.differential] == sorted(
        (c.score for c in result.differential), reverse=True
    )
    assert "mri" not in result.workup.imaging and "mri" in result.workup.not_recommended
    assert set(D.labs_core) <= set(result.workup.labs)
    assert {f.code for f in result.red_flags} <= set(D.red_flags)


@SETTINGS
@given(findings_st, labs_st, st.data())
def test_unknown_answers_change_no_score(findings: dict, labs: dict, data: st.DataObject) -> None:
    absent = [c for c in D.findings if c not in findings]
    extra = data.draw(st.lists(st.sampled_from(absent), unique=True)) if absent else []
    more = {**findings, **dict.fromkeys(extra, "unknown")}
    assert scores(assess(more, labs)) == scores(assess(findings, labs))
    assert check_red_flags(more) == check_red_flags(findings)


@SETTINGS
@given(findings_st, labs_st, st.randoms())
def test_order_of_findings_does_not_matter(findings: dict, labs: dict, rnd: random.Random) -> None:
    items = list(findings.items())
    rnd.shuffle(items)
    assert assess(dict(items), labs).to_dict() == assess(findings, labs).to_dict()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(findings_st)
def test_next_question_never_asks_an_answered_or_moot_finding(findings: dict) -> None:
    code = next_question(findings)
    if code is not None:
        assert code not in findings
        assert applicable(code, findings)
