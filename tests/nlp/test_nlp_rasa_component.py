"""The Rasa NLU component: entities with roles, the pipeline hash in the model, a real train."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp.pipeline import pipeline_hash
from bot.nlp.rasa_component import HASH_FILE, CalxSpacyEntityExtractor, PipelineMismatchError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    (tmp_path / "storage").mkdir()
    return LocalModelStorage(tmp_path / "storage")


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def entities(text: str, storage: LocalModelStorage) -> list[dict]:
    component = CalxSpacyEntityExtractor.create({}, storage, Resource("calx"), context())
    message = Message.build(text=text)
    component.process([message])
    return message.get("entities")


def test_entities_carry_codes_and_roles(storage: LocalModelStorage) -> None:
    found = entities(
        "no, but my fingers go white and I'm not on dialisis. Knuckles and bum. 45", storage
    )
    by_value = {(e["entity"], e["value"]): e for e in found}
    assert by_value[("symptom", "raynaud")]["role"] == "affirmed"
    assert by_value[("condition", "dialysis")]["role"] == "negated"
    assert by_value[("body_site", "fingers")]["role"] == "affirmed"
    assert by_value[("body_site", "buttocks")]["finding"] == "lesion_locations"
    assert by_value[("number", 45)]["extractor"] == "CalxSpacyEntityExtractor"
    text = "no, but my fingers go white and I'm not on dialisis. Knuckles and bum. 45"
    for e in found:
        assert 0 <= e["start"] < e["end"] <= len(text)


def test_roles_for_uncertainty_hypotheticals_and_family(storage: LocalModelStorage) -> None:
    roles = {
        e["value"]: e["role"]
        for e in entities("?sarcoid. If I get short of breath. My mum has lupus.", storage)
    }
    assert roles == {
        "sarcoidosis": "uncertain",
        "breathing_difficulty": "hypothetical",
        "lupus": "family",
    }


def test_existing_entities_are_kept(storage: LocalModelStorage) -> None:
    component = CalxSpacyEntityExtractor.create({}, storage, Resource("calx"), context())
    message = Message.build(text="dialysis")
    message.set("entities", [{"entity": "other", "start": 0, "end": 1, "value": "x"}])
    component.process([message])
    assert [e["entity"] for e in message.get("entities")] == ["other", "condition"]


def test_training_records_the_pipeline_hash_and_loading_checks_it(
    storage: LocalModelStorage, tmp_path: Path
) -> None:
    resource = Resource("calx_extractor")
    component = CalxSpacyEntityExtractor.create({}, storage, resource, context())
    component.train(TrainingData())
    loaded = CalxSpacyEntityExtractor.load({}, storage, resource, context())
    assert loaded.trained_hash == pipeline_hash()
    stored = tmp_path / "storage" / resource.name / HASH_FILE
    assert json.loads(stored.read_text()) == {"pipeline_hash": pipeline_hash()}
    stored.write_text(json.dumps({"pipeline_hash": "0000000000000000"}))
    with pytest.raises(PipelineMismatchError, match="retrain"):
        CalxSpacyEntityExtractor.load({}, storage, resource, context())


def test_a_model_without_the_hash_is_refused(storage: LocalModelStorage) -> None:
    with pytest.raises(PipelineMismatchError):
        CalxSpacyEntityExtractor.load({}, storage, Resource("never_trained"), context())


def test_fingerprint_follows_the_rules() -> None:
    assert CalxSpacyEntityExtractor.fingerprint_addon({}) == pipeline_hash()


def test_real_rasa_train_and_parse(tmp_path: Path) -> None:
    """`rasa train nlu` with the component, then Rasa's Agent parses a message."""
    (tmp_path / "config.yml").write_text(
        textwrap.dedent("""\
        recipe: default.v1
        assistant_id: calx-nlp-test
        language: en
        pipeline:
          - name: WhitespaceTokenizer
          - name: bot.nlp.rasa_component.CalxSpacyEntityExtractor
          - name: CountVectorsFeaturizer
          - name: DIETClassifier
            epochs: 1
            entity_recognition: false
            number_of_transformer_layers: 0
        policies: []
        """)
    )
    (tmp_path / "nlu.yml").write_text(
        textwrap.dedent("""\
        version: "3.1"
        nlu:
        - intent: affirm
          examples: |
            - yes
            - yeah
        - intent: deny
          examples: |
            - no
            - nope
        """)
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    rasa = str(Path(sys.executable).parent / "rasa")
    subprocess.run(
        [
            rasa,
            "train",
            "nlu",
            "--config",
            "config.yml",
            "--nlu",
            "nlu.yml",
            "--out",
            "models",
            "--fixed-model-name",
            "nlu",
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    script = textwrap.dedent("""\
        import asyncio, json
        from rasa.core.agent import Agent
        agent = Agent.load("models/nlu.tar.gz")
        parsed = asyncio.run(agent.parse_message("nope, not on HD but my knuckles hurt"))
        print(json.dumps(parsed["entities"]))
        """)
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    pairs = {(e["entity"], e["value"], e.get("role")) for e in found}
    assert ("condition", "dialysis", "negated") in pairs
    assert ("body_site", "fingers", "affirmed") in pairs


def test_the_screen_alone_decides_the_emergency_intent(storage: LocalModelStorage) -> None:
    component = CalxSpacyEntityExtractor.create({}, storage, Resource("calx"), context())
    pause = {"name": "pause", "confidence": 0.9}
    found = Message.build(text="can we stop, he can't breathe")
    found.set("intent", pause)
    found.set("intent_ranking", [pause])
    wrong = Message.build(text="I'd like to stop now")
    wrong.set("intent", {"name": "emergency", "confidence": 0.6})
    wrong.set("intent_ranking", [{"name": "emergency", "confidence": 0.6}, pause])
    component.process([found, wrong])
    assert found.get("intent") == {"name": "emergency", "confidence": 1.0}
    assert found.get("intent_ranking")[1] == pause
    assert [e["value"] for e in found.get("entities") if e["entity"] == "emergency"] == [
        "breathing"
    ]
    assert wrong.get("intent") == pause
    assert not [e for e in wrong.get("entities") if e["entity"] == "emergency"]
