"""The governance pages (system of record, contract catalogue, SLOs, KPIs) render what the real process API serves.

The console runs in front of the whole chain. The state the pages show is arranged the way it arises in
production: a client calls a deprecated route of the example service (deployed beside the process API), and
workflow records with chosen timestamps are written to the process's store (a late activation that breaches
the activation SLO, and a finished accounting period in the past). Every value asserted is read from the
process API's own JSON, or follows from those seeded timestamps; never from what the console computed.
"""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.example.app import create_app as create_example
from services.example.settings import ExampleSettings
from services.process.quote_to_cash.engine import Workflows
from services.process.quote_to_cash.saga import HistoryEntry, WorkflowRecord, WorkflowState, WorkflowStore
from services.process.quote_to_cash.slo import SloMonitor
from services.process.quote_to_cash.workflows import DEFINITIONS
from services.runtime.events import EventBus
from services.runtime.redis import KeySpace, create_redis
from services.runtime.testing import serve_in_thread
from tests.conftest import REDIS_URL
from tests.experience.ops_console.harness import Console

PAGES = ("/system-of-record", "/catalogue", "/catalogue/apis/partner.v2", "/slos", "/kpis")
KPI_PERIOD = "2024-03"
CALLER = "revflow-test-other"
NOW = datetime.now(UTC).replace(microsecond=0)
M = timedelta(minutes=1)
LATE = "activation:GOV-LATE"
# Workflows started in KPI_PERIOD: (id, stopped for a person and resumed on the 5th)
PERIOD_RUNS = (("activation:GOV-KPI-1", True), ("activation:GOV-KPI-2", False), ("invoice_sync:in_gov_kpi:open", False))
CLOSED_AT = datetime(2024, 4, 3, 12, tzinfo=UTC)
"""The close of KPI_PERIOD finished 2.5 days after the period ended."""


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))).strip()


