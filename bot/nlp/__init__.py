"""Understanding what people type: one code path for every answer of the interview.

``interpret(finding, message, context)`` codes an answer to one question;
``extract(message, context)`` finds every finding stated in a free message.

Modules: ``pipeline`` (the spaCy pipeline built from ``spacy.blank("en")`` and the rules in
``rules/``; saved by ``python -m bot.nlp.build`` under ``var/nlp/calx-<hash>/`` and loaded
lazily once per process), ``analysis`` (entities with their ConText status), ``answers``
(yes / no / "I don't know" in their forms), ``numbers`` (ages, relative onset times),
``interpret`` (the coding rules), ``rasa_component`` (the Rasa NLU component on the same
pipeline), ``bench`` (``python -m bot.nlp.bench``). Importing this package loads no model.
"""

import os

# spaCy's thinc imports TensorFlow (installed for Rasa) when the pipeline loads; keep its
# start-up chatter (C++ INFO/WARNING lines on stderr) out of every process's output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bot.nlp.interpret import Interpretation, extract, interpret

__all__ = ["Interpretation", "extract", "interpret"]
