"""Ids minted for a new served session and run (``agno_nb.fresh_ids``): fresh once, and never repeated,
even when the ``random`` module is seeded (hypothesis seeds it; a repeat would be a duplicate run id)."""

from __future__ import annotations

import random

from agno_nb import fresh_ids


def test_an_id_is_fresh_once_and_only_if_minted_here():
    minted = fresh_ids.mint()
    assert fresh_ids.take(minted) and not fresh_ids.take(minted)
    assert not fresh_ids.take("a-run-id-the-caller-chose") and not fresh_ids.take(None)


def test_seeding_random_does_not_repeat_ids():
    random.seed(7)
    first = fresh_ids.mint()
    random.seed(7)
    assert fresh_ids.mint() != first
