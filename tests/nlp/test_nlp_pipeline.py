"""The spaCy pipeline: entities, ConText statuses, spelling, build/load, no text in logs."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge import get_dictionary
from bot.nlp import build, interpret
from bot.nlp.analysis import analyse
from bot.nlp.pipeline import (
    RuleError,
    SpellCorrector,
    _regions,
    compile_pattern,
    get_nlp,
    load_lexicon,
    load_nlp,
    pipeline_dir,
    pipeline_hash,
    save_nlp,
)

ROOT = Path(__file__).resolve().parents[2]


def statuses(message: str) -> dict[str, str]:
    return {m.text.lower(): m.status for m in analyse(message)}


def test_pipeline_is_blank_english_plus_rules() -> None:
    nlp = get_nlp()
    assert nlp.pipe_names == [
        "lemmatizer",
        "sentencizer",
        "calx_normalizer",
        "entity_ruler",
        "medspacy_context",
    ]
    assert nlp.meta["calx_pipeline_hash"] == pipeline_hash()
    assert nlp.get_pipe("lemmatizer").mode == "lookup"


@pytest.mark.parametrize(
    ("message", "label", "entry"),
    [
        ("on my knuckles", "BODY_SITE", "site_fingers"),
        ("my bum", "BODY_SITE", "site_buttocks"),
        ("around the back passage", "BODY_SITE", "site_genitals"),
        ("where they take blood", "BODY_SITE", "site_venipuncture"),
        ("lcSSc", "CONDITION", "dx_ssc"),
        ("JDM", "CONDITION", "dx_dm"),
        ("SLE", "CONDITION", "dx_lupus"),
        ("ESRD", "CONDITION", "cond_kidney"),
        ("on HD", "CONDITION", "cond_dialysis"),
        ("breast ca with mets", "CONDITION", "cond_cancer"),
        ("hyperparathyroidism", "CONDITION", "cond_parathyroid"),
        ("calcitriol", "DRUG", "drug_vitd"),
        ("Tums", "DRUG", "drug_calcium"),
        ("chemo", "DRUG", "cond_chemo"),
        ("Raynaud's", "SYMPTOM", "sx_raynaud"),
        ("fingers turn white", "SYMPTOM", "sx_raynaud"),
        ("food gets stuck", "SYMPTOM", "sx_reflux"),
        ("short of breath", "SYMPTOM", "sx_breathing"),
        # "-ish" words are one token ("hard-ish" is "hardish", "pink-ish" is "pinkish")
        ("they're hard-ish", "SYMPTOM", "lx_firm"),
        ("pink-ish", "SYMPTOM", "lx_color_no"),
        ("purple-ish lids", "SYMPTOM", "sx_rash_dm"),
        ("hypercholesterolaemia", "CONDITION", "cond_cholesterol"),
        ("simvastatin", "DRUG", "cond_cholesterol_drug"),
        ("the bottom lip", "BODY_SITE", "site_eyelids_mouth"),
        ("left hand DIPs", "BODY_SITE", "site_finger_joints_of_hand"),
    ],
)
def test_entities(message: str, label: str, entry: str) -> None:
    found = [(m.label, m.entry.id) for m in analyse(message)]
    assert (label, entry) in found, found


@pytest.mark.parametrize(
    ("message", "word", "status"),
    [
        ("no pain but they are hard", "pain", "negated"),
        ("no pain but they are hard", "they are hard", "affirmed"),
        ("denies Raynaud's", "raynaud's", "negated"),
        ("he doesn't have lupus", "lupus", "negated"),
        ("it's not a black patch", "black patch", "negated"),
        ("?sarcoid", "sarcoid", "uncertain"),
        ("possibly lupus", "lupus", "uncertain"),
        ("if I get short of breath", "short of breath", "hypothetical"),
        ("my mum has lupus", "lupus", "family"),
        ("my dad had kidney failure and was on dialysis", "dialysis", "family"),
        ("my mum has lupus and I have Raynaud's", "raynaud's", "affirmed"),
        ("no, my fingers go white", "fingers go white", "affirmed"),
        ("I can't swallow and my fingers go white", "fingers go white", "affirmed"),
        ("62F, denies dysphagia, HD x3y", "hd", "affirmed"),
        ("62F, denies dysphagia, HD x3y", "dysphagia", "negated"),
        ("I think it's lupus", "lupus", "hedged"),
        # a hidden family trigger: the entity covers "family history", "runs in the family"
        ("family history of dialysis", "dialysis", "family"),
        ("lupus runs in the family", "lupus", "family"),
        ("lupus in the family", "lupus", "family"),
        ("my dad has Raynaud's and so do I", "raynaud's", "affirmed"),
        ("I hardly drink milk", "drink milk", "negated"),
    ],
)
def test_context_statuses(message: str, word: str, status: str) -> None:
    assert statuses(message).get(word) == status, statuses(message)


def test_spelling_is_corrected_to_rule_words_only() -> None:
    known = {"knee", "hand"}.__contains__
    speller = SpellCorrector(["dialysis", "raynaud", "scleroderma", "hurt", "hurts"], known)
    assert speller.correct("dialisis") == "dialysis"
    assert speller.correct("sclerodema") == "scleroderma"
    assert speller.correct("knee") == "knee"  # a real word is left alone
    assert speller.correct("xylophone") == "xylophone"  # nothing close
    assert speller.correct("hurtt") == "hurtt"  # two candidates, different words
    assert (
        SpellCorrector(["hurt", "hurts"], known, lambda w: w.rstrip("s")).correct("hurtt") == "hurt"
    )


def test_pattern_mini_language() -> None:
    nlp = get_nlp()

    def tokenize(text: str) -> list[str]:
        return [t.text for t in nlp.make_doc(text)]

    compiled = compile_pattern("fingers? go|turn *2 =HD ~^x\\d+$", tokenize, lambda w: w)
    assert len(compiled) == 2  # with and without the optional word
    longest = max(compiled, key=len)
    assert longest[0] == {"NORM": "fingers", "OP": "?"} or longest[0] == {"NORM": "fingers"}
    assert {"TEXT": "HD"} in longest
    assert {"LOWER": {"REGEX": "^x\\d+$"}} in longest
    with pytest.raises(RuleError):
        compile_pattern("|", tokenize, lambda w: w)
    # an alternative may be a regex, with bars of its own: "floppy" or exactly "limp"/"limpy"
    mixed = compile_pattern("floppy|~^(limp|limpy)$|=HD", tokenize, lambda w: w)
    expected = [{"TEXT": "HD"}, {"LOWER": {"REGEX": "^(limp|limpy)$"}}, {"NORM": "floppy"}]
    assert sorted(mixed, key=str) == sorted([[e] for e in expected], key=str)


def test_saved_pipeline_gives_the_same_entities_as_a_fresh_build(tmp_path: Path) -> None:
    path = save_nlp(tmp_path)
    assert path.name == f"calx-{pipeline_hash()}"
    stamp = (path / "meta.json").stat().st_mtime_ns
    assert save_nlp(tmp_path) == path  # idempotent: nothing rebuilt
    assert (path / "meta.json").stat().st_mtime_ns == stamp
    loaded = load_nlp(path)
    text = "62F lcSSc, Raynaud's +, denies dysphagia, HD x3y; bum and knuckles, no pus"
    a, b = loaded(text), get_nlp()(text)
    assert [(e.text, e.ent_id_) for e in a.ents] == [(e.text, e.ent_id_) for e in b.ents]
    assert [len(e._.modifiers) for e in a.ents] == [len(e._.modifiers) for e in b.ents]


def test_build_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert build.main(["--hash"]) == 0
    assert capsys.readouterr().out.strip() == pipeline_hash()
    assert build.main([]) == 0
    assert str(pipeline_dir()) in capsys.readouterr().out


def test_importing_bot_nlp_loads_no_model() -> None:
    code = "import sys, bot.nlp, bot.nlp.interpret; print('spacy' in sys.modules, 'medspacy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.strip() == "False False"


def test_nothing_of_the_message_is_logged(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = "Zanzibarlump"
    with caplog.at_level(logging.DEBUG):
        get_nlp()
        capfd.readouterr()
        interpret("lesion_pain", f"my {secret} hurts, dialisis, raynauds")
        interpret("free_text_story", f"{secret} on my elbows since 2019")
    out, err = capfd.readouterr()
    assert secret not in caplog.text
    assert secret not in out and secret not in err


def test_unknown_finding_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown finding"):
        interpret("not_a_finding", "yes")


def test_every_location_has_a_body_region() -> None:
    values = get_dictionary().findings["lesion_locations"].values
    regions = load_lexicon().regions
    assert set(regions) == set(values), "regions: in lexicon.yaml must cover lesion_locations"
    assert all(regions[code] <= {"head", "arm", "leg", "trunk"} for code in values)


@pytest.mark.parametrize("bad", [["head"], {"face_head": []}, {"face_head": "head"}])
def test_malformed_regions_are_refused(bad: object) -> None:
    with pytest.raises(RuleError, match="regions"):
        _regions(bad, "lexicon.yaml")
