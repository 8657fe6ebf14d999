"""What one period's evaluation is computed from: frozen, validated on construction.

Points are on the rubric's scale (each leaf criterion 0..its max); adjustment points are
positive numbers, their sign comes from ``kind``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from scoring.satisfaction import LevelCounts
from scoring.scheme import SEVERITIES, Scheme

AssessorKind = Literal["self", "peer", "supervisor"]
AdjustmentKind = Literal["bonus", "deduction"]
Severity = Literal["minor", "major", "severe"]
PendingReason = Literal["appeal", "appeal_window"]
#: Why a verified complaint may still be withdrawn (it is 待定 and deducts nothing).
PENDING_REASONS: tuple[PendingReason, ...] = ("appeal", "appeal_window")


@dataclass(frozen=True)
class Assessment:
    """One assessor's points for one staff member, keyed by leaf criterion code.

    ``kind`` is ``"self"``, ``"peer"`` or ``"supervisor"``. Whether the codes and points fit a
    scheme is checked by :meth:`check` (``evaluate_period`` calls it): every leaf must be scored,
    each within 0..its max.
    """

    assessor_id: str
    kind: AssessorKind
    scores: Mapping[str, float]

    def __post_init__(self) -> None:
        if self.kind not in ("self", "peer", "supervisor"):
            raise ValueError(f"assessment kind must be self, peer or supervisor: {self.kind!r}")
        frozen = dict(self.scores)
        for code, points in frozen.items():
            if isinstance(points, bool) or not isinstance(points, int | float):
                raise ValueError(f"{code}: points must be a number, got {points!r}")
            if not math.isfinite(points):
                raise ValueError(f"{code}: points must be finite, got {points!r}")
        object.__setattr__(self, "scores", MappingProxyType(frozen))

    def __hash__(self) -> int:
        return hash((self.assessor_id, self.kind, tuple(sorted(self.scores.items()))))

    def check(self, scheme: Scheme) -> None:
        """Raise ``ValueError`` naming the criterion if the points do not fit the rubric."""
        leaves = {leaf.code: leaf for leaf in scheme.leaves}
        who = f"{self.kind} assessment by {self.assessor_id}"
        for code in sorted(self.scores):
            if code not in leaves:
                raise ValueError(f"{who}: unknown criterion {code!r}")
            points = self.scores[code]
            if not 0 <= points <= leaves[code].max_points:
                raise ValueError(
                    f"{who}: {code} must be between 0 and {leaves[code].max_points:g}, "
                    f"got {points:g}"
                )
        missing = [code for code in leaves if code not in self.scores]
        if missing:
            raise ValueError(f"{who}: no points for {', '.join(missing)}")


@dataclass(frozen=True)
class Adjustment:
    """A bonus (创新, 表彰 …) or a manual deduction, in points (> 0), with its reason.

    A deduction needs the approver (who signed it off); a bonus may name one. ``category`` is
    the scheme's adjustment category code (its cap applies; None: free text, no category);
    entries of one kind naming the same ``matter`` (事项) count once, at the highest.
    """

    kind: AdjustmentKind
    points: float
    reason: str
    approver: str | None = None
    ref: str | None = None
    category: str | None = None
    matter: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("bonus", "deduction"):
            raise ValueError(f"adjustment kind must be bonus or deduction: {self.kind!r}")
        if isinstance(self.points, bool) or not isinstance(self.points, int | float):
            raise ValueError(f"adjustment points must be a number, got {self.points!r}")
        if not (math.isfinite(self.points) and self.points > 0):
            raise ValueError(f"adjustment points must be greater than 0, got {self.points!r}")
        if not self.reason.strip():
            raise ValueError("an adjustment needs a reason")
        if self.kind == "deduction" and not (self.approver and self.approver.strip()):
            raise ValueError(f"deduction {self.reason!r} needs an approver")


@dataclass(frozen=True)
class ComplaintFinding:
    """A complaint verified as valid (核实有效); only these deduct points.

    ``severity`` is ``"minor"`` (一般), ``"major"`` (较重) or ``"severe"`` (严重). ``pending``
    says why the verdict is not final yet, so the complaint is shown as 待定 and deducts nothing:
    ``"appeal"`` (an appeal waits for review) or ``"appeal_window"`` (the staff member may
    still appeal); ``None``: the verdict stands and the complaint deducts.
    """

    complaint_id: str
    severity: Severity
    pending: PendingReason | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"complaint {self.complaint_id}: severity must be minor, major or severe, "
                f"got {self.severity!r}"
            )
        if self.pending not in (None, *PENDING_REASONS):
            raise ValueError(
                f"complaint {self.complaint_id}: pending must be None, appeal or "
                f"appeal_window, got {self.pending!r}"
            )


@dataclass(frozen=True)
class PartScore:
    """One part a composed period is built from: a quarter's (or month's) result for a person.

    ``period`` is the part's code (``2026Q1``); ``base`` its base score (0–100, before bonuses
    and deductions), ``None`` when the part gave no score (未评定); ``finalised`` says whether
    it is the part's finalised result rather than today's live one.
    """

    period: str
    base: float | None
    finalised: bool = False

    def __post_init__(self) -> None:
        if self.base is None:
            return
        if isinstance(self.base, bool) or not isinstance(self.base, int | float):
            raise ValueError(f"part {self.period}: base must be a number, got {self.base!r}")
        if not (math.isfinite(self.base) and 0 <= self.base <= 100):
            raise ValueError(f"part {self.period}: base must be between 0 and 100, got {self.base}")


@dataclass(frozen=True)
class StaffInput:
    """Everything one staff member is evaluated on for one period.

    ``ratings`` are the counts of residents' ratings attributed to them (quarantined ratings
    already left out); ``complaints`` holds only complaints verified as valid. ``parts`` are
    the person's results in the parts of a composed period (a year's quarters), read only when
    the period is evaluated with a :class:`~scoring.scheme.Composition`.
    """

    staff_id: str
    ratings: LevelCounts = field(default_factory=LevelCounts)
    assessments: tuple[Assessment, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    complaints: tuple[ComplaintFinding, ...] = ()
    parts: tuple[PartScore, ...] = ()

    def __post_init__(self) -> None:
        # Accept any sequence, keep a tuple, so the input stays immutable and hashable.
        object.__setattr__(self, "assessments", tuple(self.assessments))
        object.__setattr__(self, "parts", tuple(self.parts))
        periods = [part.period for part in self.parts]
        if len(periods) != len(set(periods)):
            raise ValueError(f"{self.staff_id}: the same part is listed twice")
        object.__setattr__(self, "adjustments", tuple(self.adjustments))
        object.__setattr__(self, "complaints", tuple(self.complaints))
        seen: set[tuple[str, str]] = set()
        for assessment in self.assessments:
            key = (assessment.kind, assessment.assessor_id)
            if key in seen:
                raise ValueError(
                    f"{self.staff_id}: two {assessment.kind} assessments by "
                    f"{assessment.assessor_id}"
                )
            seen.add(key)
            is_own = assessment.assessor_id == self.staff_id
            if assessment.kind == "self" and not is_own:
                raise ValueError(
                    f"{self.staff_id}: self assessment by someone else ({assessment.assessor_id})"
                )
            if assessment.kind != "self" and is_own:
                raise ValueError(f"{self.staff_id}: {assessment.kind} assessment of oneself")
        ids = [c.complaint_id for c in self.complaints]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{self.staff_id}: the same complaint is listed twice")