def _row(page: str, row_id: str) -> str:
    """The text of the table row (or element) with ``id``."""
    found = re.search(rf'<tr id="{re.escape(row_id)}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, f"no row {row_id}"
    return _text(found.group(1))


def _words(code: str) -> str:
    """``sales_ops`` as a person reads it, lower case (``sales ops``)."""
    return code.replace("_", " ").lower()


def _record(kind: str, workflow_id: str, created: datetime, done: datetime | None,
            data: dict | None = None) -> WorkflowRecord:
    record = DEFINITIONS[kind].new_record(workflow_id, workflow_id.split(":")[1], data or {}, None)
    record.created_at = record.updated_at = created
    record.history = [HistoryEntry(at=created, step=None, event="started")]
    record.state, record.completed_at = WorkflowState.SUCCEEDED, done
    return record


async def _seed(prefix: str) -> None:
    redis = create_redis(REDIS_URL)
    try:
        keyspace = KeySpace(prefix)
        store = WorkflowStore(redis, keyspace)
        # The activation SLO: one on time (2 minutes), one late (6 minutes against 5), both in the last hour.
        assert await store.create(_record("activation", "activation:GOV-FAST", NOW - 20 * M, NOW - 18 * M))
        assert await store.create(_record("activation", LATE, NOW - 15 * M, NOW - 9 * M))
        # A finished period in the past: three workflows, one stopped for a person and resumed; closed once.
        start = datetime(2024, 3, 4, 9, tzinfo=UTC)
        for i, (workflow_id, stopped) in enumerate(PERIOD_RUNS):
            kind = workflow_id.split(":")[0]
            record = _record(kind, workflow_id, start + timedelta(hours=i), start + timedelta(hours=i, minutes=3),
                             {"invoice_id": "in_gov_kpi", "status": "open"} if kind == "invoice_sync" else None)
            if stopped:
                record.history += [HistoryEntry(at=start + timedelta(days=1), step="x", event="parked"),
                                   HistoryEntry(at=start + timedelta(days=1, hours=2), step="x", event="resumed")]
            assert await store.create(record)
        close = _record("period_close", f"period_close:{KPI_PERIOD}", CLOSED_AT - timedelta(hours=1), CLOSED_AT,
                        {"period": KPI_PERIOD})
        close.updated_at = CLOSED_AT
        assert await store.create(close)
        # The SLO monitor runs in the workers every minute; running it here opens the breach now (once either way).
        workflows = Workflows(redis, keyspace, EventBus(redis, keyspace, source="/test"), DEFINITIONS)
        await SloMonitor(workflows).run()
    finally:
        await redis.aclose()


@pytest.fixture(scope="module")
def seeded(console: Console, issuer, module_key_prefix: str) -> Iterator[None]:
    """The seeded workflow records, and a client's call to the example service's deprecated route."""
    asyncio.run(_seed(module_key_prefix))
    settings = ExampleSettings(issuer_url=issuer.url, key_prefix=module_key_prefix, redis_url=REDIS_URL)
    with serve_in_thread(create_example(settings)) as example:
        token = issuer.token("example:read example:write", client_id=CALLER, secret="other-secret")
        auth = {"Authorization": f"Bearer {token}"}
        created = httpx.post(f"{example.url}/v1/accounts", headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                             json={"name": "Acme", "email": "ap@acme.test", "currency": "USD"})
        assert created.status_code == 201, created.text
        legacy = httpx.get(f"{example.url}/v1/account-lookup/{created.json()['id']}", headers=auth)
        assert legacy.status_code == 200 and "sunset" in legacy.headers
        yield


@pytest.fixture(scope="module")
def viewer(console: Console, seeded) -> Iterator[httpx.Client]:
    with console.browser() as browser:
        console.sign_in("viewer", browser)
        yield browser


def _process(console: Console, path: str, **params) -> dict:
    response = console.topology.process.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


class TestSignedOut:
    @pytest.mark.parametrize("path", PAGES)
    def test_a_page_without_a_session_redirects_to_sign_in(self, console: Console, path: str):
        with console.browser() as anonymous:
            response = anonymous.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"

    @pytest.mark.parametrize("path", ["/v1/system-of-record", "/v1/catalogue", "/v1/slos", "/v1/kpis"])
    def test_the_json_api_without_a_session_is_a_401_problem(self, console: Console, path: str):
        with console.browser() as anonymous:
            response = anonymous.get(path)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")


class TestNavigation:
    def test_every_governance_page_is_in_the_navigation_and_marked_current(self, viewer: httpx.Client):
        for path in ("/system-of-record", "/catalogue", "/slos", "/kpis"):
            page = viewer.get(path)
            assert page.status_code == 200, page.text
            nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', page.text, re.S)
            assert nav is not None
            links = re.findall(r'<a href="([^"]+)"', nav.group(1))
            assert {"/system-of-record", "/catalogue", "/slos", "/kpis"} <= set(links)
            assert f'<a href="{path}" aria-current="page">' in nav.group(1)


class TestSystemOfRecord:
    def test_each_object_shows_the_owner_and_team_the_process_applies(self, console: Console, viewer: httpx.Client):
        sor = _process(console, "/v1/system-of-record")
        page = viewer.get("/system-of-record").text
        assert f'<strong id="sor-version">{sor["version"]}</strong>' in page
        assert len(sor["objects"]) >= 9
        for obj in sor["objects"]:
            row = _row(page, f"sor-{obj['object']}").lower()
            owner = re.search(r'<tr id="sor-' + obj["object"] + r'".*?class="sor-owner">([^<]*)<', page, re.S)
            assert owner is not None and owner.group(1).lower() == _words(obj["owner"])
            assert _words(obj["team"]) in row
            followers = re.search(r'<tr id="sor-' + obj["object"] + r'".*?class="sor-followers">([^<]*)<', page, re.S)
            assert followers is not None and _words(obj["owner"]) not in followers.group(1).lower().split(", ")
            for name, field in (obj.get("fields") or {}).items():
                item = re.search(rf'data-field="{obj["object"]}\.{name}">(.*?)</li>', page, re.S)
                assert item is not None, name
                assert f"owned by {_words(field['owner'])} ({_words(field['team'])})" in _text(item.group(1)).lower()

    def test_the_deal_price_is_owned_by_the_crm_while_billing_owns_the_subscription(self, viewer: httpx.Client):
        page = viewer.get("/system-of-record").text
        assert "owned by crm (sales ops)" in _text(
            re.search(r'data-field="subscription\.unit_price">(.*?)</li>', page, re.S).group(1)).lower()


class TestCatalogue:
    def test_every_api_shows_its_owner_and_status_with_the_sunset_of_a_deprecated_one(self, console: Console,
                                                                                        viewer: httpx.Client):
        catalogue = _process(console, "/v1/catalogue")
        page = viewer.get("/catalogue").text
        for api in catalogue["apis"]:
            row = _row(page, f"api-{api['name']}")
            assert api["owner"] in row and api["status"] in row.lower(), api["name"]
            if api["status"] == "deprecated" and api["sunset"]:
                assert f"sunset {api['sunset']}" in row
            assert f'href="/catalogue/apis/{api["name"]}?days=30"' in page
        partner = next(a for a in catalogue["apis"] if a["name"] == "partner.v1")
        assert partner["status"] == "deprecated" and partner["sunset"]

    @pytest.mark.parametrize("days", ["\u00b2", "0", "366", "9" * 5000, "-1", "ab"])
    def test_a_bad_window_shows_the_default_and_says_so(self, viewer: httpx.Client, days: str):
        for path in ("/catalogue", "/catalogue/apis/example.v1"):
            page = viewer.get(path, params={"days": days})
            assert page.status_code == 200, (path, days)
            assert "whole number of days from 1 to 365" in page.text

    def test_the_client_calling_a_deprecated_route_is_named(self, console: Console, viewer: httpx.Client):
        example = next(a for a in _process(console, "/v1/catalogue", days=1)["apis"] if a["name"] == "example.v1")
        [call] = example["consumers"]
        assert call["client_id"] == CALLER
        page = viewer.get("/catalogue", params={"days": 1}).text
        table = re.search(r'<table id="deprecated-callers">(.*?)</table>', page, re.S)
        assert table is not None
        rows = [_text(r) for r in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)]
        assert any(CALLER in r and call["operation"] in r and "example.v1" in r for r in rows), rows
        assert CALLER in _row(page, "api-example.v1")

    def test_every_event_type_shows_its_owner_status_and_consumer_groups(self, console: Console,
                                                                         viewer: httpx.Client):
        events = _process(console, "/v1/catalogue/events")["data"]
        page = viewer.get("/catalogue").text
        for event in events:
            row = _row(page, f"event-{event['type']}")
            assert event["owner"] in row and event["status"] in row.lower(), event["type"]
            for group in event["consumer_groups"]:
                assert group["group"] in row
        assert any(e["consumer_groups"] for e in events), "the workers read some stream"

    def test_the_api_drill_down_shows_the_diff_from_the_previous_major(self, console: Console, viewer: httpx.Client):
        diff = _process(console, "/v1/catalogue/apis/partner.v2")["changes_from_previous_major"]
        page = viewer.get("/catalogue/apis/partner.v2").text
        assert diff["operations_removed"] and diff["schemas_added"]
        section = page[page.index(f"From {diff['from']} to partner.v2"):]
        removed = re.search(r'class="diff-operations-removed">(.*?)</td>', section, re.S).group(1)
        added = re.search(r'class="diff-schemas-added">(.*?)</td>', section, re.S).group(1)
        assert re.findall(r'<li class="mono">([^<]*)</li>', removed) == [html.escape(o) for o in
                                                                          diff["operations_removed"]]
        assert re.findall(r'<li class="mono">([^<]*)</li>', added) == diff["schemas_added"]

    def test_an_unknown_api_is_a_404_page(self, viewer: httpx.Client):
        response = viewer.get("/catalogue/apis/nothing.v9")
        assert response.status_code == 404 and "partner.v2" in response.text


