"""In a real browser: finance signs in, finds the deal blocked on master data, reads who owns it and the fix,
creates the missing item in NetSuite, resumes the deal from the console and watches it complete; then opens
the revenue page and sees the charts; and a viewer walks the governance pages (system of record, contract
catalogue, SLOs, KPIs) from the navigation.

Debian's Chromium, headless, driven by Playwright, against the console served over real HTTP in front of the
whole chain. The deal page's own script notices the workflows moving and refreshes itself: the test only
waits for the status to read "Completed". Screenshots of each stage go to ``.revflow/artefacts/ops_console/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.experience.ops_console.harness import PASSWORDS, Console

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = Path(__file__).resolve().parents[3] / ".revflow" / "artefacts" / "ops_console"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 768})  # a laptop screen
    try:
        yield context.new_page()
    finally:
        context.close()


def _shot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def _sign_in(page: Page, console: Console, username: str, target: str = "/pipeline") -> None:
    page.goto(console.url + target)
    expect(page).to_have_url(f"{console.url}/login?next={target}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(console.url + target)


class TestBlockedDealJourney:
    def test_finance_resumes_a_blocked_deal_and_watches_it_complete(self, console: Console, page: Page):
        deal, missing = console.blocked_deal()
        fix = console.topology.workflow(f"activation:{deal}")["exception"]["fix"]

        _sign_in(page, console, "finance")
        _shot(page, "01-pipeline")
        page.get_by_role("link", name="Blocked: master data").first.click()
        expect(page.get_by_role("link", name=deal)).to_be_visible()
        _shot(page, "02-pipeline-blocked")

        page.get_by_role("link", name=deal).click()
        expect(page.locator("#deal-status")).to_have_text("Blocked: master data")
        expect(page.locator("#deal-owner")).to_have_text("Finance ops")
        exception = page.get_by_role("group", name=f"Exception of activation:{deal}")
        expect(exception).to_contain_text("Waiting for Finance ops")
        expect(exception).to_contain_text(fix)
        expect(exception).to_contain_text(missing)
        _shot(page, "03-deal-blocked")

        console.topology.item(missing)  # finance creates the item in NetSuite, as the fix says
        page.get_by_role("button", name=f"Resume activation:{deal}").click()
        expect(page.get_by_role("status")).to_contain_text(f"Resume activation:{deal}: accepted.")
        expect(page.locator("#deal-status")).to_have_text("Completed", timeout=90_000)
        expect(page.get_by_role("group", name=f"Exception of activation:{deal}")).to_have_count(0)
        _shot(page, "04-deal-completed")
        assert console.topology.workflow(f"activation:{deal}")["state"] == "succeeded"

    def test_the_queue_is_reachable_by_keyboard_and_every_field_has_a_label(self, console: Console, page: Page):
        console.blocked_deal()
        page.goto(console.url + "/login")
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_text("Skip to content")
        page.keyboard.press("Enter")  # the skip link jumps past the header to the page's own content
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_attribute("id", "username")
        page.keyboard.type("viewer")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORDS["viewer"])
        page.keyboard.press("Enter")
        expect(page).to_have_url(console.url + "/pipeline")
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.name)""")
        assert unlabelled == []
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Exceptions").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Exceptions")
        expect(page.get_by_role("link", name="Exceptions")).to_have_attribute("aria-current", "page")
        expect(page.get_by_role("button", name="Resume")).to_have_count(0)  # a viewer is offered no action
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.locator("main").count() == 1 and page.locator("header nav").count() == 1
        _shot(page, "05-exceptions-viewer")


class TestRevenueCharts:
    def test_the_revenue_page_shows_the_charts(self, console: Console, page: Page):
        console.completed_deal()
        _sign_in(page, console, "finance", "/revenue")
        page.get_by_label("From period").fill("2025-01")
        page.get_by_label("To period").fill("2025-12")
        page.get_by_role("button", name="Show").click()
        expect(page.get_by_role("heading", name="USD")).to_be_visible()
        charts = page.locator("svg.chart[role=img]")
        expect(charts).to_have_count(4)
        for name in ("Bookings, billings and recognised revenue per period (USD)",
                     "ARR and deferred revenue at the end of each period (USD)",
                     "Deferred revenue roll-forward (USD)",
                     "Revenue waterfall: bookings to recognised revenue (USD)"):
            chart = page.get_by_role("img", name=name)
            expect(chart).to_be_visible()
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
            assert chart.locator("rect, circle").count() > 3
        _shot(page, "06-revenue")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV").click()
        path = download.value.path()
        assert path is not None
        assert Path(path).read_text().startswith("currency,period,bookings,billings,recognized_revenue")


class TestGovernancePages:
    def test_a_viewer_opens_the_governance_pages_from_the_navigation(self, console: Console, page: Page):
        sor = console.topology.process.get("/v1/system-of-record").json()
        customer = next(o for o in sor["objects"] if o["object"] == "customer")
        apis = {a["name"]: a for a in console.topology.process.get("/v1/catalogue").json()["apis"]}
        partner = apis["partner.v1"]
        slos = console.topology.process.get("/v1/slos").json()["slos"]
        nav = page.get_by_role("navigation", name="Main")

        _sign_in(page, console, "viewer")
        nav.get_by_role("link", name="System of record").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("System of record")
        expect(nav.get_by_role("link", name="System of record")).to_have_attribute("aria-current", "page")
        row = page.locator("#sor-customer")
        expect(row.locator(".sor-owner")).to_have_text(customer["owner"], ignore_case=True)
        expect(row.locator(".sor-team")).to_have_text(customer["team"].replace("_", " "), ignore_case=True)
        expect(page.locator("#sor-version")).to_have_text(str(sor["version"]))
        _shot(page, "07-system-of-record")

        nav.get_by_role("link", name="Contract catalogue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Contract catalogue")
        row = page.locator("tr", has=page.get_by_role("rowheader", name="partner.v1"))
        expect(row.locator(".api-owner")).to_have_text(partner["owner"])
        expect(row.locator(".api-status")).to_contain_text(partner["status"], ignore_case=True)
        expect(row.locator(".api-status")).to_contain_text(f"sunset {partner['sunset']}")
        _shot(page, "08-catalogue")
        page.get_by_role("link", name="partner.v2", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("API partner.v2")
        expect(page.get_by_role("heading", name="From partner.v1 to partner.v2")).to_be_visible()
        _shot(page, "09-catalogue-api")

        nav.get_by_role("link", name="SLOs").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Service level objectives")
        for slo in slos:
            expect(page.get_by_role("rowheader", name=slo["description"])).to_be_visible()
        _shot(page, "10-slos")

        nav.get_by_role("link", name="KPIs").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("KPIs")
        period = page.get_by_label("Accounting period", exact=True).input_value()
        kpis = console.topology.process.get("/v1/kpis", params={"period": period}).json()
        expect(page.get_by_role("rowheader", name="Integration failure rate")).to_be_visible()
        expect(page.locator("#kpi-manual-total")).to_have_text(str(kpis["manual_interventions"]["total"]))
        _shot(page, "11-kpis")
