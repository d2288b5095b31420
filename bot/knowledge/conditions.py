"""Conditions of the knowledge base: compiled once, evaluated with three-valued logic.

A condition is a mapping; several keys must all hold:

* ``{finding: value}`` equality (a ``multi`` finding *contains* the value);
* ``{finding: [a, b]}`` any of the values (a ``multi`` finding shares one);
* ``{finding: {lt|le|gt|ge: n}}`` for ``int`` findings;
* ``{finding: {none_of: [a, b]}}`` the answer is known and is none of these;
* ``{lab: {code: value | [values]}}`` on lab results;
* ``{suspected: [causes]}``, ``{calcinosis_mass: true}`` and ``{leading_mimic: true}``
  (workup rules only);
* ``{all: [cond, ...]}`` and ``{any: [cond, ...]}``.

Evaluation returns ``True``, ``False`` or ``None`` (undecided: a finding it needs is
absent or ``"unknown"``). Evidence counts only when a condition is ``True``, so an
unknown answer is never taken as a "no".
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge.dictionary import UNKNOWN, Dictionary, DictionaryError

Tri = bool | None

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


@dataclass(frozen=True)
class Context:
    """What a condition is evaluated against."""

    findings: Mapping[str, Any]
    labs: Mapping[str, str] = field(default_factory=dict)
    suspected: frozenset[str] = frozenset()
    calcinosis_mass: bool = False
    leading_mimic: bool = False


class Condition:
    """Base class of compiled conditions."""

    #: Finding codes this condition reads (for indexing and question selection).
    findings: frozenset[str] = frozenset()

    def evaluate(self, ctx: Context) -> Tri:  # pragma: no cover - abstract
        """Return True, False or None (undecided)."""
        raise NotImplementedError

    def leaves(self) -> list[Condition]:
        """The finding tests inside this condition, in order."""
        return [self] if isinstance(self, FindingTest) else []


@dataclass(frozen=True, eq=False)
class FindingTest(Condition):
    """A test on one finding's answer."""

    code: str
    multi: bool
    kind: str  # "in" | "none_of" | comparison operator name
    values: frozenset[Any] = frozenset()
    number: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", frozenset({self.code}))

    def evaluate(self, ctx: Context) -> Tri:
        """Test the answer; absent or unknown answers are undecided."""
        value = ctx.findings.get(self.code)
        if value is None or value == UNKNOWN:
            return None
        if self.kind in _CMP:
            return _CMP[self.kind](value, self.number)
        hit = not self.values.isdisjoint(value) if self.multi else value in self.values
        return hit if self.kind == "in" else not hit


@dataclass(frozen=True, eq=False)
class LabTest(Condition):
    """A test on one lab result; a lab not entered is undecided."""

    code: str
    values: frozenset[str]

    def evaluate(self, ctx: Context) -> Tri:
        """Test the lab value."""
        value = ctx.labs.get(self.code)
        return None if value is None else value in self.values


@dataclass(frozen=True, eq=False)
class Suspected(Condition):
    """True when one of these causes is suspected (workup rules)."""

    codes: frozenset[str]

    def evaluate(self, ctx: Context) -> Tri:
        """Test the suspected set."""
        return not self.codes.isdisjoint(ctx.suspected)


@dataclass(frozen=True, eq=False)
class CalcinosisMass(Condition):
    """True when calcinosis causes hold enough of the differential (workup rules)."""

    def evaluate(self, ctx: Context) -> Tri:
        """Test the flag computed by the engine."""
        return ctx.calcinosis_mass


@dataclass(frozen=True, eq=False)
class LeadingMimic(Condition):
    """True when the leading cause is a mimic (workup rules)."""

    def evaluate(self, ctx: Context) -> Tri:
        """Test the flag computed by the engine."""
        return ctx.leading_mimic


@dataclass(frozen=True, eq=False)
class Junction(Condition):
    """Several parts joined with three-valued AND (``decisive=False``) or OR (``True``).

    The first part that evaluates to ``decisive`` decides; otherwise the result is
    undecided if any part is, else ``not decisive``.
    """

    parts: tuple[Condition, ...]
    decisive: bool

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", frozenset().union(*(p.findings for p in self.parts)))

    def evaluate(self, ctx: Context) -> Tri:
        """Kleene logic over the parts."""
        undecided = False
        for part in self.parts:
            result = part.evaluate(ctx)
            if result is self.decisive:
                return self.decisive
            if result is None:
                undecided = True
        return None if undecided else not self.decisive

    def leaves(self) -> list[Condition]:
        """Finding tests of all parts."""
        return [leaf for part in self.parts for leaf in part.leaves()]


