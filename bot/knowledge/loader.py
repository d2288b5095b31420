"""Validating loader of the knowledge base (``bot/knowledge/*.yaml``).

Every rule must use codes and values of the data dictionary and cite a source: a
phrase quoted from the seed (checked against ``seed.txt``) or a short note marking
it general clinical knowledge. Any problem raises :class:`DictionaryError` naming
the file and line. The result is immutable and identified by ``rules_version``, a
hash of every knowledge file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import datafile
from bot.knowledge.conditions import Condition, compile_condition
from bot.knowledge.dictionary import (
    DICTIONARY_FILE,
    EXTENSIONS_FILE,
    HERE,
    Dictionary,
    DictionaryError,
    load_dictionary,
)

KNOWLEDGE_FILES = ("differential.yaml", "workup.yaml", "red_flags.yaml", "questions.yaml")
SEED_FILE = HERE / "seed.txt"
CALCINOSIS = "calcinosis"  # pseudo-group: every cause that is not a mimic
MIMIC = "mimic"


_LineLoader = datafile.LineLoader
_where = datafile.where


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: a seed quote, or general clinical knowledge."""

    seed: str | None = None
    general: str | None = None

    def cite(self) -> str:
        """Human-readable citation."""
        return f'seed: "{self.seed}"' if self.seed else f"general: {self.general}"


@dataclass(frozen=True)
class Evidence:
    """One item for or against a cause."""

    condition: Condition
    weight: float
    text: str
    source: Source
    exclude: bool = False


@dataclass(frozen=True)
class Cause:
    """A differential code with its evidence."""

    code: str
    name: str
    group: str
    prior: float
    confirm: str
    separates: str
    evidence: tuple[Evidence, ...]

    @property
    def is_mimic(self) -> bool:
        """Whether this is a condition that only looks like calcinosis."""
        return self.group == MIMIC


@dataclass(frozen=True)
class Rule:
    """A workup rule or a red flag: a condition with texts and a source."""

    code: str
    condition: Condition | None
    reason: str
    source: Source
    advice: str = ""
    clinician: str = ""


@dataclass(frozen=True)
class QuestionPolicy:
    """How next_question orders and stops."""

    opening: tuple[str, ...]
    red_flag_screens: tuple[str, ...]
    closing: tuple[str, ...]
    ask_if: dict[str, Condition]
    base_rates: dict[str, dict[Any, float]]
    default_yes: float
    min_gain: float
    min_flip: float


@dataclass(frozen=True, eq=False)
class KnowledgeBase:
    """Everything the engine needs, validated."""

    dictionary: Dictionary
    causes: dict[str, Cause]
    labs_core: tuple[str, ...]
    labs_core_reason: str
    labs_conditional: tuple[Rule, ...]
    other: tuple[Rule, ...]
    xray: Rule
    imaging_optional: tuple[Rule, ...]
    not_recommended: tuple[Rule, ...]
    suspect_min_score: float
    calcinosis_min_mass: float
    red_flags: tuple[Rule, ...]
    questions: QuestionPolicy
    rules_version: str


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip().lower()


