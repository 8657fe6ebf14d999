"""What a station round fills from the product's own data, and the records behind it.

For each station of a round, over the round's days (:func:`round_days`), read the way the rest
of the product reads the same facts:

- ``rating_volume``: the station's counted ratings, from the rating tallies
  (kiosk.services.evaluation_inputs.hall_level_counts), never from the ratings themselves;
- ``satisfaction_index``: their satisfaction index under the staff scheme's satisfaction
  settings (kiosk.services.evaluation.current_scheme, as the board ranks with), smoothed toward
  the mean of every counted rating of the round's stations in those days: a station is set
  against the round's others as a clerk is against the hall, so that a handful of lucky
  ratings does not top the round. Left out when the station has no rating (no data);
- ``complaints_on_time_share``: of the station's complaints closed in those days, the share
  closed by their last deadline (kiosk.services.complaints_on_time, the board's and the district
  dashboard's rule). Left out when none was closed (no data);
- one deduction in the scheme's complaint category (:data:`COMPLAINT_CATEGORY`) per complaint
  filed in those days and verified as valid with a severity, assigned to a clerk or not, at the
  severity's points; ``#<id>`` is its matter and ref. While the verdict may still change (an
  appeal waits for review, or the clerk may still appeal: kiosk.services.evaluation_inputs.
  verdicts, the staff evaluation's rule) it is 待定 and deducts nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import scoring
from kiosk import clock
from kiosk.models import Hall, StationRound
from kiosk.services import complaints_on_time, evaluation_inputs
from kiosk.services.complaints_on_time import ClosedComplaint
from kiosk.services.evaluation import current_scheme
from kiosk.services.evaluation_inputs import Verdict
from kiosk.services.periods import Days, Span, parse_period
from kiosk.services.station_rounds import round_halls
from scoring import Deduction
from scoring.scheme import Criterion
from scoring.station_scheme import StationScheme

#: The deduction category of both shipped station schemes for a complaint verified as valid.
COMPLAINT_CATEGORY = "complaint"


def auto_items(scheme: StationScheme) -> list[tuple[Criterion, str]]:
    """Return the scheme's items filled from data with their metric, in checklist order."""
    return [
        (leaf, scheme.auto[leaf.code].metric) for leaf in scheme.leaves if leaf.code in scheme.auto
    ]


def complaint_points(scheme: StationScheme) -> dict[str, float]:
    """Return the points a valid complaint deducts under scheme, by severity."""
    return dict(scheme.deduction_category(COMPLAINT_CATEGORY).by_severity)


def round_days(round_: StationRound) -> Span:
    """Return the hall-local days a round's data are read over.

    A month, quarter or year round: its period. A spot check (不定期抽查): the month of its day
    up to and including that day (3 December: 1 to 3 December), what the station has done
    lately as of the visit.
    """
    if round_.period is not None:
        return parse_period(round_.period)
    day = round_.spot_check_on
    if day is None:  # open_round() gives every round a period or a day
        raise ValueError(f"round {round_.id} has neither a period nor a spot-check day")
    return Days(day.replace(day=1), day)


@dataclass(frozen=True)
class StationData:
    """One station's figures for a round, and the valid complaints of its days."""

    hall: Hall
    counts: scoring.LevelCounts
    index: scoring.SatisfactionIndex  # smoothed toward the round's mean
    closed: int  # complaints closed in the round's days
    closed_on_time: int
    verdicts: tuple[Verdict, ...]

    @property
    def on_time_share(self) -> float | None:
        """Return the share (0..1) of the closed complaints closed on time; None: none closed."""
        return self.closed_on_time / self.closed if self.closed else None

    @property
    def metrics(self) -> dict[str, float]:
        """Return the figures scoring fills items from; one without data is left out."""
        metrics: dict[str, float] = {"rating_volume": self.counts.total}
        if self.counts.total:
            metrics["satisfaction_index"] = self.index.smoothed
        if self.on_time_share is not None:
            metrics["complaints_on_time_share"] = self.on_time_share
        return metrics

    @property
    def deductions(self) -> tuple[Deduction, ...]:
        """Return one deduction per valid complaint, 待定 where its verdict is not final."""
        return tuple(
            Deduction(
                COMPLAINT_CATEGORY,
                f"#{verdict.id}",
                verdict.severity,
                ref=f"#{verdict.id}",
                pending=verdict.pending,
            )
            for verdict in self.verdicts
        )


@dataclass(frozen=True)
class RoundData:
    """Every station's figures for a round: the days read, what indexes are smoothed toward."""

    days: Span
    mean: float  # mean points (0–100) of all the round's stations' counted ratings
    prior_weight: float
    stations: dict[int, StationData]  # by hall id


@dataclass(frozen=True)
class StationRecords:
    """The records behind one station's figures: its data and the complaints closed."""

    days: Span
    mean: float
    prior_weight: float
    data: StationData
    closed: tuple[ClosedComplaint, ...]

    @property
    def first_day(self) -> date:
        """Return the first hall-local day read."""
        return self.days.start

    @property
    def last_day(self) -> date:
        """Return the last hall-local day read."""
        return self.days.end - timedelta(days=1)


def _read(round_: StationRound, now: datetime, halls: list[Hall]) -> RoundData:
    days = round_days(round_)
    scheme = current_scheme()
    counts = {h.id: evaluation_inputs.hall_level_counts(h, days) for h in round_halls(round_)}
    mean = scoring.hall_mean(counts.values(), scheme)
    start, end = days.bounds(clock.hall_zone())
    stations = {}
    for hall in halls:
        closed, on_time = complaints_on_time.closed_between(hall, start, end)
        verdicts = evaluation_inputs.verdicts(
            hall, evaluation_inputs.valid_in_hall(hall, days), now
        )
        stations[hall.id] = StationData(
            hall=hall,
            counts=counts[hall.id],
            index=scoring.satisfaction_index(counts[hall.id], mean, scheme),
            closed=closed,
            closed_on_time=on_time,
            verdicts=tuple(verdicts),
        )
    return RoundData(days, mean, scheme.prior_weight, stations)


def round_data(round_: StationRound, now: datetime) -> RoundData:
    """Return every station's figures for the round; now decides which verdicts are 待定."""
    return _read(round_, now, round_halls(round_))


def station_records(round_: StationRound, hall: Hall, now: datetime) -> StationRecords:
    """Return the records behind one of the round's stations' figures, as round_data has them."""
    read = _read(round_, now, [hall])
    start, end = read.days.bounds(clock.hall_zone())
    closed = complaints_on_time.closed_complaints(hall, start, end)
    return StationRecords(
        read.days, read.mean, read.prior_weight, read.stations[hall.id], tuple(closed)
    )
