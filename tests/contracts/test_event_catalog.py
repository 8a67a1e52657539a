"""Event catalogue: naming rule, coverage, and every payload through the CloudEvents codec and JSON."""

from __future__ import annotations

import re

import msgspec
import pytest

from contracts.event_payloads import OpportunityLost
from contracts.events import (
    EVENT_CATALOG,
    CloudEvent,
    EventStatus,
    UnknownEventTypeError,
    build_event,
    decode_event,
    decode_event_data,
    encode_event,
    event_type_of,
    new_event,
)
from services.runtime.events._keys import stream_key
from services.runtime.redis import KeySpace
from tests.contracts.contract_samples import AT, payloads

# The rule written out again, so a loosened pattern in the code does not loosen the test.
NAMING_RULE = re.compile(
    r"revflow\.(crm|billing|erp|revrec|process)\.[a-z]+(_[a-z]+)*\.[a-z]+(_[a-z]+)*\.v[1-9][0-9]*"
)
REQUIRED = [
    "revflow.crm.opportunity.closed_won.v1",
    "revflow.crm.opportunity.amended.v1",
    "revflow.crm.opportunity.renewed.v1",
    "revflow.crm.opportunity.lost.v1",
    "revflow.billing.invoice.created.v1",
    "revflow.billing.invoice.finalized.v1",
    "revflow.billing.invoice.paid.v1",
    "revflow.billing.invoice.voided.v1",
    "revflow.billing.subscription.created.v1",
    "revflow.billing.subscription.updated.v1",
    "revflow.billing.subscription.canceled.v1",
    "revflow.billing.credit_note.created.v1",
    "revflow.billing.refund.created.v1",
    "revflow.billing.usage.recorded.v1",
    "revflow.erp.invoice.posted.v1",
    "revflow.revrec.contract.registered.v1",
    "revflow.revrec.schedule.updated.v1",
    "revflow.revrec.period.closed.v1",
    "revflow.process.workflow.completed.v1",
    "revflow.process.workflow.needs_attention.v1",
]
SAMPLES = payloads()


class TestCatalogue:
    def test_required_types_are_catalogued(self) -> None:
        assert set(REQUIRED) <= set(EVENT_CATALOG)

    @pytest.mark.parametrize("type_", sorted(EVENT_CATALOG))
    def test_entry_is_consistent(self, type_: str) -> None:
        spec = EVENT_CATALOG[type_]
        assert NAMING_RULE.fullmatch(type_)
        assert spec.type == type_
        assert spec.domain == type_.split(".")[1]
        assert spec.major == int(type_.rsplit(".v", 1)[1])
        assert spec.stream == stream_key(KeySpace("revflow:"), spec.domain), "must be the bus's real key"
        assert spec.source.startswith("/services/")
        assert spec.owner and spec.description
        assert spec.status in (EventStatus.ACTIVE, EventStatus.DEPRECATED)
        assert (spec.replaced_by is None) or (spec.replaced_by in EVENT_CATALOG)
        assert issubclass(spec.payload, msgspec.Struct)

    def test_each_payload_class_serves_one_type(self) -> None:
        classes = [spec.payload for spec in EVENT_CATALOG.values()]
        assert len(set(classes)) == len(classes)

    def test_samples_cover_the_catalogue(self) -> None:
        assert set(SAMPLES) == {spec.payload for spec in EVENT_CATALOG.values()}


class TestCodec:
    @pytest.mark.parametrize("type_", sorted(EVENT_CATALOG))
    def test_round_trip_through_json(self, type_: str) -> None:
        payload = SAMPLES[EVENT_CATALOG[type_].payload]
        event = build_event(payload, subject="key-1", correlationid="corr-1", traceparent="00-ab-cd-01", time=AT)
        raw = encode_event(event)
        back = decode_event(raw)
        assert back.type == type_
        assert back.data == payload
        assert (back.subject, back.correlationid, back.traceparent, back.time) == ("key-1", "corr-1", "00-ab-cd-01", AT)
        # A consumer that parsed only the envelope gets the same payload from the raw dict.
        envelope = msgspec.json.decode(raw, type=CloudEvent)
        assert isinstance(envelope.data, dict)
        assert decode_event_data(envelope) == payload

    def test_build_event_uses_catalogued_type_and_source(self) -> None:
        event = build_event(OpportunityLost(opportunity_id="006", closed_at=AT), subject="006")
        assert event.type == "revflow.crm.opportunity.lost.v1"
        assert event.source == "/services/system/crm"
        assert event.specversion == "1.0" and event.id

    def test_unknown_type_fails_clearly(self) -> None:
        event = new_event(type="revflow.crm.opportunity.teleported.v1", source="/x", data={})
        reason = re.escape("unknown event type 'revflow.crm.opportunity.teleported.v1'")
        with pytest.raises(UnknownEventTypeError, match=reason):
            decode_event_data(event)
        with pytest.raises(UnknownEventTypeError):
            encode_event(event)

    def test_uncatalogued_payload_class_refused(self) -> None:
        class Stray(msgspec.Struct, frozen=True, kw_only=True):
            x: int

        with pytest.raises(UnknownEventTypeError, match="Stray is not the payload"):
            event_type_of(Stray(x=1))

    def test_bad_payload_names_type_and_field(self) -> None:
        raw = encode_event(build_event(SAMPLES[OpportunityLost], subject="006"))
        doc = msgspec.json.decode(raw)
        doc["data"]["closed_at"] = "2025-01-15T12:30:00"
        pattern = r"revflow.crm.opportunity.lost.v1: .*timezone.* `\$.closed_at`"
        with pytest.raises(msgspec.ValidationError, match=pattern):
            decode_event(msgspec.json.encode(doc))

    def test_invariant_inside_payload_rejected(self) -> None:
        event = build_event(SAMPLES[EVENT_CATALOG["revflow.erp.invoice.posted.v1"].payload], subject="in_1")
        doc = msgspec.json.decode(encode_event(event))
        doc["data"]["journal_entry"]["lines"][0]["amount"]["amount_minor"] = 1
        with pytest.raises(msgspec.ValidationError, match=r"lines: entry is unbalanced .* `\$.journal_entry`"):
            decode_event(msgspec.json.encode(doc))

    def test_payload_of_another_type_refused(self) -> None:
        # InvoiceCreated and InvoiceFinalized have the same shape; the codec must still tell them apart.
        created = SAMPLES[EVENT_CATALOG["revflow.billing.invoice.created.v1"].payload]
        event = new_event(type="revflow.billing.invoice.finalized.v1", source="/x", data=created)
        with pytest.raises(msgspec.ValidationError, match="data is a InvoiceCreated, expected InvoiceFinalized"):
            encode_event(event)

    def test_missing_data_refused(self) -> None:
        event = new_event(type="revflow.crm.opportunity.lost.v1", source="/x", data=None)
        reason = re.escape("revflow.crm.opportunity.lost.v1: Expected `object`")
        with pytest.raises(msgspec.ValidationError, match=reason):
            decode_event_data(event)

    def test_event_type_breaking_the_rule_refused_by_envelope(self) -> None:
        doc = msgspec.json.decode(encode_event(build_event(SAMPLES[OpportunityLost], subject="006")))
        doc["type"] = "crm.opportunity.lost"
        with pytest.raises(msgspec.ValidationError, match=r"`\$.type`"):
            decode_event(msgspec.json.encode(doc))
