"""Opportunity Outbound Messages: SOAP shape, acknowledgement, the workflow rule's stage criteria, redelivery with
the same Notification Id (by retry, and on demand to the listeners configured now)."""

from __future__ import annotations

from typing import Any

import httpx
from simple_salesforce import Salesforce


def _won(sf: Salesforce, stage: str = "Closed Won") -> str:
    account = sf.Account.create({"Name": "Initech"})["id"]
    return str(sf.Opportunity.create({"Name": "Initech deal", "AccountId": account, "StageName": stage,
                                      "CloseDate": "2025-03-31", "Amount": 1200})["id"])


class TestOutboundMessage:
    def test_created_won_notifies_with_soap_headers(self, sf: Salesforce, admin: httpx.Client, listen: Any) -> None:
        listener, url = listen()
        admin.post("/__sandbox/outbound-messages", json={"urls": [url], "fields": ["Name", "Amount"]})
        opp = _won(sf)
        (note,) = listener.wait_for(1)
        assert note.headers["content-type"].startswith("text/xml")
        assert note.headers["soapaction"] == '""'
        assert note.fields == {"Id": opp, "Name": "Initech deal", "Amount": "1200.0"}

    def test_unacknowledged_message_is_redelivered_with_same_id(self, sf: Salesforce, admin: httpx.Client,
                                                                listen: Any) -> None:
        listener, url = listen(refuse=2)  # answers <Ack>false</Ack> twice, then acknowledges
        admin.post("/__sandbox/outbound-messages", json={"urls": [url]})
        _won(sf)
        notes = listener.wait_for(3)
        assert len({n.notification_id for n in notes}) == 1
        assert admin.post("/__sandbox/outbound-messages/flush").json() == {"idle": True}
        log = admin.get("/__sandbox/outbound-messages").json()["deliveries"]
        assert [(d["attempt"], d["acked"]) for d in log] == [(1, False), (2, False), (3, True)]

    def test_http_error_is_not_an_ack_and_gives_up_after_max_attempts(self, sf: Salesforce, admin: httpx.Client,
                                                                      listen: Any) -> None:
        listener, url = listen(status=500)
        admin.post("/__sandbox/outbound-messages", json={"urls": [url], "max_attempts": 3})
        _won(sf)
        assert admin.post("/__sandbox/outbound-messages/flush").json() == {"idle": True}
        assert len(listener.received) == 3
        assert not any(d["acked"] for d in admin.get("/__sandbox/outbound-messages").json()["deliveries"])

    def test_only_the_change_to_closed_won_fires(self, sf: Salesforce, admin: httpx.Client, listen: Any) -> None:
        listener, url = listen()
        admin.post("/__sandbox/outbound-messages", json={"urls": [url]})
        opp = _won(sf, stage="Prospecting")
        sf.Opportunity.update(opp, {"StageName": "Negotiation/Review"})
        sf.Opportunity.update(opp, {"StageName": "Closed Won"})
        sf.Opportunity.update(opp, {"Description": "signed"})
        admin.post("/__sandbox/outbound-messages/flush")
        assert [n.fields["StageName"] for n in listener.received] == ["Closed Won"]

    def test_the_rule_fires_on_entering_its_stages_not_on_moving_within_them(self, sf: Salesforce,
                                                                             admin: httpx.Client,
                                                                             listen: Any) -> None:
        listener, url = listen()
        admin.post("/__sandbox/outbound-messages", json={"urls": [url], "stages": ["Closed Won", "Closed Lost"]}
                   ).raise_for_status()
        lost = _won(sf, stage="Prospecting")
        sf.Opportunity.update(lost, {"StageName": "Closed Lost"})
        won = _won(sf)
        sf.Opportunity.update(won, {"StageName": "Closed Lost"})  # still within the criteria: no new message
        admin.post("/__sandbox/outbound-messages/flush")
        assert [(n.fields["Id"], n.fields["StageName"]) for n in listener.received] == [(lost, "Closed Lost"),
                                                                                         (won, "Closed Won")]

    def test_redeliver_sends_past_notifications_again_to_current_listeners(self, sf: Salesforce,
                                                                           admin: httpx.Client,
                                                                           listen: Any) -> None:
        first, first_url = listen()
        admin.post("/__sandbox/outbound-messages", json={"urls": [first_url]})
        _won(sf)
        (note,) = first.wait_for(1)
        second, second_url = listen()
        admin.post("/__sandbox/outbound-messages", json={"urls": [second_url]})
        assert admin.post("/__sandbox/outbound-messages/redeliver").json() == {"queued": 1}
        (again,) = second.wait_for(1)
        assert again.notification_id == note.notification_id and len(first.received) == 1

    def test_rolled_back_composite_sends_nothing(self, sf: Salesforce, admin: httpx.Client, listen: Any) -> None:
        listener, url = listen()
        admin.post("/__sandbox/outbound-messages", json={"urls": [url]})
        base = "/services/data/v62.0/sobjects"
        sf.restful("composite", method="POST", json={"allOrNone": True, "compositeRequest": [
            {"method": "POST", "url": f"{base}/Opportunity", "referenceId": "opp",
             "body": {"Name": "Won", "StageName": "Closed Won", "CloseDate": "2025-01-31"}},
            {"method": "POST", "url": f"{base}/Account", "referenceId": "bad", "body": {}},
        ]})
        admin.post("/__sandbox/outbound-messages/flush")
        assert listener.received == []
        assert sf.query("SELECT COUNT() FROM Opportunity")["totalSize"] == 0

    def test_bad_listener_config_is_refused(self, admin: httpx.Client) -> None:
        assert admin.post("/__sandbox/outbound-messages", json={"urls": ["ftp://x"]}).status_code == 400
        assert admin.post("/__sandbox/outbound-messages", json={"fields": ["Nope"]}).status_code == 400
        assert admin.post("/__sandbox/outbound-messages", json={"stages": ["Won"]}).status_code == 400
        assert admin.post("/__sandbox/outbound-messages", json={"stages": []}).status_code == 400
