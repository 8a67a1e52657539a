"""The runtime's event bus: CloudEvents on Redis Streams with consumer groups and dead letters.

Owns publishing (one stream per domain, ``<prefix>{events:<domain>}``), consuming (at-least-once delivery
made effectively-once per group by processed markers), reclaiming messages of dead consumers, dead-lettering
after repeated failures, and replay. Carries the correlation id and W3C trace context inside each event.
It never interprets payloads: handlers own the meaning of an event.

Example:
    bus = EventBus(redis, KeySpace(settings.key_prefix), source="/services/system/crm")
    await bus.publish(new_event(type="revflow.crm.opportunity.closed_won.v1", source=bus.source, data=...))
    consumer = Consumer(redis, bus.keyspace, "crm", group="quote_to_cash", name="worker-1", handler=handle)
    await consumer.run(stop_event)
"""

from services.runtime.events._bus import DEFAULT_MAXLEN, EventBus
from services.runtime.events._consumer import ConsumeCounts, Consumer, Handler
from services.runtime.events._deadletter import DeadLetter, DeadLetterNotFoundError
from services.runtime.events._keys import domain_of

__all__ = [
    "DEFAULT_MAXLEN",
    "ConsumeCounts",
    "Consumer",
    "DeadLetter",
    "DeadLetterNotFoundError",
    "EventBus",
    "Handler",
    "domain_of",
]
