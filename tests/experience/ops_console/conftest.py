"""Fixtures of the ops console's tests: the whole chain over real HTTP with the console in front, once per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.experience.ops_console.harness import Console, running_console


@pytest.fixture(scope="module")
def console(issuer, module_key_prefix) -> Iterator[Console]:
    with running_console(issuer, module_key_prefix) as running:
        yield running
