"""Fixtures for the pure scoring tests: the default scheme, variants of it, and assessments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from scoring_helpers import uniform, with_changes

from scoring import Assessment, Scheme, default_scheme, parse_scheme


@pytest.fixture
def scheme() -> Scheme:
    return default_scheme()


@pytest.fixture
def scheme_with() -> Callable[..., Scheme]:
    """Return a factory: scheme_with({"quota.enabled": True}) is the default scheme, changed."""

    def make(changes: Mapping[str, Any]) -> Scheme:
        return parse_scheme(with_changes(changes))

    return make


@pytest.fixture
def assess(scheme: Scheme) -> Callable[[str, str, float], Assessment]:
    """Return a factory for uniform assessments under the default scheme."""

    def make(assessor_id: str, kind: str, total: float) -> Assessment:
        return uniform(scheme, assessor_id, kind, total)

    return make
