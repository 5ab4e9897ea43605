"""Prices per token, read from LiteLLM's bundled cost map without importing LiteLLM.

``import litellm`` costs seconds; the direct transport only needs its price table, a JSON file
shipped inside the package. It is located with ``importlib.util.find_spec`` (which does not execute
the package) and parsed once, on the first call that has token usage to price.
"""

from __future__ import annotations

import importlib.util
import json
import os
from functools import lru_cache
from typing import Any

__all__ = ["price_of", "model_info"]

_COST_MAP_FILE = "model_prices_and_context_window_backup.json"


@lru_cache(maxsize=1)
def _cost_map() -> dict[str, Any]:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, _COST_MAP_FILE)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
    return {}


def model_info(model_id: str) -> dict[str, Any] | None:
    """The cost-map entry for ``provider/model`` (OpenAI models are listed without a prefix)."""
    table = _cost_map()
    entry = table.get(model_id)
    if entry is None and "/" in model_id:
        entry = table.get(model_id.split("/", 1)[1])
    return entry


@lru_cache(maxsize=256)
def _rates(model_id: str) -> tuple[float, float] | None:
    entry = model_info(model_id)
    if not entry or "input_cost_per_token" not in entry:
        return None
    return float(entry.get("input_cost_per_token") or 0.0), float(entry.get("output_cost_per_token") or 0.0)


def price_of(model_id: str, input_tokens: int, output_tokens: int) -> float | None:
    """USD cost of a call, or ``None`` when the model has no known price."""
    rates = _rates(model_id)
    if rates is None:
        return None
    return input_tokens * rates[0] + output_tokens * rates[1]
