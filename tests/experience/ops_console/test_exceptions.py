"""The exception queue and the requests people make from it, against the real process API.

A deal whose SKU NetSuite does not know parks as ``blocked_master_data`` for finance ops. The console shows it
in the queue and on the deal with owner and fix; a form without the session's CSRF token changes nothing; a
role that may not act is refused before the process API is called; finance resumes it after creating the
item, the deal completes, and the audit stream names the person who asked. A form sent twice is one request.
"""

from __future__ import annotations

import html
import time

from services.runtime.audit import AuditLog
from services.runtime.redis import KeySpace
from tests.experience.ops_console.harness import Console, csrf_of, key_of


def _resume_form(page: str, workflow_id: str) -> bool:
    return f'action="/workflows/{workflow_id}/resume"' in page


class TestQueue:
    def test_the_blocked_deal_is_in_finance_ops_queue_with_its_reason_fix_and_age(self, console: Console):
        deal, missing = console.blocked_deal()
        exc = console.topology.workflow(f"activation:{deal}")["exception"]
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            page = browser.get("/exceptions", params={"owner": "finance_ops"})
            assert page.status_code == 200
            text = html.unescape(page.text)
            assert f"/deals/{deal}" in page.text and f"activation:{deal}" in text
            assert exc["reason"] in text and exc["fix"] in text and missing in text
            assert "Finance ops" in text and "SLA 24 h" in text
            other = browser.get("/exceptions", params={"owner": "billing_ops"})
            assert f"activation:{deal}" not in other.text

    def test_the_deal_view_names_the_owner_and_the_fix(self, console: Console):
        deal, _ = console.blocked_deal()
        exc = console.topology.workflow(f"activation:{deal}")["exception"]
        with console.browser() as browser:
            console.sign_in("finance", browser)
            page = browser.get(f"/deals/{deal}")
            text = html.unescape(page.text)
            assert 'id="deal-status"><span class="badge badge-blocked_master_data">Blocked: master data' in text
            assert 'id="deal-owner">Finance ops' in text
            assert exc["fix"] in text and "erp_items" in text
            assert _resume_form(page.text, f"activation:{deal}")


class TestCsrf:
    def test_a_resume_without_the_token_is_refused_and_nothing_changes(self, console: Console):
        deal, missing = console.blocked_deal()
        console.topology.item(missing)
        with console.browser() as browser:
            console.sign_in("finance", browser)
            page = browser.get(f"/deals/{deal}")
            for data in ({"idempotency_key": key_of(page.text)},
                         {"idempotency_key": key_of(page.text), "csrf_token": csrf_of(page.text)[::-1]}):
                refused = browser.post(f"/workflows/activation:{deal}/resume", data=data)
                assert refused.status_code == 403
                assert "nothing was changed" in refused.text
        after = console.topology.workflow(f"activation:{deal}")
        assert (after["state"], after["resumes"]) == ("parked", 0)

    def test_a_token_from_another_session_is_refused(self, console: Console):
        deal, _ = console.blocked_deal()
        with console.browser() as mine, console.browser() as theirs:
            console.sign_in("finance", mine)
            console.sign_in("finance", theirs)
            their_page = theirs.get(f"/deals/{deal}")
            form = {"csrf_token": csrf_of(their_page.text), "idempotency_key": key_of(their_page.text)}
            refused = mine.post(f"/workflows/activation:{deal}/cancel", data=form)
            assert refused.status_code == 403
        assert console.topology.workflow(f"activation:{deal}")["state"] == "parked"


