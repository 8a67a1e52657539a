"""Property-based contract testing shared by every service's schemathesis test.

Schemathesis generates valid and invalid requests for an operation from the service's own OpenAPI document
and checks that the service never answers 5xx, answers only documented statuses and content types, that
bodies match their schemas, and that invalid input is rejected.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

__all__ = ["CHECKS", "MODES", "examples", "fuzz_operation", "operations_of"]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
MODES = list(GenerationMode)


def examples(default: int) -> int:
    """Generated cases per operation and mode: ``default`` (the CI profile) unless ``REVFLOW_FUZZ_EXAMPLES``.

    ``revflow check contracts --deep`` sets it for the longer profile.
    """
    return int(os.environ.get("REVFLOW_FUZZ_EXAMPLES", default))


def operations_of(app: Any, skip_prefix: str | None = None) -> list[tuple[str, str]]:
    """Every (METHOD, path) of an app's OpenAPI document, except paths under ``skip_prefix``."""
    paths = app.openapi_schema.to_schema()["paths"]
    return sorted((method.upper(), path) for path, item in paths.items() for method in item
                  if skip_prefix is None or not path.startswith(skip_prefix))


def fuzz_operation(schema: Any, method: str, path: str, mode: GenerationMode, bearer: str,
                   max_examples: int = 15) -> None:
    """Run generated cases of one operation through the whole stack with a valid token."""
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples(max_examples), deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    def run(case: Any) -> None:
        headers = {**(case.headers or {}), "Authorization": f"Bearer {bearer}"}
        if method in ("POST", "PATCH", "DELETE") and mode is GenerationMode.POSITIVE:
            headers.setdefault("Idempotency-Key", uuid.uuid4().hex)
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
