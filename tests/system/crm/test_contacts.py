"""Contacts of an account: upserted by their own key under the account, read back the same canonical contact on every
CRM, listed to the last CRM page, and never duplicated by a repeat or a retry."""

from __future__ import annotations

from tests.system.crm.journeys import account

ROUTES = {"salesforce": r"^PATCH /services/data/v62\.0/sobjects/Contact/Revflow_Id__c/",
          "hubspot": r"^POST /crm/v3/objects/contacts/batch/upsert$"}


def person(name: str = "Dana Whitfield", email: str = "ap@acme.example", **changes) -> dict:
    return {"name": name, "email": email, "phone": "+1 415 555 0100", "roles": ["primary", "billing"], **changes}


def _canonical(contact: dict) -> dict:
    """The contact without the CRM's id."""
    return {**contact, "external_ids": {k: v for k, v in contact["external_ids"].items() if k != "crm"}}


def _with_account(crm, key: str = "ACME-001") -> None:
    crm.ok("PUT", f"/v1/accounts/{key}", account())


class TestUpsertContact:
    def test_creates_then_lists_the_same_contact(self, crm, vendor):
        _with_account(crm)
        created = crm.ok("PUT", "/v1/accounts/ACME-001/contacts/dana", person())
        assert _canonical(created) == {**person(), "external_ids": {"revflow": "dana"}}
        listed = crm.ok("GET", "/v1/accounts/ACME-001/contacts")["data"]
        assert listed == [created]
        assert vendor.contacts() == [{"key": "dana", "email": "ap@acme.example", "account": "ACME-001"}]

    def test_a_change_updates_in_place_and_clears_what_is_left_out(self, crm, vendor):
        _with_account(crm)
        first = crm.ok("PUT", "/v1/accounts/ACME-001/contacts/dana", person())
        changed = crm.ok("PUT", "/v1/accounts/ACME-001/contacts/dana", {
            "name": "Dana Whitfield-Moore", "email": "dana@acme.example", "roles": ["legal", "technical"]})
        assert changed["external_ids"] == first["external_ids"]
        assert _canonical(changed) == {"name": "Dana Whitfield-Moore", "email": "dana@acme.example", "phone": None,
                                       "roles": ["technical", "legal"], "external_ids": {"revflow": "dana"}}
        assert len(vendor.contacts()) == 1

    def test_a_single_name_is_a_last_name(self, crm, vendor):
        _with_account(crm)
        created = crm.ok("PUT", "/v1/accounts/ACME-001/contacts/cher", person(name="Cher", roles=[]))
        assert (created["name"], created["roles"]) == ("Cher", [])

    def test_unknown_account_is_a_404_problem_and_writes_nothing(self, crm, vendor):
        response = crm.write("PUT", "/v1/accounts/NOPE-1/contacts/dana", person())
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "account_missing"
        assert vendor.contacts() == []

    def test_the_key_of_another_accounts_contact_is_a_conflict(self, crm, vendor):
        _with_account(crm)
        _with_account(crm, "GLOBEX-7")
        crm.ok("PUT", "/v1/accounts/ACME-001/contacts/dana", person())
        response = crm.write("PUT", "/v1/accounts/GLOBEX-7/contacts/dana", person())
        assert response.status_code == 409, response.text
        assert (response.json()["code"], response.json()["retryable"]) == ("contact_key_taken", False)
        assert vendor.contacts() == [{"key": "dana", "email": "ap@acme.example", "account": "ACME-001"}]


    def test_an_email_another_contact_holds(self, crm, vendor):
        _with_account(crm)
        crm.ok("PUT", "/v1/accounts/ACME-001/contacts/dana", person())
        response = crm.write("PUT", "/v1/accounts/ACME-001/contacts/ap-desk", person(name="AP Desk"))
        if not vendor.one_contact_per_email:
            assert response.status_code == 200, response.text
            assert len(vendor.contacts()) == 2
            return
        assert response.status_code == 409, response.text
        problem = response.json()
        assert (problem["code"], problem["owner"], problem["retryable"]) == ("contact_email_taken", "sales_ops", False)
        assert [(e["field"], e["source"]) for e in problem["errors"]] == [("email", "body")]
        assert len(vendor.contacts()) == 1


class TestDuplicateSafety:
    def test_same_key_twice_is_one_contact(self, crm, vendor):
        _with_account(crm)
        first = crm.write("PUT", "/v1/accounts/ACME-001/contacts/dana", person(), "contact-1")
        second = crm.write("PUT", "/v1/accounts/ACME-001/contacts/dana", person(), "contact-1")
        assert first.status_code == second.status_code == 200 and first.json() == second.json()
        assert len(vendor.contacts()) == 1

    def test_retry_after_the_crm_committed_is_one_contact(self, crm, vendor):
        _with_account(crm)
        vendor.faults({"seed": 1, "rules": [{"route": ROUTES[vendor.vendor], "error_after_rate": 1.0,
                                             "error_status": 504}]})
        lost = crm.write("PUT", "/v1/accounts/ACME-001/contacts/dana", person(), "retry-1")
        assert lost.status_code >= 500 and lost.json()["owner"] == "integration"
        assert len(vendor.contacts()) == 1  # committed at the CRM although every answer was lost
        vendor.clear_faults()
        retried = crm.write("PUT", "/v1/accounts/ACME-001/contacts/dana", person(), "retry-1")
        assert retried.status_code == 200, retried.text
        assert len(vendor.contacts()) == 1


class TestListContacts:
    def test_every_contact_across_pages_keyed_ones_first(self, start_crm, vendor):
        crm = start_crm(vendor_page_size=2)
        _with_account(crm)
        _with_account(crm, "GLOBEX-7")
        entered = [{"name": f"Person {n:03d}", "email": f"p{n:03d}@acme.example"} for n in range(vendor.overflow(2))]
        vendor.add_contacts("ACME-001", [*entered, {"name": "No Email"}])
        crm.ok("PUT", "/v1/accounts/ACME-001/contacts/billing", person(email="billing@acme.example"))
        crm.ok("PUT", "/v1/accounts/GLOBEX-7/contacts/other", person(email="other@globex.example"))
        listed = crm.ok("GET", "/v1/accounts/ACME-001/contacts")["data"]
        assert listed[0]["external_ids"]["revflow"] == "billing"
        assert sorted(c["email"] for c in listed[1:]) == [p["email"] for p in entered]
        assert all("revflow" not in c["external_ids"] and c["roles"] == [] for c in listed[1:])

    def test_unknown_account_is_a_404_problem(self, crm, vendor):
        response = crm.client.get("/v1/accounts/NOPE-1/contacts")
        assert response.status_code == 404 and response.json()["code"] == "account_missing"