class _Builder:
    """Reads the YAML files and turns them into typed, checked objects."""

    def __init__(self, directory: Path, dictionary: Dictionary, seed: str) -> None:
        self.dir = directory
        self.d = dictionary
        self.seed = _normalise(seed)

    def read(self, name: str) -> Any:
        path = self.dir / name
        try:
            return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506
        except (OSError, yaml.YAMLError) as exc:
            raise DictionaryError(f"{path.name}: cannot read: {exc}") from exc

    def source(self, path: Path, node: Any) -> Source:
        where = _where(path, node)
        raw = node.get("source") if isinstance(node, dict) else None
        if not isinstance(raw, dict) or not (raw.get("seed") or raw.get("general")):
            raise DictionaryError(f"{where}: rule without a source (seed quote or general)")
        quote = raw.get("seed")
        if quote and _normalise(str(quote)) not in self.seed:
            raise DictionaryError(f"{where}: seed quote not found in the seed: {quote!r}")
        return Source(seed=quote, general=raw.get("general"))

    def condition(self, path: Path, node: Any, key: str, *, workup: bool = False) -> Condition:
        if key not in node:
            raise DictionaryError(f"{_where(path, node)}: missing '{key}'")
        return compile_condition(self.d, node[key], _where(path, node), workup=workup)

    def evidence(self, path: Path, items: Any) -> tuple[Evidence, ...]:
        out: list[Evidence] = []
        for item in items or []:
            where = _where(path, item)
            exclude = bool(item.get("exclude"))
            weight = item.get("weight")
            if not exclude and not isinstance(weight, int | float):
                raise DictionaryError(f"{where}: evidence needs a numeric 'weight' or 'exclude'")
            if not item.get("text"):
                raise DictionaryError(f"{where}: evidence needs a 'text' for the clinician")
            out.append(
                Evidence(
                    condition=self.condition(path, item, "if"),
                    weight=float(weight or 0.0),
                    text=str(item["text"]),
                    source=self.source(path, item),
                    exclude=exclude,
                )
            )
        return tuple(out)

    def causes(self) -> dict[str, Cause]:
        path = self.dir / "differential.yaml"
        raw = self.read("differential.yaml")
        groups = {CALCINOSIS, *self.d.differential.values()}
        group_evidence: dict[str, tuple[Evidence, ...]] = {}
        for group, items in (raw.get("group_evidence") or {}).items():
            if group not in groups:
                raise DictionaryError(
                    f"{_where(path, raw['group_evidence'])}: unknown group {group}"
                )
            group_evidence[group] = self.evidence(path, items)
        causes_raw = raw.get("causes") or {}
        causes: dict[str, Cause] = {}
        for code, spec in causes_raw.items():
            where = _where(path, spec)
            if code not in self.d.differential:
                raise DictionaryError(f"{where}: unknown differential code {code!r}")
            if not spec.get("name"):
                raise DictionaryError(f"{where}: {code} needs a clinician-facing 'name'")
            group = self.d.differential[code]
            inherited = group_evidence.get(group, ())
            if group != MIMIC:
                inherited = inherited + group_evidence.get(CALCINOSIS, ())
            causes[code] = Cause(
                code=code,
                name=str(spec["name"]),
                group=group,
                prior=float(spec.get("prior", 0.0)),
                confirm=str(spec.get("confirm", "")),
                separates=str(spec.get("separates", "")),
                evidence=self.evidence(path, spec.get("evidence")) + inherited,
            )
            if group == MIMIC and not causes[code].separates:
                raise DictionaryError(
                    f"{where}: mimic {code} needs 'separates' (how to tell it apart)"
                )
        missing = [c for c in self.d.differential if c not in causes]
        if missing:
            raise DictionaryError(
                f"{_where(path, causes_raw)}: no evidence for differential code(s) {missing}"
            )
        return causes

    def rule(self, path: Path, code: str, node: Any, *, workup: bool, cond: bool = True) -> Rule:
        return Rule(
            code=code,
            condition=self.condition(path, node, "when", workup=workup) if cond else None,
            reason=str(node.get("reason", "")),
            source=self.source(path, node),
            advice=str(node.get("advice", "")),
            clinician=str(node.get("clinician", "")),
        )

    def workup(self) -> dict[str, Any]:
        path = self.dir / "workup.yaml"
        raw = self.read("workup.yaml")
        conditional = raw.get("labs_conditional") or {}
        unknown = [c for c in conditional if c not in self.d.labs_conditional]
        missing = [c for c in self.d.labs_conditional if c not in conditional]
        if unknown or missing:
            raise DictionaryError(
                f"{_where(path, conditional)}: conditional labs must match the dictionary "
                f"(unknown {unknown}, missing {missing})"
            )
        other = raw.get("other") or {}
        for code in other:
            if code not in self.d.workup_other:
                raise DictionaryError(f"{_where(path, other)}: unknown workup code {code!r}")
        imaging = raw["imaging"]
        optional = imaging.get("optional") or {}
        not_rec = imaging.get("not_recommended") or {}
        for code in [*optional, *not_rec, "xray"]:
            if code not in self.d.imaging:
                raise DictionaryError(f"{_where(path, imaging)}: unknown imaging code {code!r}")
        self.source(path, raw["labs_core"])
        return {
            "labs_core_reason": str(raw["labs_core"].get("reason", "")),
            "labs_conditional": tuple(
                self.rule(path, c, n, workup=True) for c, n in conditional.items()
            ),
            "other": tuple(self.rule(path, c, n, workup=True) for c, n in other.items()),
            "xray": self.rule(path, "xray", imaging["xray"], workup=True),
            "imaging_optional": tuple(
                self.rule(path, c, n, workup=True, cond=False) for c, n in optional.items()
            ),
            "not_recommended": tuple(
                self.rule(path, c, n, workup=True, cond=False) for c, n in not_rec.items()
            ),
            "suspect_min_score": float(raw.get("suspect_min_score", 0.1)),
            "calcinosis_min_mass": float(imaging.get("calcinosis_min_mass", 0.3)),
        }

    def red_flags(self) -> tuple[Rule, ...]:
        path = self.dir / "red_flags.yaml"
        raw = self.read("red_flags.yaml")
        if set(raw) != set(self.d.red_flags):
            raise DictionaryError(
                f"{path.name}: red flags must be exactly the dictionary's: "
                f"{sorted(self.d.red_flags)}"
            )
        flags = tuple(self.rule(path, code, node, workup=False) for code, node in raw.items())
        for flag, node in zip(flags, raw.values(), strict=True):
            if not flag.advice or not flag.clinician:
                raise DictionaryError(
                    f"{_where(path, node)}: {flag.code} needs advice and clinician"
                )
        return flags

    def questions(self) -> QuestionPolicy:
        path = self.dir / "questions.yaml"
        raw = self.read("questions.yaml")
        where = _where(path, raw)
        for key in ("opening", "red_flag_screens", "closing"):
            unknown = [c for c in raw.get(key) or [] if c not in self.d.findings]
            if unknown:
                raise DictionaryError(f"{where}: unknown finding(s) in {key}: {unknown}")
        ask_if = {}
        for code, spec in (raw.get("ask_if") or {}).items():
            if code not in self.d.findings:
                raise DictionaryError(f"{_where(path, raw['ask_if'])}: unknown finding {code!r}")
            ask_if[code] = compile_condition(self.d, spec, _where(path, raw["ask_if"]))
        rates = dict(raw.get("base_rates") or {})
        default_yes = float(rates.pop("default_yes", 0.2))
        for code in rates:
            if code not in self.d.findings:
                raise DictionaryError(
                    f"{_where(path, raw['base_rates'])}: unknown finding {code!r}"
                )
        stopping = raw.get("stopping") or {}
        return QuestionPolicy(
            opening=tuple(raw.get("opening") or ()),
            red_flag_screens=tuple(raw.get("red_flag_screens") or ()),
            closing=tuple(raw.get("closing") or ()),
            ask_if=ask_if,
            base_rates={k: dict(v) for k, v in rates.items()},
            default_yes=default_yes,
            min_gain=float(stopping.get("min_gain", 0.02)),
            min_flip=float(stopping.get("min_flip", 0.03)),
        )


def rules_version(directory: Path = HERE) -> str:
    """Content hash of every file the knowledge base is built from."""
    digest = hashlib.sha256()
    for path in (
        DICTIONARY_FILE,
        EXTENSIONS_FILE,
        SEED_FILE,
        *(directory / n for n in KNOWLEDGE_FILES),
    ):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return "kb-" + digest.hexdigest()[:12]


def load_knowledge(directory: Path = HERE, dictionary: Dictionary | None = None) -> KnowledgeBase:
    """Load and validate the knowledge base in ``directory``."""
    dictionary = dictionary or load_dictionary()
    builder = _Builder(directory, dictionary, SEED_FILE.read_text(encoding="utf-8"))
    return KnowledgeBase(
        dictionary=dictionary,
        causes=builder.causes(),
        red_flags=builder.red_flags(),
        questions=builder.questions(),
        rules_version=rules_version(directory),
        labs_core=dictionary.labs_core,
        **builder.workup(),
    )


@lru_cache(maxsize=1)
def get_knowledge() -> KnowledgeBase:
    """The knowledge base of this checkout, loaded once per process."""
    return load_knowledge()
