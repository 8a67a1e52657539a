"""Push endpoints refuse what is not authentic and acknowledge what is, as each vendor expects.

Salesforce: a message from another org is refused; a genuine one gets the SOAP ``<Ack>true</Ack>`` envelope,
and a repeated Notification Id is acknowledged without publishing again. HubSpot: a tampered, stale or
missing ``X-HubSpot-Signature-v3`` is refused; a valid one is accepted once per event id.
"""

from __future__ import annotations

import json
import time

import pytest

from services.system.crm.connectors.hubspot import signature_v3
from tests.system.crm.journeys import won_deal
from tests.system.crm.test_closed_won import drain
from tests.system.crm.vendors import HUBSPOT_SECRET


def _outbound(org_id: str, notification_id: str, opportunity_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
        'envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        f'<OrganizationId>{org_id}</OrganizationId><ActionId>04k000000000001</ActionId>'
        f'<Notification><Id>{notification_id}</Id><sObject xsi:type="sf:Opportunity" '
        f'xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Id>{opportunity_id}</sf:Id>'
        '<sf:StageName>Closed Won</sf:StageName></sObject></Notification></notifications></soapenv:Body>'
        '</soapenv:Envelope>').encode()


class TestSalesforceOutboundMessage:
    @pytest.mark.parametrize("vendor", ["salesforce"], indirect=True)
    async def test_org_checked_ack_answered_and_notification_deduplicated(self, crm, vendor, redis, key_prefix):
        deal = won_deal(crm, vendor)
        headers = {"Content-Type": "text/xml", "Authorization": ""}
        foreign = crm.client.post("/v1/webhooks/salesforce", content=_outbound("00D000000000BAD", "04l1", deal),
                                  headers=headers)
        assert foreign.status_code == 400 and foreign.json()["code"] == "organization_invalid"
        for _ in range(2):
            ok = crm.client.post("/v1/webhooks/salesforce", content=_outbound(vendor.org_id, "04l1", deal),
                                 headers=headers)
            assert ok.status_code == 200 and b"<Ack>true</Ack>" in ok.content
        assert [e.subject for e in await drain(redis, key_prefix)] == [deal]
        garbage = crm.client.post("/v1/webhooks/salesforce", content=b"<notifications", headers=headers)
        assert garbage.status_code == 400


class TestHubSpotSignature:
    @pytest.mark.parametrize("vendor", ["hubspot"], indirect=True)
    async def test_bad_signatures_refused_and_valid_accepted_once(self, crm, vendor, redis, key_prefix):
        deal = won_deal(crm, vendor)
        url = f"{crm.url}/v1/webhooks/hubspot"
        body = json.dumps([{"eventId": 77, "subscriptionType": "deal.propertyChange", "objectId": int(deal),
                            "propertyName": "dealstage", "propertyValue": "closedwon", "occurredAt": 1}]).encode()
        now = int(time.time() * 1000)

        def post(signature: str, stamp: int, content: bytes = body):
            return crm.client.post("/v1/webhooks/hubspot", content=content, headers={
                "X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": str(stamp),
                "Content-Type": "application/json", "Authorization": ""})

        stale = now - 301_000
        for signature, stamp, content in [(signature_v3(HUBSPOT_SECRET, "POST", url, body, now), now, body + b" "),
                                          (signature_v3(HUBSPOT_SECRET, "POST", url, body, stale), stale, body),
                                          (signature_v3("wrong", "POST", url, body, now), now, body), ("", now, body)]:
            refused = post(signature, stamp, content)
            assert refused.status_code == 400 and refused.json()["code"] == "signature_invalid", refused.text
        valid = signature_v3(HUBSPOT_SECRET, "POST", url, body, now)
        assert post(valid, now).json() == {"received": 1, "duplicates": 0, "published": 1}
        assert post(valid, now).json() == {"received": 1, "duplicates": 1, "published": 0}
        assert [e.subject for e in await drain(redis, key_prefix)] == [deal]

    def test_the_other_vendors_route_is_404(self, crm, vendor):
        other = "hubspot" if vendor.vendor == "salesforce" else "salesforce"
        assert crm.client.post(f"/v1/webhooks/{other}", content=b"{}").status_code == 404
