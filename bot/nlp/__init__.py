"""Understanding what people type: one code path for every answer of the interview.

``interpret(finding, message, context)`` codes an answer to one question;
``extract(message, context)`` finds every finding stated in a free message.
"""

from bot.nlp.interpret import Interpretation, extract, interpret

__all__ = ["Interpretation", "extract", "interpret"]
