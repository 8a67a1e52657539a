"""A book kept on a 4-4-5 fiscal calendar, over real HTTP: calendar, schedules, runs, close, journals, FX.

Two books, each served with its calendar in the settings as a deployment would be:

* **RETAIL_445**, the example of Chargebee RevRec's "RevRec 4-4-5 Accounting" page (help.rev-lock.com,
  "4-4-5 Accounting Calendar", and chargebee.com/docs/revrec/revrec-445-accounting.html): weeks end on
  Saturday and the last month of the year is January, so "29th January will be the end of the previous
  fiscal year" and "30th January will be the start date of the current fiscal year" (the page's calendar is
  January 2022); the year ends on the last Saturday of January, and revenue is "the per day revenue of a
  contract" applied "to the number of days in each fiscal period". Years are named by the year they end in,
  so the year from 30 January 2022 is FY2023.
* **NRF_454**, the National Retail Federation's 4-5-4 calendar: the year ends on the Saturday nearest the
  end of January and is named by the year it starts in; Coresight Research, "The 4-5-4 US Retail Calendar,
  2023-24": fiscal 2023 ends on 3 February 2024 and "comprises 53 weeks".

Every expected period and amount below is counted by hand from those definitions (``_by_hand``), never read
from the engine.
"""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
import pytest

from services.runtime.redis import KeySpace
from services.runtime.settings import from_env
from services.system.revrec.app import create_app
from services.system.revrec.connectors import BuiltinRevrecConnector
from services.system.revrec.schemas import BookCalendarV1
from services.system.revrec.settings import RevrecSettings, book_calendar
from tests.system.revrec.api.helpers import audit_actions, money, obligation, published, register_body

RETAIL_445 = {"calendar": "fiscal_445", "fiscal_year_end_month": 1, "fiscal_week_ending_day": "saturday",
              "fiscal_year_end_rule": "last"}
RETAIL_YEAR = {"year_end_month": 1, "week_ending_day": "saturday", "year_end_rule": "last",
               "year_label": "end_year"}
NRF_454 = {"calendar": "fiscal_454", "fiscal_year_end_month": 1, "fiscal_week_ending_day": "saturday",
           "fiscal_year_end_rule": "nearest", "fiscal_year_label": "start_year"}
FISCAL = {"calendar": "fiscal_445"}
"""A contract's convention in the RETAIL_445 book: the calendar stated, its fiscal year the book's."""


def _by_hand(first_day: date, weeks: list[int], last_day: date) -> list[tuple[date, date]]:
    """Periods (first day, last day) of one fiscal year: the given weeks in turn, the last to the year end."""
    out, start = [], first_day
    for n in weeks:
        out.append((start, start + timedelta(days=7 * n - 1)))
        start += timedelta(days=7 * n)
    out[-1] = (out[-1][0], last_day)
    return out


# FY2023 of RETAIL_445: from the day after the last Saturday of January 2022 (29 Jan) to the last Saturday
# of January 2023 (31 Jan 2023 is a Tuesday, so 28 Jan): 364 days, quarters of 4 + 4 + 5 weeks.
FY2023 = _by_hand(date(2022, 1, 30), [4, 4, 5] * 4, date(2023, 1, 28))


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    """``total`` split pro rata to ``weights``: floors, then one unit each to the largest remainders."""
    whole = sum(weights)
    floors = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: -remainders[i])
    if 0 < left < len(order):
        assert remainders[order[left - 1]] != remainders[order[left]], "a tie: pick other figures"
    return [f + (1 if i in order[:left] else 0) for i, f in enumerate(floors)]


def _overlap(first: date, last: date, period: tuple[date, date]) -> int:
    return max(0, (min(last, period[1]) - max(first, period[0])).days + 1)


def _lines(view: dict, oid: str = "o") -> list[tuple[str, str | None, str, str, int]]:
    schedule = next(s for s in view["schedules"] if s["obligation_id"] == oid)
    return [(x["accounting_period"], x["fiscal_period"], x["period_start"], x["period_end"],
             x["amount"]["amount_minor"]) for x in schedule["lines"]]


def _net(entries: list[dict], number: str) -> int:
    return sum(x["amount"]["amount_minor"] * (1 if x["side"] == "debit" else -1)
               for e in entries for x in e["lines"] if x["account"]["number"] == number)


