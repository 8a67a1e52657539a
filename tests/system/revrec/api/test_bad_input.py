"""Bad input gets a problem response naming the field, never a 500 and never a wrong number."""

from __future__ import annotations

import pytest

from tests.system.revrec.api.helpers import money, obligation, register_body

PROBLEM = "application/problem+json"
YEAR = ("2024-01-01", "2024-12-31")


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "Traceback" not in response.text
    return response.json()


def _fields(body: dict) -> list[str]:
    return [e["field"] for e in body.get("errors") or []]


class TestRegisterRefusals:
    def test_negative_ssp(self, api):
        body = _problem(api.post("/contracts", register_body(1000, [obligation("o", -1, *YEAR)])), 400)
        assert _fields(body) == ["obligations.0.standalone_selling_price"]

    def test_end_before_start(self, api):
        body = _problem(api.post("/contracts", register_body(1000, [obligation("o", 1000, "2024-03-01",
                                                                                "2024-02-01")])), 400)
        assert _fields(body) == ["obligations.0.end_date"]

    def test_end_before_start_under_half_open_counting(self, api):
        """A one-day service period is fine inclusive, but empty when the end is the first day not served."""
        request = register_body(1000, [obligation("o", 1000, "2024-03-01", "2024-03-01")],
                                convention={"day_count": "actual_half_open"})
        assert _fields(_problem(api.post("/contracts", request), 400)) == ["obligations.0.end_date"]

    def test_unknown_currency(self, api):
        body = _problem(api.post("/contracts", register_body(1000, [obligation("o", 1000, *YEAR, currency="XYZ")],
                                                             currency="XYZ")), 400)
        assert _fields(body) == ["currency"] and "XYZ" in body["errors"][0]["message"]

    def test_ssp_in_another_currency(self, api):
        request = register_body(1000, [obligation("o", 1000, *YEAR, currency="EUR")])
        assert _fields(_problem(api.post("/contracts", request), 400)) == \
            ["obligations.0.standalone_selling_price.currency"]

    def test_zero_ssp_total(self, api):
        request = register_body(1000, [obligation("a", 0, *YEAR), obligation("b", 0, *YEAR)])
        body = _problem(api.post("/contracts", request), 422)
        assert _fields(body) == ["obligations"] and "zero" in body["detail"]

    def test_residual_with_nothing_left(self, api):
        request = register_body(1000, [obligation("a", 1000, *YEAR), obligation("b", 500, *YEAR)],
                                residual_obligation_ids=["b"])
        assert _fields(_problem(api.post("/contracts", request), 422)) == ["transaction_price"]

    def test_point_in_time_without_a_transfer_day(self, api):
        licence = {"id": "l", "name": "Licence", "pattern": "point_in_time", "standalone_selling_price": money(1)}
        body = _problem(api.post("/contracts", register_body(1, [licence])), 400)
        assert _fields(body) == ["obligations.0.satisfied_on"]

    def test_unknown_field(self, api):
        request = {**register_body(1000, [obligation("o", 1000, *YEAR)]), "discount": 5}
        assert _fields(_problem(api.post("/contracts", request), 400)) == ["discount"]

    @pytest.mark.parametrize("content", [b'{"customer_id": "c",', b"[1, 2", b"\xff\xfe"])
    def test_malformed_json(self, api, content):
        assert _problem(api.post("/contracts", content=content), 400)["type"].endswith("/malformed-body")

    def test_nothing_was_stored(self, api):
        api.post("/contracts", register_body(1000, [obligation("a", 0, *YEAR)]))
        assert api.post("/periods/2024-01/recognition-runs").json()["contracts"] == 0


class TestModificationRefusals:
    def _contract(self, api) -> str:
        view = api.register(register_body(36500, [obligation("o", 36500, "2019-01-01", "2019-12-31")]))
        return view["contract"]["id"]

    def _modify(self, api, cid, effective, **extra):
        return api.post(f"/contracts/{cid}/modifications", {
            "kind": "prospective", "obligation_id": "o", "effective_date": effective,
            "added_consideration": money(1000), **extra})

    def test_overlapping_modifications(self, api):
        cid = self._contract(api)
        assert self._modify(api, cid, "2019-06-01").status_code == 201
        body = _problem(self._modify(api, cid, "2019-05-01"), 422)
        assert _fields(body) == ["effective_date"]
        assert len(api.get(f"/contracts/{cid}").json()["modifications"]) == 1

    def test_effective_date_outside_the_service_period(self, api):
        cid = self._contract(api)
        assert _fields(_problem(self._modify(api, cid, "2020-02-01"), 400)) == ["effective_date"]

    def test_unknown_obligation(self, api):
        cid = self._contract(api)
        body = _problem(api.post(f"/contracts/{cid}/modifications", {
            "kind": "prospective", "obligation_id": "nope", "effective_date": "2019-06-01",
            "added_consideration": money(1000)}), 422)
        assert _fields(body) == ["obligation_id"]

    def test_billing_of_zero(self, api):
        cid = self._contract(api)
        invoice = {"id": "in", "kind": "invoice", "document_date": "2019-01-01", "amount": money(0)}
        body = _problem(api.post(f"/contracts/{cid}/billings", invoice), 400)
        assert _fields(body) == ["amount"]


class TestQueryRefusals:
    def test_null_for_a_number_is_refused_not_read_as_absent(self, api):
        """``?year=null`` must not answer as if no year were asked (the decoder reads ``null`` as absent)."""
        body = _problem(api.get("/calendar?year=null"), 400)
        assert _fields(body) == ["year"] and "null" in body["errors"][0]["message"]
        assert api.get("/calendar?year=2025").status_code == 200
