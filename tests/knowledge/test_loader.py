"""The knowledge base loads, cites its sources, and fails loudly with file and line."""

import shutil
from pathlib import Path

import pytest

from bot.knowledge import DictionaryError, get_dictionary
from bot.knowledge.dictionary import HERE as KB_DIR
from bot.knowledge.loader import KNOWLEDGE_FILES, SEED_FILE, get_knowledge, load_knowledge


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    for name in KNOWLEDGE_FILES:
        shutil.copy(KB_DIR / name, tmp_path / name)
    return tmp_path


def test_every_differential_code_has_named_cited_evidence() -> None:
    kb = get_knowledge()
    dictionary = get_dictionary()
    assert set(kb.causes) == set(dictionary.differential)
    seed = " ".join(SEED_FILE.read_text().replace("\xa0", " ").split()).lower()
    for cause in kb.causes.values():
        assert cause.name and cause.group == dictionary.differential[cause.code]
        assert any(e.weight > 0 for e in cause.evidence), cause.code
        for item in cause.evidence:
            assert item.source.seed or item.source.general
            if item.source.seed:
                assert " ".join(item.source.seed.split()).lower() in seed
        if cause.is_mimic:
            assert cause.separates, f"{cause.code} must say how it differs from calcinosis"


def test_red_flags_have_two_texts_and_patient_text_names_no_diagnosis() -> None:
    kb = get_knowledge()
    assert {f.code for f in kb.red_flags} == set(get_dictionary().red_flags)
    names = {c.code.replace("_", " ") for c in kb.causes.values()} | {
        "calciphylaxis",
        "dermatomyositis",
        "myositis",
        "sclerosis",
        "lupus",
        "cancer ",
        "malignan",
    }
    for flag in kb.red_flags:
        assert flag.advice and flag.clinician
        assert not [n for n in names if n in flag.advice.lower()], flag.code


def test_workup_covers_the_dictionary() -> None:
    kb = get_knowledge()
    assert kb.labs_core == get_dictionary().labs_core
    assert {r.code for r in kb.labs_conditional} == set(get_dictionary().labs_conditional)
    assert [r.code for r in kb.not_recommended] == ["mri"]


def test_rules_version_is_a_content_hash(kb_copy: Path) -> None:
    same = load_knowledge(kb_copy)
    assert same.rules_version == get_knowledge().rules_version
    path = kb_copy / "differential.yaml"
    path.write_text(path.read_text().replace("weight: 3.5", "weight: 3.4", 1))
    assert load_knowledge(kb_copy).rules_version != same.rules_version


BROKEN = [
    (
        "differential.yaml",
        "if: {raynaud: yes}",
        "if: {raynauds: yes}",
        "unknown finding or test 'raynauds'",
    ),
    (
        "differential.yaml",
        "if: {lesion_count: one}",
        "if: {lesion_count: single}",
        "'single' is not a value of lesion_count",
    ),
    (
        "differential.yaml",
        "{lab: {ck: high}}",
        "{lab: {ck: very_high}}",
        "'very_high' is not a value of lab ck",
    ),
    (
        "differential.yaml",
        "{lab: {ck: high}}",
        "{lab: {creatine: high}}",
        "unknown lab code 'creatine'",
    ),
    (
        "differential.yaml",
        'source: {seed: "Most often after injuries"}',
        "note: none",
        "rule without a source",
    ),
    (
        "differential.yaml",
        'source: {seed: "Most often after injuries"}',
        'source: {seed: "Mostly after insect bites"}',
        "seed quote not found",
    ),
    (
        "differential.yaml",
        "  scrotal_calcinosis:\n",
        "  scrotal_calcinosiss:\n",
        "unknown differential code 'scrotal_calcinosiss'",
    ),
    (
        "red_flags.yaml",
        "when: {lesion_infection_signs: yes}",
        "when: {lesion_infection_signs: maybe}",
        "'maybe' is not a value",
    ),
    (
        "workup.yaml",
        "suspected: [milk_alkali]",
        "suspected: [milk_alkaline]",
        "unknown differential code",
    ),
    ("questions.yaml", "opening: [age,", "opening: [agee,", "unknown finding(s) in opening"),
]


@pytest.mark.parametrize(("name", "old", "new", "message"), BROKEN)
def test_broken_knowledge_fails_with_file_and_line(
    kb_copy: Path, name: str, old: str, new: str, message: str
) -> None:
    path = kb_copy / name
    text = path.read_text()
    assert old in text, "the fixture text must exist in the knowledge file"
    lines_before = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(DictionaryError) as err:
        load_knowledge(kb_copy)
    assert message in str(err.value)
    assert str(err.value).startswith(f"{name}:")
    line = int(str(err.value).split(":")[1])
    assert abs(line - lines_before) <= 6, f"line {line} should point near line {lines_before}"


def test_dictionary_groups_and_extensions() -> None:
    d = get_dictionary()
    assert d.findings["raynaud"].group == "symptoms of the underlying diseases"
    assert d.findings["age"].group == "who"
    assert d.findings["confusion"].extension and not d.findings["raynaud"].extension
    assert set(d.contract_findings) <= set(d.findings)
    assert "confusion" not in d.contract_findings