class TestCalendar:
    def test_the_retail_445_year_matches_the_published_example_and_the_hand_count(self, serve_book):
        """Published: FY2022 ends Saturday 29 January 2022 and FY2023 starts Sunday 30 January 2022."""
        api = serve_book(**RETAIL_445)
        definition = api.get("/calendar").json()
        assert definition == {"calendar": "fiscal_445", "fiscal_year": RETAIL_YEAR, "year": None, "periods": []}
        periods = api.get("/calendar", year=2023).json()["periods"]
        assert periods[0]["start_date"] == "2022-01-30"
        assert api.get("/calendar", year=2022).json()["periods"][-1]["end_date"] == "2022-01-29"
        got = [(p["accounting_period"], p["fiscal_period"], p["start_date"], p["end_date"], p["days"])
               for p in periods]
        assert got == [(f"2023-{n:02d}", f"FY2023-P{n:02d}", a.isoformat(), b.isoformat(), (b - a).days + 1)
                       for n, (a, b) in enumerate(FY2023, start=1)]
        assert [p["days"] for p in periods] == [28, 28, 35] * 4

    def test_the_nrf_454_year_2023_has_53_weeks(self, serve_book):
        """Coresight: fiscal 2023 ends 3 February 2024 with 53 weeks. By hand: FY2022 ended Saturday 28 January
        2023 (nearest 31 January, a Tuesday), so FY2023 runs from 29 January 2023 in 4-5-4 weeks, the 53rd week
        in period 12 (31 December 2023 to 3 February 2024)."""
        api = serve_book(**NRF_454)
        periods = api.get("/calendar", year=2023).json()["periods"]
        expected = _by_hand(date(2023, 1, 29), [4, 5, 4] * 4, date(2024, 2, 3))
        assert [(p["start_date"], p["end_date"]) for p in periods] == \
            [(a.isoformat(), b.isoformat()) for a, b in expected]
        assert sum(p["days"] for p in periods) == 53 * 7 and periods[-1]["days"] == 35

    def test_a_calendar_month_book_lists_months(self, api):
        periods = api.get("/calendar", year=2024).json()["periods"]
        assert [(p["accounting_period"], p["fiscal_period"], p["days"]) for p in periods[:2]] == \
            [("2024-01", None, 31), ("2024-02", None, 29)]


