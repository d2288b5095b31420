"""The clinical data dictionary: finding, lab, differential, workup and red-flag codes.

``data-dictionary.yaml`` is a verbatim copy of the shared contract (a test checks it
has not drifted). ``extensions.yaml`` adds what Calx needs beyond it (follow-up
findings, group labels); it may add codes but never change one of the contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast

import yaml

HERE = Path(__file__).resolve().parent
DICTIONARY_FILE = HERE / "data-dictionary.yaml"
EXTENSIONS_FILE = HERE / "extensions.yaml"

FindingType = Literal["bool", "enum", "multi", "int", "text"]
FINDING_TYPES: tuple[str, ...] = ("bool", "enum", "multi", "int", "text")
UNKNOWN = "unknown"
BOOL_VALUES: tuple[str, ...] = ("yes", "no")
#: Largest plausible value of an ``int`` finding (ages in years).
MAX_INT = 130

_GROUP_RE = re.compile(r"^\s*#\s*-+\s*(.+?)\s*-+\s*$")
_FINDING_RE = re.compile(r"^  ([a-z_][a-z0-9_]*):\s*$")


class DictionaryError(ValueError):
    """A dictionary or knowledge file is malformed; the message names file and line."""


@dataclass(frozen=True)
class Finding:
    """One question of the interview, captured in a Rasa slot of the same name."""

    code: str
    type: FindingType
    ask: str
    ask_clinician: str
    why: str
    group: str
    values: tuple[str, ...] = ()
    extension: bool = False

    def allowed_values(self) -> tuple[str, ...]:
        """Coded values a ``bool``/``enum``/``multi`` finding may take (``unknown`` aside)."""
        return BOOL_VALUES if self.type == "bool" else self.values

    def check(self, value: Any) -> Any:
        """Return ``value`` in canonical form, or raise ``ValueError`` if not allowed.

        Every finding may be ``"unknown"``. ``multi`` takes a list (or one string),
        ``int`` an integer 0..130 (or a numeric string), ``text`` any string.
        """
        if value == UNKNOWN:
            return UNKNOWN
        if self.type == "bool" or self.type == "enum":
            if isinstance(value, bool) and self.type == "bool":
                return "yes" if value else "no"
            if value not in self.allowed_values():
                raise ValueError(self._bad(value))
            return value
        if self.type == "multi":
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list | tuple) or not items:
                raise ValueError(self._bad(value))
            bad = [v for v in items if v not in self.values]
            if bad:
                raise ValueError(self._bad(bad))
            return sorted(set(items), key=self.values.index)
        if self.type == "int":
            if isinstance(value, bool):
                raise ValueError(self._bad(value))
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise ValueError(self._bad(value)) from None
            if not 0 <= number <= MAX_INT or (isinstance(value, float) and value != number):
                raise ValueError(self._bad(value))
            return number
        if not isinstance(value, str):
            raise ValueError(self._bad(value))
        return value

    def _bad(self, value: Any) -> str:
        allowed = ", ".join(self.allowed_values()) if self.allowed_values() else self.type
        return f"{value!r} is not a valid value for {self.code} (allowed: {allowed}, unknown)"


@dataclass(frozen=True)
class Lab:
    """A lab result the clinician (or a resident) can enter."""

    code: str
    values: tuple[str, ...]
    name: str

    def check(self, value: Any) -> str:
        """Return ``value`` if allowed for this lab, else raise ``ValueError``."""
        if value not in self.values:
            raise ValueError(
                f"{value!r} is not a valid value for lab {self.code} "
                f"(allowed: {', '.join(self.values)})"
            )
        return cast(str, value)


@dataclass(frozen=True)
class Dictionary:
    """All codes of the contract plus Calx's extensions."""

    findings: dict[str, Finding]
    labs: dict[str, Lab]
    differential: dict[str, str]  # code -> group
    differential_notes: dict[str, str]
    labs_core: tuple[str, ...]
    labs_conditional: dict[str, str]
    imaging: dict[str, str]
    red_flags: dict[str, str]
    groups: dict[str, str] = field(default_factory=dict)  # group key -> heading
    workup_other: dict[str, str] = field(default_factory=dict)  # Calx's extra workup codes

    @property
    def contract_findings(self) -> tuple[str, ...]:
        """Finding codes of the shared contract, in dictionary order."""
        return tuple(c for c, f in self.findings.items() if not f.extension)

    def finding(self, code: str) -> Finding:
        """Return the finding ``code`` or raise ``KeyError`` with a clear message."""
        try:
            return self.findings[code]
        except KeyError:
            raise KeyError(f"unknown finding code {code!r}") from None

    def check_findings(self, findings: dict[str, Any]) -> dict[str, Any]:
        """Validate a ``{finding: value}`` mapping; raise ``ValueError`` on the first problem."""
        out: dict[str, Any] = {}
        for code, value in findings.items():
            if code not in self.findings:
                raise ValueError(f"unknown finding code {code!r}")
            out[code] = self.findings[code].check(value)
        return out

    def check_labs(self, labs: dict[str, Any]) -> dict[str, str]:
        """Validate a ``{lab: value}`` mapping; raise ``ValueError`` on the first problem."""
        out: dict[str, str] = {}
        for code, value in labs.items():
            if code not in self.labs:
                raise ValueError(f"unknown lab code {code!r}")
            out[code] = self.labs[code].check(value)
        return out


