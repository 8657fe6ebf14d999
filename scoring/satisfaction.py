"""Residents' satisfaction: level counts, the smoothed satisfaction index and the hall board.

Points per level come from the scheme (default 5→100, 4→80, 3→60, 2→20, 1→0). The index is a
Bayesian average pulled toward the hall mean, so that three lucky ratings do not top the board::

    smoothed = (prior_weight × hall_mean + sum of points) / (prior_weight + n)

All values are on a 0–100 scale, rounded half up to two decimals; rates are 0..1, rounded half
up to four decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from scoring._numbers import dec, round2, round_rate, total
from scoring.scheme import Scheme


@dataclass(frozen=True)
class LevelCounts:
    """How many ratings of each level 1..5 (``counts[0]`` is level 1, 非常不满意)."""

    counts: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)

    def __post_init__(self) -> None:
        counts = tuple(self.counts)
        if len(counts) != 5:
            raise ValueError(f"LevelCounts needs five counts (levels 1..5), got {len(counts)}")
        for level, count in enumerate(counts, start=1):
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"level {level}: count must be a whole number ≥ 0, got {count!r}")
        object.__setattr__(self, "counts", counts)

    @classmethod
    def of(cls, l1: int = 0, l2: int = 0, l3: int = 0, l4: int = 0, l5: int = 0) -> LevelCounts:
        """Build counts by level: ``LevelCounts.of(l5=20, l4=8)``."""
        return cls((l1, l2, l3, l4, l5))

    @classmethod
    def from_levels(cls, levels: Iterable[int]) -> LevelCounts:
        """Count individual ratings given as levels 1..5."""
        counts = [0, 0, 0, 0, 0]
        for level in levels:
            if isinstance(level, bool) or level not in (1, 2, 3, 4, 5):
                raise ValueError(f"rating level must be 1..5, got {level!r}")
            counts[level - 1] += 1
        return cls((counts[0], counts[1], counts[2], counts[3], counts[4]))

    def count(self, level: int) -> int:
        """Return the number of ratings of one level 1..5."""
        if level not in (1, 2, 3, 4, 5):
            raise ValueError(f"rating level must be 1..5, got {level!r}")
        return self.counts[level - 1]

    @property
    def total(self) -> int:
        """Return the number of ratings."""
        return sum(self.counts)

    @property
    def good(self) -> int:
        """Return the number of 好评 (levels 4 and 5)."""
        return self.counts[3] + self.counts[4]

    @property
    def bad(self) -> int:
        """Return the number of 差评 (levels 1 and 2)."""
        return self.counts[0] + self.counts[1]

    def points(self, scheme: Scheme) -> Decimal:
        """Return the sum of the level points of all ratings (exact)."""
        return total(
            count * dec(scheme.points_for_level(level))
            for level, count in enumerate(self.counts, start=1)
        )

    def __add__(self, other: LevelCounts) -> LevelCounts:
        a, b = self.counts, other.counts
        return LevelCounts((a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4]))


@dataclass(frozen=True)
class SatisfactionIndex:
    """A person's (or window's) satisfaction from residents' ratings.

    ``smoothed`` (0–100) is the index used for ranking; ``raw_mean`` (0–100) is the plain mean of
    points, ``good_rate``/``bad_rate`` (0..1) the shares of levels 4–5 and 1–2; these three are
    ``None`` when there are no ratings. ``hall_mean`` and ``prior_weight`` are what the index was
    smoothed toward, so the number can be recomputed by hand.
    """

    count: int
    raw_mean: float | None
    smoothed: float
    good_rate: float | None
    bad_rate: float | None
    hall_mean: float
    prior_weight: float


def hall_mean(counts: Iterable[LevelCounts], scheme: Scheme) -> float:
    """Return the mean points (0–100) over all ratings, rounded half up to two decimals.

    Every rating weighs the same, whoever it belongs to. With no ratings at all the scheme's
    ``satisfaction.empty_hall_mean`` is returned (default 60, the points of 基本满意); it then
    only matters as the value everyone's empty index sits at.
    """
    combined = sum(counts, LevelCounts())
    if combined.total == 0:
        return float(round2(scheme.empty_hall_mean))
    return float(round2(combined.points(scheme) / combined.total))


def satisfaction_index(counts: LevelCounts, hall_mean: float, scheme: Scheme) -> SatisfactionIndex:
    """Return the satisfaction index of ``counts``, smoothed toward ``hall_mean`` (0–100).

    ``smoothed = (prior_weight × hall_mean + sum of points) / (prior_weight + n)``; with no
    ratings it is the hall mean. ``hall_mean`` is rounded half up to two decimals before use,
    so the index can be recomputed from the numbers shown.
    """
    mean = round2(hall_mean)
    if not 0 <= mean <= 100:
        raise ValueError(f"hall_mean must be between 0 and 100, got {hall_mean!r}")
    n = counts.total
    points = counts.points(scheme)
    prior = dec(scheme.prior_weight)
    smoothed = (prior * mean + points) / (prior + n) if prior + n > 0 else mean
    return SatisfactionIndex(
        count=n,
        raw_mean=float(round2(points / n)) if n else None,
        smoothed=float(round2(smoothed)),
        good_rate=float(round_rate(Decimal(counts.good) / n)) if n else None,
        bad_rate=float(round_rate(Decimal(counts.bad) / n)) if n else None,
        hall_mean=float(mean),
        prior_weight=scheme.prior_weight,
    )


# The board and the evaluation take ``hall_mean`` as an argument name too.
_hall_mean_of = hall_mean


@dataclass(frozen=True)
class Standing:
    """One line of the hall board: ``rank`` is ``None`` for 评价数不足 (too few ratings)."""

    subject_id: str
    index: SatisfactionIndex
    rank: int | None


@dataclass(frozen=True)
class Standings:
    """The hall board: ranked subjects best first, then those with too few ratings."""

    ranked: tuple[Standing, ...]
    insufficient: tuple[Standing, ...]
    hall_mean: float


def rank_satisfaction(
    subjects: Mapping[str, LevelCounts], scheme: Scheme, hall_mean: float | None = None
) -> Standings:
    """Rank staff (or windows) by their smoothed satisfaction index for the hall board.

    Subjects with fewer than ``scheme.min_ratings`` ratings are not ranked; they are listed in
    ``insufficient`` (评价数不足), most ratings first. ``hall_mean`` defaults to the mean over all
    subjects' ratings.

    Tie rule: higher smoothed index first; then higher raw mean; then more ratings. Subjects
    equal on all three share a rank and the next rank is skipped (1, 2, 2, 4). Names never
    decide a rank; they only order the lines of an exact tie for display.
    """
    given = hall_mean
    mean = _hall_mean_of(subjects.values(), scheme) if given is None else float(round2(given))
    indexed = [(sid, satisfaction_index(c, mean, scheme)) for sid, c in subjects.items()]
    eligible = [(sid, ix) for sid, ix in indexed if ix.count >= scheme.min_ratings]
    too_few = [(sid, ix) for sid, ix in indexed if ix.count < scheme.min_ratings]

    def key(ix: SatisfactionIndex) -> tuple[float, float, int]:
        return (ix.smoothed, ix.raw_mean if ix.raw_mean is not None else -1.0, ix.count)

    eligible.sort(key=lambda item: (tuple(-v for v in key(item[1])), item[0]))
    ranked: list[Standing] = []
    for position, (sid, ix) in enumerate(eligible, start=1):
        tied = ranked and key(ix) == key(ranked[-1].index)
        ranked.append(Standing(sid, ix, ranked[-1].rank if tied else position))
    too_few.sort(key=lambda item: (-item[1].count, item[0]))
    return Standings(
        ranked=tuple(ranked),
        insufficient=tuple(Standing(sid, ix, None) for sid, ix in too_few),
        hall_mean=mean,
    )
