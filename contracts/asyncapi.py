"""The AsyncAPI 3.0 document of the event catalogue, generated from ``EVENT_CATALOG``.

One channel per domain, each a Redis Stream (``revflow:{events:crm}``, the runtime bus's key under the
default prefix; the braces are a Redis Cluster hash tag and part of the key); one ``send`` operation and one
message per event type. A message's ``headers`` describe the CloudEvents attributes (``type`` fixed to the
catalogued value, ``source`` given as example) and its ``payload`` is the JSON Schema msgspec generates for
the payload Struct. The committed ``contracts/asyncapi.yaml`` is written by ``write_asyncapi`` and a test
fails when it is stale. Rendering needs PyYAML, imported only when rendering, so importing this module stays
msgspec-and-stdlib only. Contract version: 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from contracts.event_catalog import EVENT_CATALOG, EventSpec
from contracts.events import CloudEvent

__all__ = ["ASYNCAPI_PATH", "build_asyncapi", "render_asyncapi", "write_asyncapi"]

ASYNCAPI_PATH = Path(__file__).with_name("asyncapi.yaml")
"""Where the generated document is committed."""

_SCHEMA_REF = "#/components/schemas/{name}"
_ENVELOPE = "CloudEventAttributes"
_HEADER = "# Generated from contracts.event_catalog by contracts.asyncapi.write_asyncapi; do not edit.\n"
_DESCRIPTION = (
    "Events revflow services publish on Redis Streams, one stream per domain. Each stream entry holds one "
    "CloudEvents 1.0 event in structured JSON mode under the field `ce`: the attributes described by the "
    "message headers at the top level and the message payload under `data`. Delivery is at-least-once "
    "through consumer groups; consumers deduplicate on the event `id`."
)


def _channels(specs: list[EventSpec]) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    for spec in specs:
        channel = channels.setdefault(spec.domain, {
            # The hash tag is a parameter whose only value keeps its braces, so the address expands to the
            # literal stream key while staying a valid AsyncAPI address expression.
            "address": "revflow:{hashtag}",
            "title": f"{spec.domain} events",
            "description": f"Redis Stream `{spec.stream}`: every event of the {spec.domain} domain.",
            "parameters": {"hashtag": {
                "description": "Redis Cluster hash tag, braces included.",
                "enum": [f"{{events:{spec.domain}}}"],
                "default": f"{{events:{spec.domain}}}",
            }},
            "messages": {},
        })
        name = spec.payload.__name__
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    return channels


def _operations(specs: list[EventSpec]) -> dict[str, Any]:
    return {
        f"publish{spec.payload.__name__}": {
            "action": "send",
            "channel": {"$ref": f"#/channels/{spec.domain}"},
            "summary": f"{spec.owner} publishes {spec.type}.",
            "messages": [{"$ref": f"#/channels/{spec.domain}/messages/{spec.payload.__name__}"}],
        }
        for spec in specs
    }


def _message(spec: EventSpec) -> dict[str, Any]:
    # ``type`` is fixed; ``source`` is only an example, since an emitter may name its instance instead.
    fixed = {"type": {"const": spec.type}, "source": {"examples": [spec.source]}}
    return {
        "name": spec.payload.__name__,
        "title": spec.type,
        "summary": spec.description,
        "contentType": "application/json",
        "correlationId": {"location": "$message.header#/correlationid"},
        "headers": {"allOf": [{"$ref": _SCHEMA_REF.format(name=_ENVELOPE)}, {"type": "object", "properties": fixed}]},
        "payload": {"$ref": _SCHEMA_REF.format(name=spec.payload.__name__)},
        "tags": [{"name": spec.domain}],
        "x-revflow-owner": spec.owner,
        "x-revflow-status": spec.status.value,
        **({"x-revflow-replaced-by": spec.replaced_by} if spec.replaced_by else {}),
    }


def _schemas(specs: list[EventSpec]) -> dict[str, Any]:
    _, components = msgspec.json.schema_components(
        [*(spec.payload for spec in specs), CloudEvent], ref_template=_SCHEMA_REF
    )
    envelope = components.pop(CloudEvent.__name__)
    envelope["properties"].pop("data")
    envelope["title"] = _ENVELOPE
    envelope["description"] = "CloudEvents 1.0 attributes and revflow's extensions (everything but `data`)."
    components[_ENVELOPE] = envelope
    return dict(sorted(components.items()))


def build_asyncapi() -> dict[str, Any]:
    """Build the AsyncAPI 3.0 document of ``EVENT_CATALOG``.

    Returns:
        The document as plain dicts and lists, in a deterministic order.
    """
    specs = list(EVENT_CATALOG.values())
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "revflow events",
            "version": "1.0.0",
            "description": _DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "servers": {
            "redis": {
                "host": "localhost:6379",
                "protocol": "redis",
                "description": "The Redis named by REDIS_URL in each deployment.",
            }
        },
        "channels": _channels(specs),
        "operations": _operations(specs),
        "components": {
            "schemas": _schemas(specs),
            "messages": {spec.payload.__name__: _message(spec) for spec in specs},
        },
    }


def render_asyncapi() -> str:
    """Return the document as YAML text, exactly as it is committed."""
    # PyYAML is imported here, not at module top: contracts depends on msgspec and the standard library at
    # import time, and only this build-time writer needs YAML.
    import yaml

    class _Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:  # no anchors: the file reads top to bottom
            return True

    body = yaml.dump(build_asyncapi(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    return _HEADER + body


def write_asyncapi(path: str | Path = ASYNCAPI_PATH) -> Path:
    """Write the generated document to ``path`` (by default the committed ``contracts/asyncapi.yaml``).

    Returns:
        The path written.
    """
    target = Path(path)
    target.write_text(render_asyncapi(), encoding="utf-8")
    return target