def _finding_groups(text: str) -> dict[str, str]:
    """Map each finding code to the heading of the comment block it stands under."""
    groups: dict[str, str] = {}
    heading = "general"
    in_findings = False
    for line in text.splitlines():
        if line.startswith("findings:"):
            in_findings = True
            continue
        if in_findings and line and not line.startswith((" ", "#")):
            break
        match = _GROUP_RE.match(line)
        if match:
            heading = match.group(1)
            continue
        match = _FINDING_RE.match(line)
        if in_findings and match:
            groups[match.group(1)] = heading
    return groups


def _require(mapping: Any, key: str, where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise DictionaryError(f"{where}: missing '{key}'")
    return mapping[key]


def _make_finding(code: str, spec: dict[str, Any], group: str, where: str, ext: bool) -> Finding:
    ftype = spec.get("type")
    if ftype not in FINDING_TYPES:
        raise DictionaryError(f"{where}: finding {code!r} has unknown type {ftype!r}")
    values = tuple(spec.get("values") or ())
    if ftype in ("enum", "multi") and not values:
        raise DictionaryError(f"{where}: finding {code!r} of type {ftype} needs values")
    ask = _require(spec, "ask", f"{where}: finding {code!r}")
    return Finding(
        code=code,
        type=cast(FindingType, ftype),
        values=values,
        ask=ask,
        ask_clinician=spec.get("ask_clinician") or ask,
        why=spec.get("why") or "It helps the clinician understand the lumps.",
        group=spec.get("group") or group,
        extension=ext,
    )


def load_dictionary(
    path: Path = DICTIONARY_FILE, extensions: Path | None = EXTENSIONS_FILE
) -> Dictionary:
    """Read and validate the dictionary (and Calx's extensions) into typed objects."""
    text = path.read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    where = str(path)
    groups = _finding_groups(text)
    findings = {
        code: _make_finding(code, spec, groups.get(code, "general"), where, ext=False)
        for code, spec in _require(raw, "findings", where).items()
    }
    ext_raw: dict[str, Any] = {}
    if extensions is not None and extensions.exists():
        ext_raw = yaml.safe_load(extensions.read_text(encoding="utf-8")) or {}
        for code, spec in (ext_raw.get("findings") or {}).items():
            if code in findings:
                raise DictionaryError(f"{extensions}: {code!r} redefines a contract finding")
            findings[code] = _make_finding(code, spec, "general", str(extensions), ext=True)
    lab_names = ext_raw.get("lab_names") or {}
    labs = {
        code: Lab(
            code,
            tuple(_require(spec, "values", f"{where}: lab {code}")),
            lab_names.get(code, code.replace("_", " ")),
        )
        for code, spec in _require(raw, "labs", where).items()
    }
    differential = {
        code: _require(spec, "group", f"{where}: differential {code}")
        for code, spec in _require(raw, "differential", where).items()
    }
    notes = {code: spec["note"] for code, spec in raw["differential"].items() if "note" in spec}
    workup = _require(raw, "workup", where)
    return Dictionary(
        findings=findings,
        labs=labs,
        differential=differential,
        differential_notes=notes,
        labs_core=tuple(_require(workup, "labs_core", where)),
        labs_conditional=dict(_require(workup, "labs_conditional", where)),
        imaging=dict(_require(workup, "imaging", where)),
        red_flags=dict(_require(raw, "red_flags", where)),
        groups=dict(ext_raw.get("group_titles") or {}),
        workup_other=dict(ext_raw.get("workup_other") or {}),
    )


@lru_cache(maxsize=1)
def get_dictionary() -> Dictionary:
    """The dictionary of this checkout, loaded once per process."""
    return load_dictionary()