class TestRoles:
    def test_a_viewer_sees_the_exception_but_cannot_resume_or_cancel_it(self, console: Console):
        deal, missing = console.blocked_deal()
        console.topology.item(missing)
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            page = browser.get(f"/deals/{deal}")
            assert page.status_code == 200 and not _resume_form(page.text, f"activation:{deal}")
            assert "can see this but not act on it" in page.text
            for action in ("resume", "cancel"):
                refused = browser.post(f"/workflows/activation:{deal}/{action}",
                                       data={"csrf_token": csrf_of(page.text), "idempotency_key": "k" * 32})
                assert refused.status_code == 403 and "Not allowed for your role" in refused.text
        after = console.topology.workflow(f"activation:{deal}")
        assert (after["state"], after["resumes"]) == ("parked", 0)

    def test_other_teams_cannot_resume_what_finance_owns_nor_cancel_anything(self, console: Console):
        deal, _ = console.blocked_deal()
        for username in ("sales", "billing"):
            with console.browser() as browser:
                console.sign_in(username, browser)
                page = browser.get(f"/deals/{deal}")
                assert not _resume_form(page.text, f"activation:{deal}")
                for action in ("resume", "cancel"):
                    refused = browser.post(f"/workflows/activation:{deal}/{action}",
                                           data={"csrf_token": csrf_of(page.text), "idempotency_key": "k" * 32})
                    assert refused.status_code == 403, (username, action)
        assert console.topology.workflow(f"activation:{deal}")["state"] == "parked"


class TestResume:
    async def test_finance_resumes_after_the_fix_and_the_audit_names_the_person(self, console: Console, redis):
        deal, missing = console.blocked_deal()
        workflow_id = f"activation:{deal}"
        console.topology.item(missing)  # finance creates the item in NetSuite
        with console.browser() as browser:
            console.sign_in("finance", browser)
            page = browser.get(f"/deals/{deal}")
            form = {"csrf_token": csrf_of(page.text), "idempotency_key": key_of(page.text), "next": f"/deals/{deal}"}
            first = browser.post(f"/workflows/{workflow_id}/resume", data=form)
            assert (first.status_code, first.headers["location"]) == (303, f"/deals/{deal}")
            shown = browser.get(f"/deals/{deal}").text
            assert f"Resume {workflow_id}: accepted." in shown
            again = browser.post(f"/workflows/{workflow_id}/resume", data=form)  # the same form sent twice
            assert again.status_code == 303
            assert "had been sent before; nothing was repeated" in browser.get(f"/deals/{deal}").text
        done = console.topology.wait_for(workflow_id, lambda w: w["state"] in ("succeeded", "dead_lettered"))
        assert (done["state"], done["resumes"]) == ("succeeded", 1)
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            page = html.unescape(browser.get(f"/deals/{deal}").text)
        assert "badge-completed" in page and "subscription_id" in page
        entries = await AuditLog(redis, KeySpace(console.topology.prefix)).entries(count=10_000)
        mine = [e for e in entries if e.subject == workflow_id]
        assert [(e.actor, e.action) for e in mine] == [("finance (Fran Okafor) via ops_console", "ops_console.resume")]
        resumed = [h for h in done["history"] if h["event"] == "resumed"]
        assert [h["actor"] for h in resumed] == ["finance (Fran Okafor) via ops_console"]  # the workflow says so too

    def test_cancel_by_finance_undoes_the_completed_steps(self, console: Console):
        deal, _ = console.blocked_deal()
        with console.browser() as browser:
            console.sign_in("finance", browser)
            page = browser.get(f"/deals/{deal}")
            assert 'data-confirm="Cancel' in page.text
            done = browser.post(f"/workflows/activation:{deal}/cancel",
                                data={"csrf_token": csrf_of(page.text), "idempotency_key": key_of(page.text)})
            assert done.status_code == 303
        cancelled = console.topology.wait_for(f"activation:{deal}", lambda w: w["state"] == "compensated")
        assert cancelled["business_status"] == "cancelled"
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            page = browser.get(f"/deals/{deal}").text
        assert 'id="deal-status"><span class="badge badge-cancelled">Cancelled' in page


