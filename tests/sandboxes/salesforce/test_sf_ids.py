"""Salesforce ids: the 18-character case-safe checksum and the key prefixes of each sObject."""

from __future__ import annotations

import pytest

from sandboxes.salesforce.ids import IdFactory, is_id, to18


class TestChecksum:
    def test_documented_example(self) -> None:
        # The example Salesforce's knowledge base uses for the 15 -> 18 conversion.
        assert to18("001D000000IqhSL") == "001D000000IqhSLIAZ"

    def test_all_lower_and_all_upper_chunks(self) -> None:
        assert to18("aaaaaaaaaaaaaaa") == "aaaaaaaaaaaaaaaAAA"  # no capitals: bits 0 -> "A"
        assert to18("AAAAAAAAAAAAAAA") == "AAAAAAAAAAAAAAA555"  # all five capitals: bits 31 -> "5"

    def test_shape_checks(self) -> None:
        assert is_id("001D000000IqhSLIAZ") and is_id("001D000000IqhSLiaz") and is_id("001D000000IqhSL")
        assert not is_id("001D000000IqhSLAAA") and not is_id("001-bad")
        with pytest.raises(ValueError):
            to18("nope")


class TestFactory:
    def test_seeded_ids_repeat_and_carry_prefix(self) -> None:
        first, second = IdFactory(5), IdFactory(5)
        ids = [first.new("006") for _ in range(3)]
        assert ids == [second.new("006") for _ in range(3)]
        assert all(len(i) == 18 and i.startswith("006") and to18(i[:15]) == i for i in ids)
