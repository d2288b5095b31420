"""``make run``: prepare everything, then run Calx's three processes in the foreground.

- :mod:`bot.runner.model`: the Rasa model, trained only when its inputs changed
  (a content hash names ``models/calx-<hash>.tar.gz``).
- :mod:`bot.runner.supervisor`: starts the Rasa server (5005), the action server (5055)
  and the web app (8000), waits until all answer, prints the URLs, and stops them all on
  Ctrl-C or SIGTERM.
- :mod:`bot.runner.rasa_server`: the Rasa server's entry point (its API token comes from
  the settings, never from the command line).

``python -m bot.runner`` (run), ``python -m bot.runner train``, ``python -m bot.runner model``.
"""
