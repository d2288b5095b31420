"""The dialogue's logic, as plain Python that Rasa's actions call.

- :mod:`bot.interview.wording`: questions per respondent (patient, proxy, clinician),
  simpler re-asks with the possible answers, reasons ("why?"), labels and value words.
- :mod:`bot.interview.replies`: reading yes/no and "who is answering".
- :mod:`bot.interview.turn`: :class:`InterviewState`, the ``answer_*`` functions that
  turn a message into a :class:`Turn` (slots, messages, answers to store, red flags
  told), what counts as a change, ``next_slot`` and the progress note.
- :mod:`bot.interview.readback`: the read-back and the closing messages (what happens
  next for a patient or proxy; differential and workup for a clinician).
- :mod:`bot.interview.records`: saving progress through ``bot.store``.
- :mod:`bot.interview.domain`: renders ``domain.yml`` from the data dictionary.
"""