class TestAssign:
    def test_finance_assigns_the_exception_and_the_assignee_finds_it_under_assigned_to_me(self, console: Console):
        deal, _ = console.blocked_deal()
        workflow_id = f"activation:{deal}"
        with console.browser() as browser:
            console.sign_in("finance", browser)
            page = browser.get("/exceptions", params={"owner": "finance_ops"})
            assert f'action="/workflows/{workflow_id}/assign"' in page.text
            form = {"csrf_token": csrf_of(page.text), "idempotency_key": key_of(page.text), "assignee": "  maria  ",
                    "next": "/exceptions?owner=finance_ops"}
            done = browser.post(f"/workflows/{workflow_id}/assign", data=form)
            assert (done.status_code, done.headers["location"]) == (303, "/exceptions?owner=finance_ops")
            assert f"Assign {workflow_id} to maria: accepted." in html.unescape(browser.get("/exceptions").text)
            blank = browser.post(f"/workflows/{workflow_id}/assign", data={**form, "assignee": " ",
                                                                          "idempotency_key": "b" * 32})
            assert blank.status_code == 303
            assert "name the person" in browser.get("/exceptions").text
        listed = console.topology.process.get("/v1/exceptions", params={"assignee": "maria"}).json()["data"]
        [mine] = [e for e in listed if e["workflow_id"] == workflow_id]
        assert mine["assignment"]["assigned_by"] == "finance (Fran Okafor) via ops_console"
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            everyone = browser.get("/exceptions").text
            assert f'action="/workflows/{workflow_id}/assign"' not in everyone  # a viewer cannot assign
            assert "Assigned to me" in everyone
            theirs = browser.get("/exceptions", params={"assignee": "maria"}).text
            assert workflow_id in theirs and "Unassigned" not in theirs
            refused = browser.post(f"/workflows/{workflow_id}/assign", data={
                "csrf_token": csrf_of(everyone), "idempotency_key": "v" * 32, "assignee": "viewer"})
            assert refused.status_code == 403
        again = console.topology.process.get("/v1/exceptions", params={"assignee": "maria"}).json()["data"]
        assert [e["workflow_id"] for e in again if e["workflow_id"] == workflow_id] == [workflow_id]

    def test_sales_cannot_assign_what_finance_owns(self, console: Console):
        deal, _ = console.blocked_deal()
        with console.browser() as browser:
            console.sign_in("sales", browser)
            page = browser.get("/exceptions")
            refused = browser.post(f"/workflows/activation:{deal}/assign", data={
                "csrf_token": csrf_of(page.text), "idempotency_key": "s" * 32, "assignee": "sales"})
            assert refused.status_code == 403
        listed = console.topology.process.get("/v1/exceptions", params={"assignee": "sales"}).json()["data"]
        assert f"activation:{deal}" not in [e["workflow_id"] for e in listed]


class TestDeadLetters:
    async def test_billing_replays_a_dead_letter_and_a_viewer_cannot(self, console: Console, redis):
        # An entry no consumer can decode lands in the billing stream's dead letters at its first delivery.
        stream = f"{console.topology.prefix}{{events:billing}}"
        raw_id = (await redis.xadd(stream, {"ce": b"{not an event"})).decode()
        entry = _dead_letter_of(console, raw_id)
        entry_id = entry["entry_id"]
        with console.browser() as browser:
            console.sign_in("viewer", browser)
            page = browser.get("/exceptions").text
            assert entry_id in page and "undecodable event" in page
            assert f'action="/dead-letters/{entry_id}/replay"' not in page
            refused = browser.post(f"/dead-letters/{entry_id}/replay",
                                   data={"csrf_token": csrf_of(page), "idempotency_key": "k" * 32})
            assert refused.status_code == 403
        assert entry_id in _dead_letter_ids(console)
        with console.browser() as browser:
            console.sign_in("billing", browser)
            page = browser.get("/exceptions").text
            assert f'action="/dead-letters/{entry_id}/replay"' in page
            done = browser.post(f"/dead-letters/{entry_id}/replay",
                                data={"csrf_token": csrf_of(page), "idempotency_key": key_of(page)})
            assert (done.status_code, done.headers["location"]) == (303, "/exceptions#dead-letters")
            assert f"Replay of dead letter {entry_id}: accepted." in browser.get("/exceptions").text
        assert entry_id not in _dead_letter_ids(console)  # replayed: back on its stream (where it fails again)


def _dead_letter_ids(console: Console) -> list[str]:
    return [d["entry_id"] for d in console.topology.process.get("/v1/dead-letters", params={"limit": 500}).json()]


def _dead_letter_of(console: Console, stream_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for letter in console.topology.process.get("/v1/dead-letters", params={"limit": 500}).json():
            if letter["stream_id"] == stream_id:
                return letter
        time.sleep(0.1)
    raise AssertionError(f"stream entry {stream_id} was not dead-lettered")
