"""Fixtures of the process tier's tests: the whole chain, once per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.process.topology import Topology, running_topology


@pytest.fixture(scope="module")
def topology(issuer, module_key_prefix) -> Iterator[Topology]:
    with running_topology(issuer, module_key_prefix) as running:
        yield running
