"""Rasa input channels of Calx's own, registered by module path in ``credentials.yml``.

- :class:`bot.channels.socketio.CalxSocketIOInput`: the patient-portal widget
  (socket.io with session persistence, plus the interview's state for quick replies,
  progress and urgent-care links).
- :class:`bot.channels.slack.SlackThreadInput`: Slack, one conversation per thread.
- :class:`bot.channels.teams.TeamsInput`: Microsoft Teams (Bot Framework) with
  configurable OpenID/key endpoints, so ``rasa run`` starts without a network.

Secrets come from the settings (``CALX_SLACK_*``, ``CALX_TEAMS_*``), never from the
credentials file; a channel without its secrets answers 401 to everything.
"""
