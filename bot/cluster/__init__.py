"""``make run-cluster``: Calx's production topology on one machine.

Scale comes from Rasa's own horizontal set-up, not from code of ours:

- HAProxy (Debian's package) on the public ports of ``make run`` (Rasa 5005, action
  server 5055, web app 8000) in front of ``CALX_REPLICAS`` Rasa servers, two action
  servers and two web app workers (:mod:`bot.cluster.topology`);
- Rasa's SQL tracker store on PostgreSQL, its Redis lock store (one message of a sender
  at a time, whichever replica gets it) and its RabbitMQ event broker, whose events the
  worker ``python -m bot.events`` turns into the console's activity and audit;
- a supervisor that restarts any process that dies (:mod:`bot.cluster.supervisor`) after
  waiting for the backing services with a clear message (:mod:`bot.cluster.backing`).

One small part of ours keeps a conversation whole when something fails: a tracker store
or custom action error fails the turn instead of Rasa carrying on without it
(:mod:`bot.cluster.rasa_server`), and the REST channel (``bot.channels.rest``, with a
deadline of 8 s here) answers such a message with HTTP 503 and "please try again".
"""
