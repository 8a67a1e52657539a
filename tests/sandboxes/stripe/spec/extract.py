"""Write a compact extract of Stripe's OpenAPI spec: the response schemas of the operations the sandbox serves.

Usage (from the repository root)::

    uv run python tests/sandboxes/stripe/spec/extract.py [path/to/spec3.json]

The default input is ``../shared/vendor-specs/stripe/spec3.json`` beside the repository. The output,
``stripe_responses.json`` next to this script, holds ``operations`` ("get /v1/customers/{customer}" ->
{status: schema}) and the ``$defs`` those schemas reach, already converted from OpenAPI 3.0 to JSON Schema
Draft 2020-12 (``nullable`` -> ``anyOf[..., null]``, ``#/components/schemas/`` -> ``#/$defs/``) with
descriptions and vendor extensions dropped. The spec is Stripe's, MIT licensed: see ``LICENSE`` here.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[3]
DEFAULT_SPEC = REPO.parent / "shared" / "vendor-specs" / "stripe" / "spec3.json"
OUT = HERE / "stripe_responses.json"

# The path families the sandbox implements; every operation under them is extracted.
PATHS = re.compile(
    r"^/v1/(customers(/search|/\{customer\})?|products(/\{id\})?|prices(/\{price\})?"
    r"|subscriptions(/\{subscription_exposed_id\})?|subscription_items(/\{item\})?"
    r"|invoiceitems(/\{invoiceitem\})?|invoices(/\{invoice\}(/(finalize|pay|void|mark_uncollectible|send|lines))?)?"
    r"|credit_notes(/preview|/\{id\}(/void)?|/\{credit_note\}/lines)?|refunds(/\{refund\})?|charges(/\{charge\})?"
    r"|billing/(meters(/\{id\}(/(deactivate|reactivate|event_summaries))?)?|meter_events)"
    r"|test_helpers/test_clocks(/\{test_clock\}(/advance)?)?|webhook_endpoints(/\{webhook_endpoint\})?"
    r"|events(/\{id\})?)$"
)
DROP = {"description", "title"}


def to_2020_12(node: Any, names: bool = False) -> Any:
    """Convert an OpenAPI 3.0 schema node to Draft 2020-12 (VENDORS.md section 1.9), dropping prose.

    Args:
        node: The schema node.
        names: True when ``node`` maps property names (or statuses) to schemas: keep every key.
    """
    if isinstance(node, list):
        return [to_2020_12(v) for v in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {k: to_2020_12(v) for k, v in node.items()}
    node = {
        k: to_2020_12(v, names=k in ("properties", "patternProperties"))
        for k, v in node.items()
        if k not in DROP and not k.startswith("x-")
    }
    if isinstance(node.get("$ref"), str):
        node["$ref"] = node["$ref"].replace("#/components/schemas/", "#/$defs/")
    return {"anyOf": [node, {"type": "null"}]} if node.pop("nullable", False) else node


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out.add(value.rsplit("/", 1)[-1])
            else:
                _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)


def extract(spec: dict[str, Any]) -> dict[str, Any]:
    """Return the operations' response schemas and the component schemas they reach."""
    operations: dict[str, dict[str, Any]] = {}
    for path, item in spec["paths"].items():
        if not PATHS.match(path):
            continue
        for method, op in item.items():
            responses = {
                status: resp["content"]["application/json"]["schema"]
                for status, resp in op.get("responses", {}).items()
                if "application/json" in resp.get("content", {})
            }
            operations[f"{method} {path}"] = to_2020_12(responses, names=True)
    schemas = spec["components"]["schemas"]
    seen: set[str] = set()
    todo: set[str] = set()
    _refs(operations, todo)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            found: set[str] = set()
            _refs(schemas[name], found)
            todo |= found - seen
    defs = {name: to_2020_12(schemas[name]) for name in sorted(seen)}
    return {"api_version": spec["info"]["version"], "operations": operations, "$defs": defs}


def main(argv: list[str]) -> int:
    """Read the spec, write the extract."""
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SPEC
    if not source.is_file():
        print(f"Stripe spec not found at {source}", file=sys.stderr)
        return 1
    data = extract(json.loads(source.read_text(encoding="utf-8")))
    OUT.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT.name}: {len(data['operations'])} operations, {len(data['$defs'])} schemas")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
