"""AsyncAPI: the committed document is current, structurally valid AsyncAPI 3.0, and true to the codec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest
import yaml

from contracts.asyncapi import ASYNCAPI_PATH, build_asyncapi, render_asyncapi, write_asyncapi
from contracts.events import EVENT_CATALOG, build_event, encode_event
from services.runtime.events._keys import stream_key
from services.runtime.redis import KeySpace
from tests.contracts.contract_samples import payloads

DOC: dict[str, Any] = yaml.safe_load(ASYNCAPI_PATH.read_text(encoding="utf-8"))
SAMPLES = payloads()


def resolve(ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = DOC
    for part in ref[2:].split("/"):
        assert isinstance(node, dict) and part in node, f"dangling $ref {ref}"
        node = node[part]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def validate(instance: Any, schema: dict[str, Any]) -> None:
    # Refs in the document are relative to its root, so validate against the root with the schema on top.
    jsonschema.Draft202012Validator({**DOC, **schema}).validate(instance)


class TestCommittedFile:
    def test_committed_file_is_current(self) -> None:
        assert ASYNCAPI_PATH.read_text(encoding="utf-8") == render_asyncapi(), (
            "contracts/asyncapi.yaml is stale: regenerate it with contracts.asyncapi.write_asyncapi()"
        )

    def test_committed_file_parses_to_the_built_document(self) -> None:
        assert build_asyncapi() == DOC

    def test_write_asyncapi_writes_the_rendered_text(self, tmp_path: Path) -> None:
        target = write_asyncapi(tmp_path / "events.yaml")
        assert target.read_text(encoding="utf-8") == ASYNCAPI_PATH.read_text(encoding="utf-8")


class TestStructure:
    def test_top_level(self) -> None:
        assert DOC["asyncapi"] == "3.0.0"
        assert DOC["info"]["title"] and DOC["info"]["version"]
        assert {"channels", "operations", "components"} <= set(DOC)
        for server in DOC["servers"].values():
            assert server["protocol"] == "redis" and server["host"]

    def test_every_ref_resolves(self) -> None:
        all_refs = refs(DOC)
        assert len(all_refs) > 3 * len(EVENT_CATALOG)
        for ref in all_refs:
            resolve(ref)

    def test_channels_are_redis_streams_per_domain(self) -> None:
        domains = {spec.domain for spec in EVENT_CATALOG.values()}
        assert set(DOC["channels"]) == domains
        for domain, channel in DOC["channels"].items():
            address = channel["address"]
            for name, param in channel.get("parameters", {}).items():
                assert "{" + name + "}" in address
                address = address.replace("{" + name + "}", param["default"])
                assert param["enum"] == [param["default"]]
            # The address must be the key the runtime's event bus really publishes to.
            assert address == stream_key(KeySpace("revflow:"), domain)

    def test_operations_send_channel_messages(self) -> None:
        for name, operation in DOC["operations"].items():
            assert operation["action"] in ("send", "receive"), name
            channel_ref = operation["channel"]["$ref"]
            for message in operation["messages"]:
                assert message["$ref"].startswith(channel_ref + "/messages/"), name
                resolve(message["$ref"])

    def test_each_catalogued_type_has_one_message_with_an_existing_schema(self) -> None:
        messages = DOC["components"]["messages"]
        by_title = {m["title"]: m for m in messages.values()}
        assert len(by_title) == len(messages)
        assert set(by_title) == set(EVENT_CATALOG)
        schemas = DOC["components"]["schemas"]
        for type_, spec in EVENT_CATALOG.items():
            message = by_title[type_]
            name = message["payload"]["$ref"].removeprefix("#/components/schemas/")
            assert name == spec.payload.__name__ and name in schemas
            channel_messages = DOC["channels"][spec.domain]["messages"]
            assert channel_messages[message["name"]]["$ref"] == f"#/components/messages/{message['name']}"

    @pytest.mark.parametrize("name", sorted(build_asyncapi()["components"]["schemas"]))
    def test_component_schemas_are_valid_json_schema(self, name: str) -> None:
        jsonschema.Draft202012Validator.check_schema(DOC["components"]["schemas"][name])


class TestDocumentMatchesTheWire:
    @pytest.mark.parametrize("type_", sorted(EVENT_CATALOG))
    def test_encoded_event_validates_against_its_message(self, type_: str) -> None:
        spec = EVENT_CATALOG[type_]
        wire = msgspec.json.decode(encode_event(build_event(SAMPLES[spec.payload], subject="k", correlationid="c")))
        message = DOC["components"]["messages"][spec.payload.__name__]
        validate(wire.pop("data"), message["payload"])
        validate(wire, message["headers"])

    def test_headers_pin_the_event_type(self) -> None:
        lost = EVENT_CATALOG["revflow.crm.opportunity.lost.v1"]
        wire = msgspec.json.decode(encode_event(build_event(SAMPLES[lost.payload], subject="k")))
        wire.pop("data")
        wire["type"] = "revflow.crm.opportunity.closed_won.v1"
        with pytest.raises(jsonschema.ValidationError):
            validate(wire, DOC["components"]["messages"][lost.payload.__name__]["headers"])

    def test_schema_rejects_float_money(self) -> None:
        with pytest.raises(jsonschema.ValidationError):
            validate({"amount_minor": 12.5, "currency": "USD"}, {"$ref": "#/components/schemas/Money"})
