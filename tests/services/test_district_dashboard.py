"""The district dashboard's figures: per station, from the tallies, equal to the rows' own."""

import random
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from kiosk.extensions import db
from kiosk.models import Complaint, Rating, Window
from kiosk.services import district_dashboard
from tests.conftest import hall_time
from tests.helpers import give_rating

NOW = hall_time(2026, 11, 20, 16)  # a Friday
POINTS = {5: 100, 4: 80, 3: 60, 2: 20, 1: 0}


@pytest.fixture
def district(hall, make_hall, make_district, make_window):  # type: ignore[no-untyped-def]
    """District 复兴 holds the hall (xingfu) and anle; heping holds xinhe."""
    own = make_district(slug="fuxing", name="复兴街道")
    hall.district = own
    anle = make_hall(slug="anle", name="安乐社区便民服务站", district=own)
    foreign = make_hall(slug="xinhe", name="新河社区便民服务站", district=make_district())
    for station in (hall, anle, foreign):
        make_window(hall=station, number=1)
        make_window(hall=station, number=2)
    db.session.commit()
    return own


def _local_day(moment: datetime) -> date:
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Asia/Shanghai")).date()


def _generate(seed: int) -> None:
    """Rate every window of every hall from January to today, some ratings held for review."""
    rng = random.Random(seed)
    windows = list(db.session.scalars(select(Window).order_by(Window.id)))
    start = hall_time(2026, 1, 1, 9)
    for n in range(300):
        at = start + timedelta(hours=rng.randrange(0, int((NOW - start).total_seconds() // 3600)))
        status = "quarantined" if rng.random() < 0.1 else "counted"
        level = rng.choice((5, 5, 5, 4, 4, 3, 2, 1))
        give_rating(
            rng.choice(windows), level, f"dd-{seed}-{n:04d}", channel="qr", now=at, status=status
        )
    db.session.commit()


def _rows(hall_id: int, first: date, last: date) -> list[int]:
    """Return the levels of the hall's counted ratings on hall-local days first to last."""
    ratings = db.session.scalars(
        select(Rating).where(Rating.hall_id == hall_id, Rating.status == "counted")
    )
    return [r.level for r in ratings if first <= _local_day(r.created_at) <= last]


def _mean(levels: list[int]) -> float | None:
    if not levels:
        return None
    exact = Decimal(sum(POINTS[level] for level in levels)) / len(levels)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _bad_rate(levels: list[int]) -> float | None:
    if not levels:
        return None
    exact = Decimal(sum(1 for level in levels if level <= 2)) / len(levels)
    return float(exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def test_ranges_end_today_and_an_unknown_one_is_refused():
    today = date(2026, 11, 20)
    spans = {key: district_dashboard.date_range(key, today) for key in district_dashboard.RANGES}
    assert [(s.first, s.last) for s in spans.values()] == [
        (date(2026, 11, 1), today),
        (date(2026, 10, 22), today),  # 30 days, today included
        (date(2026, 10, 1), today),
        (date(2026, 1, 1), today),
    ]
    assert district_dashboard.DEFAULT_RANGE == "month"
    for bad in ("day", "week", ""):
        with pytest.raises(ValueError):
            district_dashboard.date_range(bad, today)


def test_each_stations_figures_equal_what_its_rating_rows_say(district, hall):
    _generate(seed=27)
    for key in district_dashboard.RANGES:
        dash = district_dashboard.figures(district, key, NOW)
        assert [row.hall.slug for row in dash.stations] == ["anle", "xingfu"]  # not heping's
        for row in dash.stations:
            levels = _rows(row.hall.id, dash.range.first, dash.range.last)
            assert levels, f"{key}: the generated data should rate {row.hall.slug}"
            assert (key, row.ratings) == (key, len(levels))
            assert (key, row.index) == (key, _mean(levels))
            assert (key, row.bad_rate) == (key, _bad_rate(levels))


def test_the_dashboard_reads_tallies_and_complaints_never_the_ratings_themselves(district):
    # Issue #28: a page's cost must not grow with the ratings; the tallies hold the counts.
    _generate(seed=28)
    sent: list[str] = []

    def keep(_conn, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        for key in district_dashboard.RANGES:
            district_dashboard.figures(district, key, NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    tables = {t for s in sent for t in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", s)}
    assert "rating_tally" in tables and "complaint" in tables
    assert "rating" not in tables, [s for s in sent if re.search(r"\bFROM\s+rating\b", s)]


def test_the_trend_is_each_of_the_last_twelve_months_from_the_month_tallies(district, hall):
    _generate(seed=6)
    series = district_dashboard.monthly_index(hall.id, date(2026, 11, 20))
    assert [month for month, _index, _n in series] == [
        date(2025, 12, 1),
        *(date(2026, m, 1) for m in range(1, 12)),
    ]
    assert series[0][1:] == (None, 0)  # before the data begins
    for month, index, count in series[1:]:
        last = district_dashboard.board.add_months(month, 1) - timedelta(days=1)
        levels = _rows(hall.id, month, last)
        assert (index, count) == (_mean(levels), len(levels))
    row = district_dashboard.figures(district, "month", NOW).stations[1]
    assert len(row.trend.dots) == 11 and not row.trend.empty
    assert [label for _x, label in row.trend.x_ticks] == [
        "2026-02",
        "2026-05",
        "2026-08",
        "2026-11",
    ]


def _complaint(hall_id: int, **fields) -> Complaint:  # type: ignore[no-untyped-def]
    complaint = Complaint(hall_id=hall_id, text="排队太久", **fields)
    db.session.add(complaint)
    return complaint


def test_overdue_counts_each_stations_open_complaints_past_deadline_now(district, hall):
    anle = district.stations[0]
    past, future = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
    _complaint(hall.id, status="new", verify_due_at=past)  # overdue
    _complaint(hall.id, status="new", verify_due_at=future)
    _complaint(hall.id, status="rectifying", verify_due_at=past, rectify_due_at=past)  # overdue
    _complaint(hall.id, status="rectified", followup_due_at=future)
    _complaint(hall.id, status="invalid", verify_due_at=past)  # waits only for closing
    _complaint(hall.id, status="closed", followup_due_at=past, closed_at=NOW)  # closed late
    _complaint(anle.id, status="rectified", followup_due_at=past)  # overdue
    db.session.commit()
    rows = {
        row.hall.slug: row for row in district_dashboard.figures(district, "month", NOW).stations
    }
    assert (rows["xingfu"].overdue, rows["anle"].overdue) == (2, 1)


def test_overdue_follows_the_working_day_deadline_of_a_real_complaint(
    district, hall, make_complaint
):
    # Filed Friday 13 Nov: 核实 is due by the end of the next working day, Monday 16th.
    make_complaint(hall_time(2026, 11, 13, 10))
    make_complaint(NOW - timedelta(hours=1))  # due Monday 23rd
    monday = hall_time(2026, 11, 16, 23, 59)
    tuesday = hall_time(2026, 11, 17, 0, 1)

    def overdue(now: datetime) -> int:
        return district_dashboard.figures(district, "month", now).stations[1].overdue

    assert (overdue(monday), overdue(tuesday), overdue(NOW)) == (0, 1, 1)


def test_complaints_on_time_are_the_share_closed_in_the_range_by_their_last_deadline(
    district, hall
):
    due = NOW - timedelta(days=2)
    _complaint(hall.id, status="closed", followup_due_at=due, closed_at=due - timedelta(hours=1))
    _complaint(hall.id, status="closed", followup_due_at=due, closed_at=due + timedelta(hours=1))
    _complaint(hall.id, status="closed", verify_due_at=due, closed_at=due)  # invalid: on time
    _complaint(hall.id, status="closed", closed_at=hall_time(2026, 10, 30))  # October
    db.session.commit()
    month = district_dashboard.figures(district, "month", NOW).stations[1]
    assert (month.closed, month.closed_on_time) == (3, 2)
    assert month.on_time_rate == pytest.approx(2 / 3)
    quarter = district_dashboard.figures(district, "quarter", NOW).stations[1]
    assert (quarter.closed, quarter.closed_on_time) == (4, 3)


def test_a_station_without_ratings_or_complaints_has_no_figures_to_divide(district):
    row = district_dashboard.figures(district, "year", NOW).stations[0]
    assert row.hall.slug == "anle"
    assert (row.ratings, row.index, row.bad_rate) == (0, None, None)
    assert (row.closed, row.on_time_rate, row.overdue) == (0, None, 0)
    assert row.trend.empty
    assert row.last_round is None  # no station rounds yet
