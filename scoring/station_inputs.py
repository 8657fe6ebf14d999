"""What a station round is scored from: frozen, validated on construction.

Points are on the checklist's scale (each leaf item 0..its points); bonus and deduction points
are positive, their sign comes from what they are. Whether codes and points fit a scheme is
checked by :func:`scoring.evaluate_round`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from scoring.inputs import PENDING_REASONS, PendingReason, Severity
from scoring.scheme import SEVERITIES
from scoring.station_scheme import METRICS, ROLES, MemberRole


def _number(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value!r}")


@dataclass(frozen=True)
class MemberScore:
    """One assessment-group member's points for one station, keyed by leaf item code.

    ``role`` is ``district_assessor`` (街道考核人员), ``cross_staff`` (another station's staff,
    交叉考核) or ``resident_rep`` (居民代表). Items left out are items the member left blank.
    ``home_station_id`` is the station the member works at, if any: nobody scores their own.
    """

    member_id: str
    role: MemberRole
    scores: Mapping[str, float]
    note: str = ""
    home_station_id: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"member {self.member_id}: role must be one of {', '.join(ROLES)}")
        frozen = dict(self.scores)
        for code, points in frozen.items():
            _number(points, f"member {self.member_id}: {code}")
        object.__setattr__(self, "scores", MappingProxyType(frozen))

    def __hash__(self) -> int:
        return hash((self.member_id, self.role, tuple(sorted(self.scores.items()))))


@dataclass(frozen=True)
class BonusClaim:
    """A bonus claimed for a station: ``points`` in a scheme category for one matter.

    ``matter`` names the matter (事项): claims for the same matter count once, at the highest.
    """

    category: str
    matter: str
    points: float
    note: str = ""

    def __post_init__(self) -> None:
        _number(self.points, f"bonus {self.matter}: points")
        if not self.matter.strip():
            raise ValueError("a bonus claim needs its matter")


@dataclass(frozen=True)
class Deduction:
    """A deduction for a station, in a scheme category, for one matter.

    ``severity`` (``minor`` 一般, ``major`` 较重, ``severe`` 严重) is needed where the
    category deducts by severity; ``ref`` is what it rests on, e.g. a verified complaint's id.
    ``pending`` says why what it rests on is not final yet (``appeal``: an appeal waits for
    review; ``appeal_window``: it may still be appealed): it is then shown as 待定 and deducts
    nothing. ``None``: it deducts.
    """

    category: str
    matter: str
    severity: Severity | None = None
    note: str = ""
    ref: str | None = None
    pending: PendingReason | None = None

    def __post_init__(self) -> None:
        if not self.matter.strip():
            raise ValueError("a deduction needs its matter")
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(
                f"deduction {self.matter}: severity must be minor, major or severe, "
                f"got {self.severity!r}"
            )
        if self.pending not in (None, *PENDING_REASONS):
            raise ValueError(
                f"deduction {self.matter}: pending must be None, appeal or appeal_window, "
                f"got {self.pending!r}"
            )


@dataclass(frozen=True)
class StationInput:
    """Everything one station is scored on in a round.

    ``metrics`` holds the product's own figures for the round's period, by metric name
    (``satisfaction_index`` 0–100, ``rating_volume`` ≥ 0, ``complaints_on_time_share`` 0–1);
    a metric left out means no data (its items count 0 and are flagged).
    """

    station_id: str
    name: str
    members: tuple[MemberScore, ...] = ()
    metrics: Mapping[str, float] = field(default_factory=dict)
    bonuses: tuple[BonusClaim, ...] = ()
    deductions: tuple[Deduction, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", tuple(self.members))
        object.__setattr__(self, "bonuses", tuple(self.bonuses))
        object.__setattr__(self, "deductions", tuple(self.deductions))
        frozen = dict(self.metrics)
        for metric, value in frozen.items():
            if metric not in METRICS:
                raise ValueError(f"{self.station_id}: unknown metric {metric!r}")
            _number(value, f"{self.station_id}: {metric}")
            low, high = METRICS[metric]
            if value < low or (high is not None and value > high):
                bound = f"{low:g} to {high:g}" if high is not None else f"at least {low:g}"
                raise ValueError(f"{self.station_id}: {metric} must be {bound}, got {value:g}")
        object.__setattr__(self, "metrics", MappingProxyType(frozen))
        ids = [member.member_id for member in self.members]
        twice = sorted({m for m in ids if ids.count(m) > 1})
        if twice:
            raise ValueError(f"{self.station_id}: scored twice by {', '.join(twice)}")
        for member in self.members:
            if member.home_station_id == self.station_id:
                raise ValueError(
                    f"{self.station_id}: member {member.member_id} may not score their own station"
                )
        refs = [d.ref for d in self.deductions if d.ref is not None]
        again = sorted({r for r in refs if refs.count(r) > 1})
        if again:
            raise ValueError(f"{self.station_id}: deduction {', '.join(again)} listed twice")

    def __hash__(self) -> int:
        return hash((self.station_id, self.members, self.bonuses, self.deductions))


__all__ = ["BonusClaim", "Deduction", "MemberScore", "StationInput"]