class TestFiscalSchedules:
    def test_a_daily_ratable_year_is_the_day_rate_times_each_period(self, serve_book):
        """The published method: 3,640.00 over FY2023's 364 days is 10.00 a day, so 280.00 for a four-week
        period and 350.00 for a five-week one."""
        api = serve_book(**RETAIL_445)
        view = api.register(register_body(364_000, [obligation("o", 364_000, "2022-01-30", "2023-01-28")],
                                          convention=FISCAL))
        assert view["convention"]["calendar"] == "fiscal_445"
        assert view["convention"]["fiscal_year"] == RETAIL_YEAR
        assert [x[4] for x in _lines(view)] == [28_000, 28_000, 35_000] * 4
        assert [x[1] for x in _lines(view)] == [f"FY2023-P{n:02d}" for n in range(1, 13)]

    def test_a_mid_period_contract_by_exact_days(self, serve_book):
        """1,000.00 for 15 March to 14 September 2022 (184 days), exact days with the remainder to the largest
        fractions: each fiscal period's share is its service days over 184, counted by hand from FY2023."""
        api = serve_book(**RETAIL_445)
        view = api.register(register_body(100_000, [obligation("o", 100_000, "2022-03-15", "2022-09-14")],
                                          convention=FISCAL))
        first, last = date(2022, 3, 15), date(2022, 9, 14)
        touched = [(n, p) for n, p in enumerate(FY2023, start=1) if _overlap(first, last, p)]
        days = [_overlap(first, last, p) for _, p in touched]
        assert days == [12, 35, 28, 28, 35, 28, 18] and sum(days) == 184
        amounts = _largest_remainder(100_000, days)
        assert amounts == [6_522, 19_022, 15_217, 15_217, 19_022, 15_217, 9_783]
        assert _lines(view) == [(f"2023-{n:02d}", f"FY2023-P{n:02d}", a.isoformat(), b.isoformat(), amount)
                                for (n, (a, b)), amount in zip(touched, amounts, strict=True)]
        assert view["contract"]["schedule"][0]["accounting_period"] == "2023-02"

    def test_the_nrf_53rd_week_lands_in_period_12(self, serve_book):
        """53.00 over NRF fiscal 2023 (371 days) by exact days is 1.00 a week: 4-5-4 weeks, period 12 has 5."""
        api = serve_book(**NRF_454)
        view = api.register(register_body(5_300, [obligation("o", 5_300, "2023-01-29", "2024-02-03")],
                                          convention={"calendar": "fiscal_454"}))
        assert [x[4] for x in _lines(view)] == [400, 500, 400] * 3 + [400, 500, 500]
        assert _lines(view)[-1][:4] == ("2023-12", "FY2023-P12", "2023-12-31", "2024-02-03")

    def test_a_preview_may_use_any_calendar(self, api):
        """Previews are stateless: a calendar-month book previews the NRF 4-5-4 schedule of the 53-week year."""
        nrf = {"calendar": "fiscal_454", "fiscal_year": {"year_end_month": 1, "week_ending_day": "saturday",
                                                         "year_end_rule": "nearest", "year_label": "start_year"}}
        body = register_body(5_300, [obligation("o", 5_300, "2023-01-29", "2024-02-03")], convention=nrf)
        del body["customer_id"]
        response = api.post("/previews/schedule", body)
        assert response.status_code == 200, response.text
        assert [x["amount"]["amount_minor"] for x in response.json()["schedules"][0]["lines"]] == \
            [400, 500, 400] * 3 + [400, 500, 500]

    def test_verifying_a_vendor_that_puts_the_53rd_week_in_period_11(self, api):
        """Chargebee RevRec's 4-4-5 page: the extra week "gets added to the eleventh month of the sixth year by
        default" (optionally the twelfth). A vendor schedule of NRF fiscal 2023 at 1.00 a week built that way
        has 6.00 in period 11 and 4.00 in period 12; revflow's calendar puts the week in period 12 (5.00 each),
        so verification reports +1.00 and -1.00 there and matches everywhere else."""
        nrf = {"calendar": "fiscal_454", "fiscal_year": {"year_end_month": 1, "week_ending_day": "saturday",
                                                         "year_end_rule": "nearest", "year_label": "start_year"}}
        weeks = [4, 5, 4] * 3 + [4, 6, 4]
        vendor = [{"accounting_period": f"2023-{n:02d}", "amount": money(100 * w)} for n, w in enumerate(weeks, 1)]
        response = api.post("/verifications", {"currency": "USD", "convention": nrf, "obligations": [{
            "obligation_id": "o", "allocation": money(5_300), "start_date": "2023-01-29", "end_date": "2024-02-03",
            "vendor_schedule": vendor}]})
        assert response.status_code == 200, response.text
        result = response.json()["obligations"][0]
        assert not response.json()["matched"] and result["status"] == "difference"
        assert [(x["fiscal_period"], x["difference"]["amount_minor"]) for x in result["lines"]
                if x["status"] == "difference"] == [("FY2023-P11", 100), ("FY2023-P12", -100)]
        assert len(result["lines"]) == 12


