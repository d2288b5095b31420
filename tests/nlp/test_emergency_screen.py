"""The emergency screen (bot.nlp.emergency): every kind, the ways it is not one, its data.

The examples here are the project's own, written from public triage guidance; the blind
corpora (tests/data/emergencies, written by people who never saw the rules) are measured in
``test_the_blind_corpora_meet_the_target`` and by ``make eval-emergencies``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.nlp import emergency
from bot.nlp.emergency import EmergencyRuleError, parse_rules, screen
from evals import emergencies as corpus

EMERGENCIES = [
    ("chest_pain", "there's a tight band round my chest and it's spreading to my jaw"),
    ("chest_pain", "pt now c/o crushing central chest pain, sweaty"),
    ("stroke", "her smile is lopsided all of a sudden and she can't lift her right arm"),
    ("stroke", "I think dad's having a stroke, his speech is slurred"),
    ("breathing", "I cant breathe properly, it's getting worse by the minute"),
    ("breathing", "my son's lips are going blue"),
    ("anaphylaxis", "my throat is closing up after that injection"),
    ("anaphylaxis", "I've used my EpiPen, my face is swelling"),
    ("bleeding", "the cut on his leg is spurting blood and won't stop"),
    ("bleeding", "I've been throwing up blood this morning"),
    ("seizure", "my daughter is having a seizure right now"),
    ("seizure", "he's on the floor convulsing"),
    ("unresponsive", "my wife collapsed and I can't wake her"),
    ("unresponsive", "the baby is floppy and very sleepy"),
    ("self_harm", "honestly I just want to end my life"),
    ("self_harm", "I've been cutting myself again tonight"),
    ("poisoning", "my toddler swallowed a button battery"),
    ("poisoning", "I took a whole packet of paracetamol an hour ago"),
    ("other", "worst headache of my life came on suddenly"),
    ("other", "should I call an ambulance?"),
    # a sign of stroke is told whatever its duration; confusion alone only when it is new
    ("stroke", "her face has been drooping on one side for 3 days"),
    ("stroke", "slurring her words for the past hour"),
    ("stroke", "he suddenly started talking nonsense"),
    # events counted before, one happening now
    ("chest_pain", "pt had STEMI x2, now crushing CP"),
    # "ongoing" is going on now; a seizure past five minutes is told however usual
    ("seizure", "tonic clonic seizure, ongoing, no IV access"),
    ("seizure", "his usual kind of fit but it's lasted 8 minutes now and he's still not with it"),
    ("seizure", "he's been fitting for 6 minutes"),
    # a plan or a place, and clinicians' shorthand for suicidal ideation
    ("self_harm", "I've saved up my pills and I'm going to take them all at once tonight"),
    ("self_harm", "I'm at the top of the car park, I've made a plan and I can't do this any more"),
    ("self_harm", "pt reports active SI, plan to overdose"),
    # a weekly medicine taken daily (MHRA 2020), a limb suddenly cold, torsion, a severe hypo
    ("poisoning", "I've taken my methotrexate daily rather than weekly all week"),
    ("other", "his foot has suddenly gone pale and cold and it's agony"),
    ("other", "my son woke with sudden terrible pain in one testicle"),
    ("other", "my husband's a diabetic, he's drowsy and can't swallow his glucose gel"),
    # signs a clinician types: NEWS2 red scores, a hypertensive emergency, neutropenic fever
    ("other", "HR 36 and dizzy"),
    ("other", "BP 220/130, new headache and blurred vision"),
    ("other", "temp 38.5, two weeks after her cyclophosphamide infusion"),
    ("chest_pain", "retrosternal pain radiating to the jaw"),
    ("chest_pain", "a pressing feeling in the centre of my chest"),
    # tablets missing near a child; paracetamol twice over; seizures that cluster
    ("poisoning", "my toddler had my blister pack, three tablets missing"),
    ("poisoning", "taking paracetamol and co-codamol together all week"),
    ("seizure", "three seizures since breakfast and she hasn't come back between them"),
    ("self_harm", "I'm on the balcony and I want to jump"),
    ("stroke", "my fingers went white, then suddenly my whole arm went numb and heavy"),
    ("other", "he tipped the kettle over himself, the skin on his arm is coming off"),
]
NOT_EMERGENCIES = [
    "never had chest pains",
    "my gran had a stroke in her eighties",
    "could this spread to my heart?",
    "I had a seizure when I was 12, none since",
    "no bleeding, just a bit of weeping from the lump",
    "my fingers go white and then blue in the cold",
    "I get breathless on the stairs, have done for years",
    "this questionnaire is killing me",
    "pt had an MI in 2019, now stable",
    "I'm fed up with these lumps",
    "what happens if one of them gets infected and I get sepsis one day?",
    "yes, lots of blood tests in that arm",
    "I'm doing a first aid course, CPR and choking",
    "I take one vitamin D tablet a day",
    "heartburn after meals, on and off for months",
    # confusion that has lasted days: a same-day red flag (high calcium), not an ambulance
    "she's constipated, and for the last few days she's confused, saying things that don't make sense",
    # events counted are events had
    "54M ESRD on HD, DM/HTN/CAD x2 MI/AF, referred for painful skin lesions",
    "mum has had two heart attacks",
    # someone else's collapse yesterday; a known epileptic's usual seizure, over
    "my neighbour collapsed in the street yesterday, the paramedics came",
    "she had one of her usual fits twenty minutes ago, it stopped after a minute, she's fine now",
    # an age at the event, a regimen that is right, Raynaud's, the sacroiliac joint, puzzled
    "I was knocked out at 19 playing hockey",
    "methotrexate once a week and folic acid every day",
    "my fingers go white and cold when it's chilly",
    "SI joint pain for years",
    "I'm diabetic and a bit confused by this question",
    "resting HR 62, BP 150/95 on amlodipine, no symptoms",
    "my brother had a seizure once",
    "drowsy after dialysis yesterday, but back to himself now",
    "there's flu going round at work",
    "fit for work since the spring",
    "my ribs are sore when I press on them",
    # lemmas that are not the same word: "takes" is no "took", "limps" no "limp"; "od" daily
    "she takes her capsules every morning",
    "alfacalcidol 1mcg od",
    "he limps after football",
    "she bleached her hair last week",
    # Raynaud's: fingers gone white and numb in the cold (a stroke sign with it still fires)
    "my fingertips suddenly turned white and numb at the bus stop",
    # a yes/no question about what could happen; "going on 40" is no seizure's length
    "Will the calcium in my arms end up blocking my arteries and give me a heart attack?",
    "Should I be counselling him about stroke warning signs?",
    "She's 12 going on 30, she'll have a fit when she sees this",
    # an allergy record, not a reaction now
    "Allergies: anaphylaxis to amoxicillin.",
]

#: Questions that are pleas or a present worry: told as emergencies.
ASKED_NOW = [
    ("breathing", "Can someone help, my dad can't breathe?"),
    ("self_harm", "should I just end it all?"),
    ("chest_pain", "am I having a heart attack? my chest is crushing"),
    ("seizure", "he usually comes round in two minutes, this one has gone on eight"),
]


@pytest.mark.parametrize(("kind", "text"), ASKED_NOW)
def test_a_plea_or_a_question_about_now_is_still_told(kind: str, text: str) -> None:
    found = screen(text)
    assert found is not None, text
    assert kind in found.kinds


@pytest.mark.parametrize(("kind", "text"), EMERGENCIES)
def test_every_kind_is_caught(kind: str, text: str) -> None:
    found = screen(text)
    assert found is not None, text
    assert kind in found.kinds


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_absent_past_imagined_or_someone_elses_is_not_an_emergency(text: str) -> None:
    assert screen(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "can we stop please, he can't breathe",
        "Sorry I need to pause, my chest is crushing",
        "I'm 54. Also my face has gone numb on one side in the last 10 minutes",
    ],
)
def test_an_emergency_with_something_else_is_the_emergency(text: str) -> None:
    assert screen(text) is not None


def test_misspelt_and_dialect_words_are_read() -> None:
    assert screen("hes havin a siezure") is not None
    assert screen("my throte is swelin after the bee sting") is not None
    assert screen("I cannae breathe") is not None


def test_where_the_match_is_is_given_and_nothing_else() -> None:
    text = "I'm fine but my husband just collapsed"
    found = screen(text)
    assert found is not None and found.kind == "unresponsive"
    assert text[found.start_char : found.end_char] == "collapsed"


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(emergency.EMERGENCIES_FILE.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["kinds"].pop("stroke"), "kinds must be exactly"),
        (lambda d: d["cues"]["past"].update(where="somewhere"), "needs where"),
        (lambda d: d["kinds"]["seizure"].update(immune=["tuesdays"]), "unknown immune"),
        (lambda d: d["kinds"]["bleeding"]["patterns"].append("{NO_SUCH_CLASS} x"), "unknown class"),
        (lambda d: d["cues"]["negation"].update(reach=0), "reach"),
        (lambda d: d["cues"]["lasting"].update(opt_in="yes"), "opt_in"),
        (
            lambda d: d["kinds"]["stroke"]["patterns"].append({"pattern": "x", "yields": ["y"]}),
            "unknown cues in yields",
        ),
        (lambda d: d["kinds"]["seizure"].update(settled_by=["recent"]), "settled_by takes"),
        (
            lambda d: d["kinds"]["stroke"]["patterns"].append({"pattern": "x", "severe": "y"}),
            "severe must be",
        ),
        (
            lambda d: d["kinds"]["stroke"]["patterns"].append({"pattern": "x", "immune": ["y"]}),
            "unknown cues in immune",
        ),
    ],
)
def test_a_mistake_in_the_rules_is_named_with_its_file(change: Any, message: str) -> None:
    data = _raw()
    change(data)
    with pytest.raises(EmergencyRuleError, match=message) as raised:
        parse_rules(data)
    assert "emergencies.yaml" in str(raised.value)


def test_the_data_file_names_the_line_of_a_bad_pattern(tmp_path: Path) -> None:
    text = emergency.EMERGENCIES_FILE.read_text(encoding="utf-8")
    first = text.index("  chest_pain:\n    patterns:\n      - ")
    start = text.index("- ", first)
    bad = text[:start] + "- 7\n      " + text[start:]
    path = tmp_path / "emergencies.yaml"
    path.write_text(bad, encoding="utf-8")
    from bot import datafile

    with pytest.raises(EmergencyRuleError, match=r"emergencies.yaml:\d+: a pattern is a string"):
        parse_rules(datafile.load(path), path)


@pytest.mark.parametrize("path", corpus.batches(), ids=lambda p: p.stem)
def test_the_blind_corpora_meet_the_target(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = corpus.score(path)
    with capsys.disabled():
        print(f"\n[emergencies] {path.stem}: {result.figures()}")
        for miss in result.misses:
            print(f"[emergencies]   {miss}")
    assert result.caught == result.emergencies, result.misses
    assert result.false_alarms <= 0.02 * result.near_misses, result.misses
