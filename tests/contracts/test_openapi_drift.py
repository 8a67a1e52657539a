"""The published OpenAPI contracts: committed files match the code, and breaking changes are caught."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from revflow.commands.contracts import OPENAPI_DIR, PUBLISHED_DIR, check, generate_contracts
from revflow.openapi_compat import breaking_changes

BASE = {
    "openapi": "3.1.0",
    "paths": {
        "/v1/invoices": {"post": {
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/InvoiceCreate"}}}},
            "responses": {"201": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Invoice"}}}}}}},
        "/v1/invoices/{id}": {"get": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Invoice"}}}}}}},
    },
    "components": {"schemas": {
        "InvoiceCreate": {"type": "object", "required": ["customer"], "properties": {
            "customer": {"type": "string"}, "memo": {"type": "string"},
            "amount": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "status": {"type": "string", "enum": ["draft", "open"]}}},
        "Invoice": {"type": "object", "required": ["id", "total"], "properties": {
            "id": {"type": "string"}, "total": {"type": "integer"}, "memo": {"type": "string"}}},
    }},
}


def _changed(mutate) -> list[str]:
    new = copy.deepcopy(BASE)
    mutate(new)
    return breaking_changes(BASE, new)


class TestBreakingChanges:
    def test_identical_spec_has_none(self):
        assert breaking_changes(BASE, copy.deepcopy(BASE)) == []

    def test_additive_changes_are_allowed(self):
        def grow(spec):
            spec["components"]["schemas"]["Invoice"]["properties"]["currency"] = {"type": "string"}
            spec["components"]["schemas"]["InvoiceCreate"]["properties"]["po_number"] = {"type": "string"}
            spec["paths"]["/v1/credit-notes"] = {"post": {"responses": {}}}
        assert _changed(grow) == []

    def test_removed_response_field_is_caught(self):
        found = _changed(lambda s: s["components"]["schemas"]["Invoice"]["properties"].pop("memo"))
        assert sorted(found) == ["GET /v1/invoices/{id} response 200: field 'memo' removed or renamed",
                                 "POST /v1/invoices response 201: field 'memo' removed or renamed"]

    def test_newly_required_request_field_is_caught(self):
        found = _changed(lambda s: s["components"]["schemas"]["InvoiceCreate"]["required"].append("memo"))
        assert found == ["POST /v1/invoices request: field 'memo' is newly required"]

    def test_removed_path_and_operation_are_caught(self):
        assert _changed(lambda s: s["paths"].pop("/v1/invoices/{id}")) == ["removed path /v1/invoices/{id}"]
        assert _changed(lambda s: s["paths"]["/v1/invoices"].update({"put": {}}) or s["paths"]["/v1/invoices"]
                        .pop("post")) == ["removed operation POST /v1/invoices"]

    def test_narrowed_request_type_and_enum_are_caught(self):
        def narrow(spec):
            props = spec["components"]["schemas"]["InvoiceCreate"]["properties"]
            props["amount"] = {"type": "integer"}
            props["status"]["enum"] = ["draft"]
        found = _changed(narrow)
        assert "POST /v1/invoices request.amount: type narrowed from ['integer', 'string'] to ['integer']" in found
        assert any("enum narrowed" in f and "'open'" in f for f in found)

    def test_changed_response_type_is_caught(self):
        found = _changed(lambda s: s["components"]["schemas"]["Invoice"]["properties"].update(
            total={"type": "string"}))
        assert any("total: type changed from ['integer'] to ['string']" in f for f in found)

    def test_newly_required_parameter_is_caught(self):
        def require_query(spec):
            spec["paths"]["/v1/invoices/{id}"]["get"]["parameters"].append(
                {"name": "expand", "in": "query", "required": True, "schema": {"type": "string"}})
        assert _changed(require_query) == ["GET /v1/invoices/{id}: query parameter 'expand' is newly required"]


NESTED = {
    "openapi": "3.1.0",
    "paths": {"/v1/orders": {"post": {
        "parameters": [{"name": "expand", "in": "query", "required": False, "schema": {"type": "string"}}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/OrderIn"}}}},
        "responses": {"201": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/OrderOut"}}}}}}}},
    "components": {"schemas": {
        "Line": {"type": "object", "required": ["sku"], "properties": {
            "sku": {"type": "string", "maxLength": 64}, "note": {"type": "string"}}},
        "OrderIn": {"type": "object", "required": ["lines"], "properties": {
            "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
            "channel": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1}}},
        "Address": {"type": "object", "required": ["city"], "properties": {
            "city": {"type": "string"}, "zip": {"type": "string"}}},
        "OrderOut": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string"},
            "ship_to": {"oneOf": [{"$ref": "#/components/schemas/Address"}, {"type": "null"}]}}},
    }},
}


def _nested_changed(mutate) -> list[str]:
    new = copy.deepcopy(NESTED)
    mutate(new["components"]["schemas"], new["paths"]["/v1/orders"]["post"])
    return breaking_changes(NESTED, new)


class TestBreakingChangesInDepth:
    def test_field_newly_required_inside_array_items(self):
        found = _nested_changed(lambda schemas, op: schemas["Line"]["required"].append("note"))
        assert found == ["POST /v1/orders request.lines[]: field 'note' is newly required"]

    def test_enum_added_where_there_was_none(self):
        found = _nested_changed(lambda schemas, op: schemas["OrderIn"]["properties"]["channel"].update(
            enum=["web", "sales"]))
        assert found == ["POST /v1/orders request.channel: now limited to the values ['sales', 'web']"]

    def test_tightened_constraints(self):
        def tighten(schemas, op):
            schemas["Line"]["properties"]["sku"]["maxLength"] = 32
            schemas["OrderIn"]["properties"]["quantity"]["minimum"] = 2
        assert sorted(_nested_changed(tighten)) == [
            "POST /v1/orders request.lines[].sku: maxLength tightened to 32",
            "POST /v1/orders request.quantity: minimum tightened to 2"]

    def test_removed_field_inside_a_nullable_object(self):
        found = _nested_changed(lambda schemas, op: schemas["Address"]["properties"].pop("zip"))
        assert found == ["POST /v1/orders response 201.ship_to: field 'zip' removed or renamed"]

    def test_removed_query_parameter(self):
        found = _nested_changed(lambda schemas, op: op.update(parameters=[]))
        assert found == ["POST /v1/orders: query parameter 'expand' removed"]

    def test_loosened_constraints_are_allowed(self):
        def loosen(schemas, op):
            schemas["Line"]["properties"]["sku"]["maxLength"] = 128
            schemas["OrderIn"]["properties"]["quantity"].pop("minimum")
        assert _nested_changed(loosen) == []


class TestCommittedContracts:
    def test_committed_files_match_the_code(self):
        generated = generate_contracts()
        assert generated, "no service publishes a contract"
        for name, document in generated.items():
            committed = json.loads((OPENAPI_DIR / name).read_text(encoding="utf-8"))
            assert committed == document, f"{name} is stale: run `revflow contracts export`"

    def test_check_fails_against_a_published_version_with_a_field_the_code_removed(self, tmp_path: Path):
        published = tmp_path / "published"
        published.mkdir()
        for path in OPENAPI_DIR.glob("*.json"):
            spec = json.loads(path.read_text(encoding="utf-8"))
            if path.name == "example.v1.json":
                spec["components"]["schemas"]["AccountView"]["properties"]["legacy_code"] = {"type": "string"}
            (published / path.name).write_text(json.dumps(spec), encoding="utf-8")
        result = CliRunner().invoke(check, ["--published", str(published)])
        assert result.exit_code == 1
        assert "field 'legacy_code' removed or renamed" in result.output

    def test_generation_does_not_depend_on_hash_order(self):
        script = ("import hashlib; from revflow.commands.contracts import generate_contracts, _dump; "
                  "print(sorted((k, hashlib.sha256(_dump(v).encode()).hexdigest()) "
                  "for k, v in generate_contracts().items()))")
        outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                  cwd=OPENAPI_DIR.parents[1], env={**os.environ, "PYTHONHASHSEED": seed}).stdout
                   for seed in ("1", "2", "3")}
        assert len(outputs) == 1, "the published contracts differ between runs: something iterates a set"

    def test_re_exporting_cannot_hide_a_break_of_the_published_contract(self, tmp_path: Path):
        """The committed files always equal the code after an export; the promise to clients is what counts."""
        published = tmp_path / "published"
        published.mkdir()
        for path in PUBLISHED_DIR.glob("*.json"):
            spec = json.loads(path.read_text(encoding="utf-8"))
            if path.name == "example.v1.json":
                spec["components"]["schemas"]["AccountCreate"]["required"].remove("email")
            (published / path.name).write_text(json.dumps(spec), encoding="utf-8")
        result = CliRunner().invoke(check, ["--published", str(published)])
        assert result.exit_code == 1
        assert "field 'email' is newly required" in result.output

    def test_check_passes_on_the_committed_tree(self):
        result = CliRunner().invoke(check, [])
        assert result.exit_code == 0, result.output