class TestFiscalClose:
    def _book(self, serve_book):
        api = serve_book(**RETAIL_445)
        cid = api.register(register_body(100_000, [obligation("o", 100_000, "2022-03-15", "2022-09-14")],
                                         convention=FISCAL))["contract"]["id"]
        billed = api.post(f"/contracts/{cid}/billings", {"id": "in_1", "kind": "invoice",
                                                         "document_date": "2022-03-15", "amount": money(100_000)})
        assert billed.status_code == 201, billed.text
        assert billed.json()["billings"][0]["fiscal_period"] == "FY2023-P02"
        return api, cid

    async def test_closing_a_fiscal_period(self, serve_book, redis, key_prefix):
        """Amounts from the hand count above: P02 65.22, P03 190.22, P04 152.17. Closing P03 posts P03's
        190.22 and leaves 1,000.00 - 65.22 - 190.22 = 744.56 deferred; P04 (1 to 28 May 2022) is the first
        open period."""
        api, cid = self._book(serve_book)
        closed = api.post("/fiscal-periods/FY2023-P03/close")
        assert closed.status_code == 200, closed.text
        body = closed.json()
        assert (body["accounting_period"], body["fiscal_period"]) == ("2023-03", "FY2023-P03")
        assert (body["first_open_period"], body["first_open_fiscal_period"]) == ("2023-04", "FY2023-P04")
        assert body["recognized"] == [money(19_022)] and body["deferred_balance"] == [money(74_456)]
        assert api.post("/periods/2023-03/close").status_code == 409
        page = api.get("/fiscal-periods/FY2023-P03/journal-entries").json()
        assert page["closed"] and page["fiscal_period"] == "FY2023-P03"
        assert {e["entry_date"] for e in page["entries"]} == {"2022-04-30"}
        assert _net(page["entries"], "4000") == -19_022
        assert api.get("/periods/2023-03/journal-entries").json() == page
        lines = api.get(f"/contracts/{cid}").json()["schedules"][0]["lines"]
        assert [x["closed"] for x in lines] == [True, True, False, False, False, False, False]
        run = api.post("/periods/2023-04/recognition-runs").json()
        assert (run["fiscal_period"], run["recognized"]) == ("FY2023-P04", [money(15_217)])
        events = [e for e in await published(redis, key_prefix) if e["type"].endswith("period.closed.v1")]
        assert [(e["subject"], e["data"]["accounting_period"]) for e in events] == [("FY2023-P03", "2023-03")]
        assert "revrec.period.closed" in await audit_actions(redis, key_prefix)

    def test_a_late_billing_posts_in_the_first_open_fiscal_period(self, serve_book):
        api, cid = self._book(serve_book)
        assert api.post("/fiscal-periods/FY2023-P03/close").status_code == 200
        late = api.post(f"/contracts/{cid}/billings", {"id": "cn_1", "kind": "credit_note",
                                                       "document_date": "2022-04-15", "amount": money(1_000)})
        assert late.status_code == 201, late.text
        credit = late.json()["billings"][-1]
        assert (credit["accounting_period"], credit["fiscal_period"]) == ("2023-04", "FY2023-P04")

    def test_reports_by_fiscal_period(self, serve_book):
        """At the end of P03 744.56 is deferred, all of it recognised within the next twelve periods (current).
        The waterfall after P03 is P04-P08 from the hand count."""
        api, cid = self._book(serve_book)
        by_label = api.get(f"/contracts/{cid}/balances", as_of_fiscal_period="FY2023-P03").json()
        assert by_label["contract_liability"] == money(74_456) and by_label["current_liability"] == money(74_456)
        assert (by_label["as_of"], by_label["as_of_fiscal_period"]) == ("2023-03", "FY2023-P03")
        assert api.get(f"/contracts/{cid}/balances", as_of="2023-03").json() == by_label
        waterfall = api.get(f"/contracts/{cid}/waterfall", after_fiscal_period="FY2023-P03").json()
        assert waterfall["fiscal_periods"] == ["FY2023-P04", "FY2023-P05", "FY2023-P06", "FY2023-P07",
                                               "FY2023-P08"]
        assert [t["amount_minor"] for t in waterfall["totals"]] == [15_217, 15_217, 19_022, 15_217, 9_783]
        rows = api.get(f"/contracts/{cid}/roll-forward").json()["rows"]
        assert [r["fiscal_period"] for r in rows] == [f"FY2023-P{n:02d}" for n in range(2, 9)]


class TestFiscalFx:
    def test_a_closing_rate_added_at_a_fiscal_period_end_remeasures_the_receivable(self, serve_book):
        """By hand (IAS 21.23(a)): EUR 1,000.00 invoiced 27 March 2022 at 1.10 for service over FY2023-P03
        (27 March to 30 April), USD functional. All revenue comes from the advance at its historical rate:
        USD 1,100.00. With no later rate the receivable stays at 1,100.00; after a closing rate of 1.20 dated
        30 April (the period's last day) it is remeasured to 1,200.00: an exchange gain of 100.00 in P03."""
        api = serve_book(**RETAIL_445)
        body = register_body(100_000, [obligation("o", 100_000, "2022-03-27", "2022-04-30", currency="EUR")],
                             currency="EUR", convention=FISCAL, functional_currency="USD",
                             exchange_rates=[{"on": "2022-03-27", "rate": "1.10"}])
        cid = api.register(body)["contract"]["id"]
        assert api.post(f"/contracts/{cid}/billings", {"id": "in", "kind": "invoice", "document_date": "2022-03-27",
                                                       "amount": money(100_000, "EUR")}).status_code == 201
        before = api.get("/fiscal-periods/FY2023-P03/journal-entries", basis="functional").json()["entries"]
        assert (_net(before, "4000"), _net(before, "7100"), _net(before, "1100")) == (-110_000, 0, 110_000)
        added = api.post(f"/contracts/{cid}/exchange-rates", {"rates": [{"on": "2022-04-30", "rate": "1.20"}]})
        assert added.status_code == 201, added.text
        after = api.get("/fiscal-periods/FY2023-P03/journal-entries", basis="functional").json()["entries"]
        assert (_net(after, "4000"), _net(after, "7100"), _net(after, "1100")) == (-110_000, -10_000, 120_000)
        functional = api.get(f"/contracts/{cid}/balances", as_of_fiscal_period="FY2023-P03").json()["functional"]
        assert functional["receivable"] == money(120_000, "USD")
        assert functional["fx_gain_loss_to_date"] == money(10_000, "USD")


