"""Property-based contract testing shared by every service's schemathesis test.

Schemathesis generates valid and invalid requests for an operation from the service's own OpenAPI document
and checks that the service never answers 5xx, answers only documented statuses and content types, that
bodies match their schemas, and that invalid input is rejected.

Stateful flows (``run_stateful_flows``) follow the document's OpenAPI links (create -> read -> update): a
state machine chains calls, feeding an id from one response into the next request, and checks each answer.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections import Counter
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, Phase, assume, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

__all__ = ["CHECKS", "MODES", "STATEFUL_CHECKS", "examples", "fuzz_operation", "operations_of",
           "run_stateful_flows"]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
STATEFUL_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
                   response_schema_conformance]
MODES = list(GenerationMode)
_ROUNDS = 3
"""Runs of the state machine at most, until every required link was followed to a 2xx answer."""


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


def _on_the_wire(value: Any) -> list[Any]:
    """The values a query parameter's generated value is sent as: nested lists flatten, ``None`` and empty
    lists or objects send nothing."""
    if value is None or value == {}:
        return []
    if isinstance(value, list):
        return [sent for item in value for sent in _on_the_wire(item)]
    return [value]


def fuzz_operation(schema: Any, method: str, path: str, mode: GenerationMode, bearer: str,
                   max_examples: int = 15) -> None:
    """Run generated cases of one operation through the whole stack with a valid token."""
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples(max_examples), deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    def run(case: Any) -> None:
        # On the wire a query value that is None, an empty list or an empty object (or lists of them) is nothing
        # at all, and a list of one scalar is that scalar: a negative case whose fault is one of these (an unknown
        # parameter that is never sent, say) can be a valid request the service rightly answers.
        assume(mode is GenerationMode.POSITIVE or not any(
            len(sent := _on_the_wire(v)) == 0 or (isinstance(v, list) and len(sent) == 1)
            for v in (case.query or {}).values()))
        headers = {**(case.headers or {}), "Authorization": f"Bearer {bearer}"}
        if method in ("POST", "PATCH", "DELETE") and mode is GenerationMode.POSITIVE:
            headers.setdefault("Idempotency-Key", uuid.uuid4().hex)
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def run_stateful_flows(app: Any, bearer: str, flows: Mapping[str, set[str]], *, scenarios: int = 8,
                       steps: int = 6, best_effort: frozenset[str] = frozenset()) -> Counter[str]:
    """Run schemathesis' state machine over the operations of ``flows``, following their OpenAPI links.

    ``flows`` maps a source ``operationId`` to the ``operationId``s its success response links to. The app's
    document must declare exactly these links between these operations, and each must be followed at least once
    with its value applied and answered 2xx: a missing or wrong link (an expression that extracts nothing, or an
    id the target does not know) fails the test. Every answer is checked with ``STATEFUL_CHECKS``. Links named in
    ``best_effort`` (``"source -> target"``) are declared and walked, but a 2xx answer is not required of them (say
    why where they are named: generated bodies that rarely pass the target's business rules).

    Only the declared links are followed (schemathesis' own link inference is off) and requests are valid ones:
    invalid input is the stateless tests' job, and a rejected step ends a chain. The flows run on a copy of the
    document whose every object is closed (``additionalProperties: false``; the documents close only the bodies
    that refuse unknown fields), so generated bodies carry no field a service would refuse, and responses are
    checked against it too: an undocumented response field fails.

    ``scenarios`` (call sequences) and ``steps`` (calls per sequence) are the CI profile;
    ``REVFLOW_FUZZ_STATEFUL_SCENARIOS`` and ``REVFLOW_FUZZ_STATEFUL_STEPS`` override them
    (``revflow check contracts --deep``). Returns how often each link was followed to a 2xx answer.
    """
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    document = _closed(copy.deepcopy(app.openapi_schema.to_schema()))
    operation_ids = set(flows) | {target for targets in flows.values() for target in targets}
    assert _declared_links(document, operation_ids) == {
        (source, target) for source, targets in flows.items() for target in targets}, "declared links differ"
    config = SchemathesisConfig.from_dict({"phases": {"stateful": {"inference": {"algorithms": []},
                                                                 "generation": {"mode": "positive"}}}})
    schema = schemathesis.openapi.from_dict(document, config=config).include(operation_id=sorted(operation_ids))
    schema.app = app
    followed: Counter[str] = Counter()

    class Flows(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            headers = {**(case.headers or {}), "Authorization": f"Bearer {bearer}"}
            if case.method.upper() in ("POST", "PATCH", "DELETE"):
                headers["Idempotency-Key"] = uuid.uuid4().hex  # generated keys repeat across calls
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            case.validate_response(response, checks=STATEFUL_CHECKS, headers=kwargs.get("headers"),
                                   transport_kwargs=kwargs, recorder=self.recorder)

        def step(self, input: StepInput) -> StepOutput:
            output = super().step(input)
            if input.transition is not None and input.is_applied and 200 <= output.response.status_code < 300:
                source = self.recorder.cases[input.transition.parent_id].value.operation
                followed[f"{_operation_id(source)} -> {_operation_id(input.case.operation)}"] += 1
            return output

    def missing() -> list[str]:
        return sorted(f"{source} -> {target}" for source, targets in flows.items() for target in targets
                      if not followed[f"{source} -> {target}"] and f"{source} -> {target}" not in best_effort)

    # A required link not reached in one run of random sequences gets more runs (up to ``_ROUNDS``): every answer
    # of every run is still checked, and a link that is wrong is never followed to a 2xx however many runs there
    # are, while a correct one that the dice skipped once no longer fails CI now and then.
    for _ in range(_ROUNDS):
        Flows.run(settings=settings(
            max_examples=int(os.environ.get("REVFLOW_FUZZ_STATEFUL_SCENARIOS", scenarios)),
            stateful_step_count=int(os.environ.get("REVFLOW_FUZZ_STATEFUL_STEPS", steps)),
            deadline=None, suppress_health_check=list(HealthCheck), database=None, phases=[Phase.generate]))
        if not missing():
            break
    assert not missing(), f"links never followed to a 2xx answer: {missing()} (followed: {dict(followed)})"
    return followed


def _operation_id(operation: Any) -> str:
    return str(operation.definition.raw["operationId"])


def _declared_links(document: Mapping[str, Any], operation_ids: set[str]) -> set[tuple[str, str]]:
    """(source, target) ``operationId`` pairs of the document's links among ``operation_ids``."""
    return {(operation["operationId"], link["operationId"])
            for item in document["paths"].values() for operation in item.values()
            if isinstance(operation, dict) and operation.get("operationId") in operation_ids
            for response in operation.get("responses", {}).values()
            for link in response.get("links", {}).values() if link.get("operationId") in operation_ids}


def _closed(node: Any, *, in_all_of: bool = False) -> Any:
    """Close every object schema of a document (``additionalProperties: false``), except ``allOf`` members."""
    if isinstance(node, list):
        for item in node:
            _closed(item, in_all_of=in_all_of)
    elif isinstance(node, dict):
        if isinstance(node.get("properties"), dict) and "additionalProperties" not in node and not in_all_of:
            node["additionalProperties"] = False
        for key, value in node.items():
            if key not in ("example", "examples", "links", "default", "const", "enum"):
                _closed(value, in_all_of=key == "allOf")
    return node