class TestSlos:
    def test_each_objective_shows_target_windows_burn_rates_budget_and_breach(self, console: Console,
                                                                               viewer: httpx.Client):
        report = _process(console, "/v1/slos")
        page = viewer.get("/slos").text
        for slo in report["slos"]:
            row = re.search(rf'<tr id="slo-{slo["name"]}">(.*?)</tr>', page, re.S).group(1)
            windows = {w["window"]: w for w in slo["windows"]}
            for name, window in windows.items():
                cell = re.search(rf'class="slo-window-{name}">([^<]*)<', row).group(1)
                assert cell == f"{window['bad']} / {window['events']}", (slo["name"], name)
            assert ("Breached" in row) is slo["breached"]
        [activation] = [s for s in report["slos"] if s["name"] == "activation_5m"]
        assert activation["breached"] and LATE in activation["late"]

    def test_the_late_activation_breaches_the_objective_by_its_seeded_timestamps(self, viewer: httpx.Client):
        page = viewer.get("/slos").text
        row = re.search(r'<tr id="slo-activation_5m">(.*?)</tr>', page, re.S).group(1)
        # Seeded: two activations in the last hour, one late: bad fraction 1/2, burn 0.5 / (1 - 0.99) = 50.
        assert re.search(r'class="num slo-target">([^<]*)<', row).group(1) == "99 %"
        assert re.search(r'class="slo-window-1h">([^<]*)<', row).group(1) == "1 / 2"
        assert re.search(r'class="slo-burn-1h">([^<]*)<', row).group(1) == "50.00\u00d7"
        # 30 days: 1 bad of 2 against 1 % allowed: 1 - 1 / (0.01 x 2) = -49, the budget overspent 50 times.
        assert re.search(r'class="num slo-budget">([^<]*)<', row).group(1) == "-4900 %"
        assert LATE in _text(row)

    def test_a_breached_objective_links_to_its_open_exception(self, console: Console, viewer: httpx.Client):
        queue = _process(console, "/v1/exceptions", owner="integration")["data"]
        [breach] = [e for e in queue if e["kind"] == "slo_breach" and e["subject"] == "slo:activation_5m"]
        page = viewer.get("/slos").text
        row = re.search(r'<tr id="slo-activation_5m">(.*?)</tr>', page, re.S).group(1)
        assert '<a href="/exceptions?owner=integration">' in row and breach["workflow_id"] in row
        met = [s for s in _process(console, "/v1/slos")["slos"] if not s["breached"]]
        for slo in met:
            assert "/exceptions" not in re.search(rf'<tr id="slo-{slo["name"]}">(.*?)</tr>', page, re.S).group(1)