class TestBookCalendarRefusals:
    def _problem(self, response, status: int) -> dict:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        return response.json()

    def _field(self, response, status: int) -> tuple[str, str]:
        error = self._problem(response, status)["errors"][0]
        return error["field"], error["source"]

    def test_a_contract_on_another_calendar_is_refused(self, serve_book):
        api = serve_book(**RETAIL_445)
        year = [obligation("o", 1_000, "2022-03-01", "2022-12-31")]
        months = api.post("/contracts", register_body(1_000, year))
        assert self._field(months, 422) == ("convention.calendar", "body")
        assert "fiscal_445" in months.json()["detail"]
        other = api.post("/contracts", register_body(1_000, year, convention={"calendar": "fiscal_454"}))
        assert self._field(other, 422) == ("convention.calendar", "body")
        nearest = {**FISCAL, "fiscal_year": {**RETAIL_YEAR, "year_end_rule": "nearest"}}
        assert self._field(api.post("/contracts", register_body(1_000, year, convention=nearest)), 422) == \
            ("convention.fiscal_year", "body")
        stated = {**FISCAL, "fiscal_year": RETAIL_YEAR}
        assert api.post("/contracts", register_body(1_000, year, convention=stated)).status_code == 201

    def test_a_fiscal_convention_in_a_calendar_month_book(self, api):
        year = [obligation("o", 1_000, "2024-01-01", "2024-12-31")]
        bare = api.post("/contracts", register_body(1_000, year, convention=FISCAL))
        assert self._field(bare, 400) == ("convention.fiscal_year", "body")
        stated = api.post("/contracts", register_body(1_000, year, convention={**FISCAL, "fiscal_year": RETAIL_YEAR}))
        assert self._field(stated, 422) == ("convention.calendar", "body")
        stray = api.post("/contracts", register_body(1_000, year, convention={"fiscal_year": RETAIL_YEAR}))
        assert self._field(stray, 400) == ("convention.fiscal_year", "body")

    def test_inconsistent_fiscal_conventions(self, serve_book):
        api = serve_book(**RETAIL_445)
        year = [obligation("o", 1_000, "2022-03-01", "2022-12-31")]
        december = {**FISCAL, "fiscal_year": {**RETAIL_YEAR, "year_end_month": 12, "year_label": "start_year"}}
        assert self._field(api.post("/contracts", register_body(1_000, year, convention=december)), 400) == \
            ("convention.fiscal_year.year_label", "body")
        stripe_months = api.post("/contracts", register_body(1_000, year, convention={
            **FISCAL, "method": "even_term_months"}))
        assert self._field(stripe_months, 400) == ("convention.method", "body")
        unknown = api.post("/contracts", register_body(1_000, year, convention={"calendar": "fiscal_13_periods"}))
        assert self._field(unknown, 400)[0] == "convention.calendar"

    def test_a_fiscal_label_in_a_calendar_month_book(self, api):
        for response in (api.post("/fiscal-periods/FY2024-P01/close"),
                         api.post("/fiscal-periods/FY2024-P01/recognition-runs"),
                         api.get("/fiscal-periods/FY2024-P01/journal-entries")):
            assert self._field(response, 422) == ("fiscal_period", "path")
            assert "calendar months" in response.json()["detail"]
        cid = api.register(register_body(1_000, [obligation("o", 1_000, "2024-01-01", "2024-12-31")]))["contract"]["id"]
        balances = api.get(f"/contracts/{cid}/balances", as_of_fiscal_period="FY2024-P01")
        assert self._field(balances, 422) == ("as_of_fiscal_period", "query")
        waterfall = api.get(f"/contracts/{cid}/waterfall", after_fiscal_period="FY2024-P01")
        assert self._field(waterfall, 422) == ("after_fiscal_period", "query")

    @pytest.mark.parametrize("label", ["FY2024-P13", "FY2024-P00", "FY24-P01", "2024-P01", "fy2024-p01"])
    def test_an_unknown_fiscal_label(self, serve_book, label):
        api = serve_book(**RETAIL_445)
        response = api.post(f"/fiscal-periods/{label}/close")
        body = self._problem(response, 400)
        assert body["errors"][0]["field"] == "fiscal_period"
        cid = api.register(register_body(1_000, [obligation("o", 1_000, "2022-03-01", "2022-12-31")],
                                         convention=FISCAL))["contract"]["id"]
        assert self._problem(api.get(f"/contracts/{cid}/balances", as_of_fiscal_period=label), 400)

    def test_balances_name_one_period(self, serve_book):
        api = serve_book(**RETAIL_445)
        cid = api.register(register_body(1_000, [obligation("o", 1_000, "2022-03-01", "2022-12-31")],
                                         convention=FISCAL))["contract"]["id"]
        assert self._field(api.get(f"/contracts/{cid}/balances"), 400) == ("as_of", "query")
        both = api.get(f"/contracts/{cid}/balances", as_of="2023-02", as_of_fiscal_period="FY2023-P02")
        assert self._field(both, 400) == ("as_of_fiscal_period", "query")

    def test_nothing_was_stored_by_a_refused_registration(self, serve_book):
        api = serve_book(**RETAIL_445)
        api.post("/contracts", register_body(1_000, [obligation("o", 1_000, "2022-03-01", "2022-12-31")]))
        assert api.post("/fiscal-periods/FY2023-P02/recognition-runs").json()["contracts"] == 0


