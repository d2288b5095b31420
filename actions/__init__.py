"""Calx's custom Rasa actions, one module per concern; each a few lines calling ``bot``.

- :mod:`actions.interview`: the interview form (validation of every answer, the questions)
- :mod:`actions.faq`: why a question is asked, what calcinosis is, off-topic questions
- :mod:`actions.red_flags`: facts and red flags in messages that are not answers
- :mod:`actions.emergency`: an emergency in any turn (advice now, stored, the interview waits)
- :mod:`actions.corrections`: corrections after the interview ended
- :mod:`actions.submit`: the end (summary stored complete; what happens next)
- :mod:`actions.session`: welcome, pause and resume, start over, after the end

Run with ``rasa run actions --actions actions`` (``make run`` does).
"""