class TestKpis:
    def test_the_period_figures_are_the_process_kpis_and_follow_from_the_seed(self, console: Console,
                                                                               viewer: httpx.Client):
        kpis = _process(console, "/v1/kpis", period=KPI_PERIOD)
        page = viewer.get("/kpis", params={"period": KPI_PERIOD}).text
        # From the seed: three started, one stopped and resumed; closed 2.5 days after the end of March.
        stopped = sum(1 for _, s in PERIOD_RUNS if s)
        assert (kpis["workflows_started"], kpis["workflows_failed"]) == (len(PERIOD_RUNS), stopped)
        assert kpis["manual_interventions"]["resumes"] == stopped
        assert kpis["days_to_close"] == pytest.approx((CLOSED_AT - datetime(2024, 4, 1, tzinfo=UTC)).days + 0.5)
        failure = _row(page, "kpi-failure-rate")
        assert "33.33 %" in failure and f"{kpis['workflows_started']} workflows" in failure
        assert "2.5 days" in _row(page, "kpi-days-to-close")
        assert kpis["close_workflow_id"] in _row(page, "kpi-days-to-close")
        assert re.search(r'id="kpi-resumes">([^<]*)<', page).group(1) == str(kpis["manual_interventions"]["resumes"])
        assert re.search(r'id="kpi-manual-total">([^<]*)<', page).group(1) == str(
            kpis["manual_interventions"]["total"])
        assert f"{kpis['dead_letters']['depth']} event" in _row(page, "kpi-dead-letters")

    def test_the_kpis_are_grouped_with_units_in_words(self, viewer: httpx.Client):
        page = viewer.get("/kpis", params={"period": KPI_PERIOD}).text
        headings = re.findall(r"<h2[^>]*>([^<]*)</h2>", page)
        assert headings == ["Integration health", "Exceptions and people", "Finance outcomes"]
        captions = re.findall(r"<caption>", page)
        assert len(captions) >= 3 and 'scope="row">Billing accuracy' in page

    def test_a_bad_period_falls_back_to_this_month_and_says_so(self, viewer: httpx.Client):
        page = viewer.get("/kpis", params={"period": "2024-13"}).text
        assert "Periods are written YYYY-MM" in page
        assert f'value="{datetime.now(UTC):%Y-%m}"' in page


class TestJsonApi:
    def test_the_console_mirrors_the_process_figures(self, console: Console, viewer: httpx.Client):
        sor = _process(console, "/v1/system-of-record")
        mine = viewer.get("/v1/system-of-record").json()
        assert mine["version"] == sor["version"]
        assert {o["object"]: (o["owner"], o["team"]) for o in mine["objects"]} == {
            o["object"]: (o["owner"], o["team"]) for o in sor["objects"]}

        catalogue = viewer.get("/v1/catalogue", params={"days": 1}).json()
        assert [(c["client_id"], c["api"]) for c in catalogue["deprecated_callers"]] == [(CALLER, "example.v1")]
        whole = _process(console, "/v1/catalogue")["apis"]
        expected = {a["name"]: (a["owner"], a["status"], a["sunset"]) for a in whole}
        assert {a["name"]: (a["owner"], a["status"], a["sunset"]) for a in catalogue["apis"]} == expected
        detail = viewer.get("/v1/catalogue/apis/partner.v2").json()
        [previous] = [d for d in detail["api"]["changes"] if d["from_version"] == "partner.v1"]
        diff = _process(console, "/v1/catalogue/apis/partner.v2")["changes_from_previous_major"]
        assert previous["operations_removed"] == diff["operations_removed"]

        slos = {s["name"]: s for s in viewer.get("/v1/slos").json()["slos"]}
        assert slos["activation_5m"]["breached"] and slos["activation_5m"]["breach_exception"].startswith(
            "slo_breach:activation_5m:")

        kpis = viewer.get("/v1/kpis", params={"period": KPI_PERIOD}).json()
        process = _process(console, "/v1/kpis", period=KPI_PERIOD)
        for key in ("workflows_started", "workflows_failed", "integration_failure_rate", "days_to_close",
                    "manual_interventions", "close_workflow_id"):
            assert kpis[key] == process[key], key

    def test_bad_parameters_are_400_problems(self, viewer: httpx.Client):
        assert viewer.get("/v1/kpis", params={"period": "2024-13"}).status_code == 400
        assert viewer.get("/v1/catalogue", params={"days": 0}).status_code == 400
        assert viewer.get("/v1/catalogue/apis/NOPE").status_code == 400
        missing = viewer.get("/v1/catalogue/apis/nothing.v9")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
