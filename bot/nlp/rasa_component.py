"""Rasa 3.6 NLU component that runs the Calx spaCy pipeline and adds its entities.

In ``config.yml`` (after a tokenizer, e.g. ``WhitespaceTokenizer``)::

    - name: bot.nlp.rasa_component.CalxSpacyEntityExtractor

Each entity has ``entity`` one of ``body_site``, ``condition``, ``symptom``, ``drug`` or
``number``; ``value`` the dictionary code (a ``lesion_locations`` value such as
``fingers``, a ``known_diagnoses`` value such as ``lupus``, an enum value such as ``hard``,
else the finding code such as ``raynaud``; for ``number`` the integer); ``finding`` the
finding code it is evidence for; and ``role`` how it is said: ``affirmed``, ``negated``,
``uncertain``, ``hypothetical`` or ``family``.

Training and serving use the same pipeline: training stores ``pipeline_hash()`` in the
model, loading refuses a model whose hash differs from this checkout's pipeline (retrain),
and the hash is the component's fingerprint add-on so ``rasa train`` retrains it when the
rules change. The component "trains" nothing else.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp.analysis import Mention, analyse
from bot.nlp.emergency import Emergency, screen
from bot.nlp.pipeline import pipeline_hash
from bot.nlp.text import STANDALONE_NUMBER_RE, word_number

HASH_FILE = "calx_nlp.json"
ENTITY_TYPES = {
    "BODY_SITE": "body_site",
    "CONDITION": "condition",
    "SYMPTOM": "symptom",
    "DRUG": "drug",
}
ROLES = {
    "affirmed": "affirmed",
    "hedged": "uncertain",
    "uncertain": "uncertain",
    "negated": "negated",
    "hypothetical": "hypothetical",
    "family": "family",
}


class PipelineMismatchError(RasaException):  # type: ignore[misc]
    """The model was trained with another version of the Calx NLP pipeline."""


def mention_entities(mentions: list[Mention]) -> list[dict[str, Any]]:
    """Rasa entity dicts for the pipeline's mentions (lumps and blockers left out)."""
    out: list[dict[str, Any]] = []
    for m in mentions:
        entity_type = ENTITY_TYPES.get(m.label)
        evidence = [e for e in m.entry.evidence if e.policy != "none" and e.value != "none"]
        if entity_type is None or not evidence:
            continue
        # the entity's own evidence, and the place it names ("my knuckles hurt": a symptom
        # and the fingers)
        places = [e for e in evidence[1:] if e.finding == "lesion_locations"]
        for kind, e in [(entity_type, evidence[0])] + [("body_site", e) for e in places]:
            values = e.value if isinstance(e.value, list) else [e.value]
            for value in values:
                out.append(
                    {
                        "entity": kind,
                        "start": m.start_char,
                        "end": m.end_char,
                        "value": e.finding if value in ("yes", "no") else str(value),
                        "finding": e.finding,
                        "role": ROLES[m.status],
                        "confidence_entity": 1.0,
                    }
                )
    return out


def number_entities(text: str) -> list[dict[str, Any]]:
    """``number`` entities for numbers in digits or words ("15", "forty-five")."""
    out: list[dict[str, Any]] = []
    for match in STANDALONE_NUMBER_RE.finditer(text):
        if match.group(0).lower() in ("a", "an"):
            continue
        value = word_number(match.group(0))
        if value is None or value != int(value):
            continue
        out.append(
            {
                "entity": "number",
                "start": match.start(),
                "end": match.end(),
                "value": int(value),
                "confidence_entity": 1.0,
            }
        )
    return out


#: The intent of a message the emergency screen found (rules answer it in any state).
EMERGENCY_INTENT = "emergency"


def emergency_entity(found: Emergency) -> dict[str, Any]:
    """The ``emergency`` entity: its kind as the value."""
    return {
        "entity": "emergency",
        "start": found.start_char,
        "end": found.end_char,
        "value": found.kind,
        "confidence_entity": 1.0,
    }


def set_emergency_intent(message: Message, emergency: bool) -> None:
    """The screen alone decides the ``emergency`` intent, whatever the classifier said.

    Found: ``emergency`` with confidence 1 ("he can't breathe" is no request to pause).
    Not found: a classifier's ``emergency`` gives way to its next intent.
    """
    intent = message.get(INTENT) or {}
    ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if isinstance(r, dict)]
    if emergency:
        top = {"name": EMERGENCY_INTENT, "confidence": 1.0}
        others = [r for r in ranking if r.get("name") != EMERGENCY_INTENT]
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [top, *others], add_to_output=True)
    elif intent.get("name") == EMERGENCY_INTENT:
        others = [r for r in ranking if r.get("name") != EMERGENCY_INTENT]
        fallback = others[0] if others else {"name": "inform", "confidence": 0.0}
        message.set(INTENT, fallback, add_to_output=True)
        message.set(INTENT_RANKING_KEY, others, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class CalxSpacyEntityExtractor(GraphComponent, EntityExtractorMixin):  # type: ignore[misc]
    """Adds the Calx pipeline's entities (with negation/uncertainty as ``role``)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No options: the rules live in ``bot/nlp/rules``."""
        return {}

    @staticmethod
    def required_packages() -> list[str]:
        """Packages the pipeline needs (part of Rasa's fingerprint)."""
        return ["spacy", "medspacy"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when the pipeline's rules change."""
        return pipeline_hash()

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        trained_hash: str | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self.trained_hash = trained_hash

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CalxSpacyEntityExtractor:
        """Create an untrained component (training records the pipeline hash)."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Record which pipeline the model is trained with."""
        self.trained_hash = pipeline_hash()
        with self._model_storage.write_to(self._resource) as path:
            (path / HASH_FILE).write_text(
                json.dumps({"pipeline_hash": self.trained_hash}), encoding="utf-8"
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CalxSpacyEntityExtractor:
        """Load the trained component; refuse a model trained with another pipeline."""
        try:
            with model_storage.read_from(resource) as path:
                data = json.loads((path / HASH_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError) as exc:
            raise PipelineMismatchError(
                "the model has no Calx NLP pipeline hash: retrain it (rasa train)"
            ) from exc
        trained = str(data.get("pipeline_hash"))
        current = pipeline_hash()
        if trained != current:
            raise PipelineMismatchError(
                f"the model was trained with NLP pipeline {trained}, this checkout has "
                f"{current}: retrain the model (rasa train)"
            )
        return cls(config, model_storage, resource, trained_hash=trained)

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the pipeline's entities (and numbers); screen for an emergency."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text.strip():
                continue
            found = mention_entities(analyse(text)) + number_entities(text)
            emergency = screen(text)
            if emergency is not None:
                found.append(emergency_entity(emergency))
            found = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
            set_emergency_intent(message, emergency is not None)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leave training data as it is (entities are rule-based, not learnt)."""
        return training_data
