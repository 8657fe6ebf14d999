"""Helpers shared by the scoring tests (imported by name; conftest.py wraps them as fixtures)."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

from scoring import Assessment, Scheme


def default_scheme_data() -> dict[str, Any]:
    """Return the shipped scheme file as a fresh, freely editable dict."""
    text = resources.files("scoring").joinpath("default_scheme.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def with_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Return the default scheme data with dotted paths replaced: {"quota.enabled": True}."""
    data = copy.deepcopy(default_scheme_data())
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


def uniform(scheme: Scheme, assessor_id: str, kind: str, total: float) -> Assessment:
    """Return an assessment giving every leaf the same share of its max, ``total`` in all."""
    share = total / 100
    return Assessment(
        assessor_id,
        kind,  # type: ignore[arg-type]  # tests pass the kinds as plain strings
        {leaf.code: leaf.max_points * share for leaf in scheme.leaves},
    )
