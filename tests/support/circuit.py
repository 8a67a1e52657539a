"""What every system API answers while its vendor's circuit is open, checked the same way for each domain."""

from __future__ import annotations

from typing import Any

__all__ = ["assert_circuit_open"]


def assert_circuit_open(responses: list[Any], *, reset_seconds: int = 30) -> None:
    """Each response is a 503 problem saying the circuit is open, retryable, with a Retry-After within the reset."""
    for response in responses:
        assert response.status_code == 503, response.text
        assert 1 <= int(response.headers["retry-after"]) <= reset_seconds
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["status"] == 503 and problem["retryable"] is True and "circuit open" in problem["detail"]
