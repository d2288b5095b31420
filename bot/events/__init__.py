"""``python -m bot.events``: the worker that turns Rasa's events into Calx's records.

In the cluster mode Rasa's replicas publish every conversation event to RabbitMQ
(``event_broker: type: pika``). The worker (:mod:`bot.events.worker`) records each one
once in ``conversation_events`` (type, intent or action name, time; never the text) and
moves the conversation's last activity (``conversations.updated_at``, the console
queue's "updated" column) forward. It is idempotent on redelivery and catches up after
an outage (durable queue, manual acknowledgements, a sweep of Rasa's ``events`` table
for what the broker lost): :mod:`bot.events.record`.
"""