class TestTheBookKeepsItsCalendar:
    ENV = {"REVFLOW_REVREC_CALENDAR": "fiscal_445", "REVFLOW_REVREC_FISCAL_YEAR_END_MONTH": "1",
           "REVFLOW_REVREC_FISCAL_WEEK_ENDING_DAY": "saturday", "REVFLOW_REVREC_FISCAL_YEAR_END_RULE": "last"}

    def test_the_calendar_comes_from_the_environment(self):
        settings = from_env(RevrecSettings, "REVFLOW_REVREC_", environ=self.ENV)
        assert msgspec.to_builtins(book_calendar(settings)) == {"calendar": "fiscal_445", "fiscal_year": RETAIL_YEAR}

    @pytest.mark.parametrize("env", [{"REVFLOW_REVREC_CALENDAR": "fiscal_445"},
                                     {"REVFLOW_REVREC_FISCAL_YEAR_END_MONTH": "1"},
                                     {**ENV, "REVFLOW_REVREC_FISCAL_YEAR_END_MONTH": "13"},
                                     {**ENV, "REVFLOW_REVREC_FISCAL_YEAR_END_MONTH": "12",
                                      "REVFLOW_REVREC_FISCAL_YEAR_LABEL": "start_year"}])
    def test_an_incomplete_calendar_refuses_to_start(self, env):
        with pytest.raises(ValueError, match="REVFLOW_REVREC_"):
            create_app(from_env(RevrecSettings, "REVFLOW_REVREC_", environ=env))

    async def test_a_book_is_never_reopened_on_another_calendar(self, redis, key_prefix):
        """Periods closed on one calendar cannot be re-cut on another: the second deployment refuses to start."""
        keyspace = KeySpace(key_prefix)
        fiscal = book_calendar(from_env(RevrecSettings, "REVFLOW_REVREC_", environ=self.ENV))
        await BuiltinRevrecConnector(redis, keyspace, BookCalendarV1()).prepare()
        await BuiltinRevrecConnector(redis, keyspace, BookCalendarV1()).prepare()
        with pytest.raises(ValueError, match="calendar_months"):
            await BuiltinRevrecConnector(redis, keyspace, fiscal).prepare()

    async def test_a_book_older_than_fiscal_calendars_was_kept_in_months(self, api, redis, key_prefix):
        api.register(register_body(1_000, [obligation("o", 1_000, "2024-01-01", "2024-12-31")]))
        keyspace = KeySpace(key_prefix)
        await redis.delete(keyspace.tagged("revrec:periods", "calendar"))  # as before calendars were recorded
        fiscal = book_calendar(from_env(RevrecSettings, "REVFLOW_REVREC_", environ=self.ENV))
        with pytest.raises(ValueError, match="re-cut"):
            await BuiltinRevrecConnector(redis, keyspace, fiscal).prepare()