def all_of(parts: tuple[Condition, ...]) -> Junction:
    """Every part holds."""
    return Junction(parts, decisive=False)


def any_of(parts: tuple[Condition, ...]) -> Junction:
    """At least one part holds."""
    return Junction(parts, decisive=True)


def _canonical(dictionary: Dictionary, code: str, value: Any, where: str) -> Any:
    """Map YAML's booleans to yes/no and check the value is one the dictionary allows."""
    finding = dictionary.findings[code]
    if finding.type == "bool" and isinstance(value, bool):
        value = "yes" if value else "no"
    if finding.type in ("bool", "enum", "multi") and value not in finding.allowed_values():
        raise DictionaryError(
            f"{where}: {value!r} is not a value of {code} "
            f"(allowed: {', '.join(finding.allowed_values())})"
        )
    return value


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _finding_test(dictionary: Dictionary, code: str, spec: Any, where: str) -> Condition:
    finding = dictionary.findings[code]
    multi = finding.type == "multi"
    if isinstance(spec, dict):
        if set(spec) == {"none_of"}:
            values = frozenset(_canonical(dictionary, code, v, where) for v in spec["none_of"])
            return FindingTest(code, multi, "none_of", values)
        parts: list[Condition] = []
        for op, number in spec.items():
            if op not in _CMP or finding.type != "int" or not isinstance(number, int):
                raise DictionaryError(f"{where}: bad test {op!r}: {number!r} on {code}")
            parts.append(FindingTest(code, multi, op, number=number))
        return parts[0] if len(parts) == 1 else all_of(tuple(parts))
    values = frozenset(_canonical(dictionary, code, v, where) for v in _as_list(spec))
    return FindingTest(code, multi, "in", values)


def _lab_tests(dictionary: Dictionary, spec: Any, where: str) -> list[Condition]:
    if not isinstance(spec, dict) or not spec:
        raise DictionaryError(f"{where}: 'lab' needs a mapping of lab codes to values")
    tests: list[Condition] = []
    for code, value in spec.items():
        if code not in dictionary.labs:
            raise DictionaryError(f"{where}: unknown lab code {code!r}")
        values = _as_list(value)
        for v in values:
            if v not in dictionary.labs[code].values:
                raise DictionaryError(f"{where}: {v!r} is not a value of lab {code}")
        tests.append(LabTest(code, frozenset(values)))
    return tests


def compile_condition(
    dictionary: Dictionary, spec: Any, where: str, *, workup: bool = False
) -> Condition:
    """Compile a condition mapping, failing loudly (with ``where``) on any unknown code or value.

    Args:
        dictionary: The codes that may be used.
        spec: The condition as read from YAML.
        where: ``file:line`` for error messages.
        workup: Whether ``suspected``/``calcinosis_mass`` (workup-only tests) are allowed.
    """
    if not isinstance(spec, dict) or not spec:
        raise DictionaryError(f"{where}: a condition must be a non-empty mapping, got {spec!r}")
    parts: list[Condition] = []
    for key, value in spec.items():
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise DictionaryError(f"{where}: '{key}' needs a non-empty list of conditions")
            sub = tuple(compile_condition(dictionary, v, where, workup=workup) for v in value)
            parts.append(all_of(sub) if key == "all" else any_of(sub))
        elif key == "lab":
            parts.extend(_lab_tests(dictionary, value, where))
        elif key == "suspected" and workup:
            unknown = [c for c in _as_list(value) if c not in dictionary.differential]
            if unknown:
                raise DictionaryError(f"{where}: unknown differential code(s) {unknown}")
            parts.append(Suspected(frozenset(_as_list(value))))
        elif key == "calcinosis_mass" and workup:
            parts.append(CalcinosisMass())
        elif key == "leading_mimic" and workup:
            parts.append(LeadingMimic())
        elif key in dictionary.findings:
            parts.append(_finding_test(dictionary, key, value, where))
        else:
            raise DictionaryError(f"{where}: unknown finding or test {key!r}")
    return parts[0] if len(parts) == 1 else all_of(tuple(parts))
