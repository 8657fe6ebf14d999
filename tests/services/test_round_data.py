"""A station round's items filled from the product's own data (#27 point 4).

District fuxing holds xingfu (the hall) and anle; a round scores both for November 2026 under
the 2019 checklist: 群众满意度 10 points (satisfaction index 60 → 0, 95 → full), 办件量及评价量
5 points (0 → 300 ratings), 投诉按时办结率 5 points (60 % → 0, 100 % → full), and a verified
complaint deducts 3 / 5 / 10 by severity. Every expected number is worked out by hand below.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Complaint, RatingTally
from kiosk.services import complaints, round_data, round_scores, station_rounds
from kiosk.services.periods import Days, Period
from tests.conftest import hall_time
from tests.helpers import give_rating

NOW = hall_time(2026, 12, 20, 10)  # long after November: settled verdicts are final
IN_NOV = hall_time(2026, 11, 10, 10)


@pytest.fixture
def rctx(app, ctx):
    with app.test_request_context():
        yield


@pytest.fixture
def world(rctx, hall, make_hall, make_district, make_user, window, staff):  # type: ignore[no-untyped-def]
    district = make_district(slug="fuxing", name="复兴街道")
    hall.district = district
    anle = make_hall(slug="anle", name="安乐社区便民服务站", district=district)
    admin = make_user("jd-admin", "district_admin", district=district)
    db.session.commit()
    round_ = station_rounds.open_round(
        district,
        title="2026年11月考核",
        kind="month",
        period="2026-11",
        spot_check_on=None,
        scheme="2019",
        hall_ids=[hall.id, anle.id],
        actor=admin,
    )
    db.session.commit()
    return {"round": round_, "xingfu": hall, "anle": anle, "admin": admin, "window": window}


def rate(window, levels, at, prefix):  # type: ignore[no-untyped-def]
    for i, level in enumerate(levels):
        give_rating(
            window,
            level,
            f"round-data-{prefix}-{i:03d}",
            channel="qr",
            now=at + timedelta(minutes=10 * i),
        )


def anle_window(anle):  # type: ignore[no-untyped-def]
    from kiosk.models import Window

    found = Window(hall=anle, number=1, name="综合")
    db.session.add(found)
    db.session.commit()
    return found


def closed(hall, created, closed_at, due=None):  # type: ignore[no-untyped-def]
    complaint = Complaint(
        hall_id=hall.id,
        status="closed",
        created_at=created,
        updated_at=closed_at,
        followup_due_at=due,
        closed_at=closed_at,
    )
    db.session.add(complaint)
    return complaint


def test_the_round_reads_a_period_or_the_month_of_a_spot_check_up_to_its_day(world):
    assert round_data.round_days(world["round"]) == Period(2026, "month", 11)
    spot = station_rounds.open_round(
        world["round"].district,
        title="抽查",
        kind="spot_check",
        period=None,
        spot_check_on=date(2026, 12, 3),
        scheme="workstation",
        hall_ids=[world["anle"].id],
        actor=world["admin"],
    )
    assert round_data.round_days(spot) == Days(date(2026, 12, 1), date(2026, 12, 3))


def test_metrics_are_the_stations_counted_ratings_and_closed_complaints_of_the_period(world):
    xingfu, anle = world["xingfu"], world["anle"]
    rate(world["window"], [5, 5, 4, 3, 1], IN_NOV, "x")  # 100+100+80+60+0 = 340 points
    rate(anle_window(anle), [5, 4], IN_NOV, "a")  # 100+80 = 180 points
    rate(world["window"], [1, 1], hall_time(2026, 10, 31, 16), "oct")  # October: not read
    give_rating(
        world["window"], 1, "round-data-held", channel="qr", now=IN_NOV, status="quarantined"
    )
    # xingfu's complaints closed in November: 3 of 4 by their last deadline.
    due = hall_time(2026, 11, 20, 17)
    closed(xingfu, IN_NOV, due - timedelta(hours=1), due)  # on time
    closed(xingfu, IN_NOV, due, due)  # on the deadline itself: on time
    closed(xingfu, IN_NOV, due + timedelta(minutes=1), due)  # late
    closed(xingfu, IN_NOV, hall_time(2026, 11, 30, 23, 59))  # no deadline set: on time
    closed(xingfu, IN_NOV, hall_time(2026, 12, 1, 0, 0), due)  # closed in December: not read
    db.session.commit()

    data = round_data.round_data(world["round"], NOW)
    x, a = data.stations[xingfu.id], data.stations[anle.id]
    # Round mean: (340 + 180) / 7 = 74.2857 → 74.29. Smoothed with prior weight 10:
    # xingfu (10 × 74.29 + 340) / 15 = 72.1933 → 72.19; anle (742.9 + 180) / 12 = 76.908 → 76.91.
    assert data.mean == 74.29 and data.prior_weight == 10
    assert x.metrics == {
        "rating_volume": 5,
        "satisfaction_index": 72.19,
        "complaints_on_time_share": 0.75,
    }
    # anle closed no complaint: the share has no data and is left out.
    assert a.metrics == {"rating_volume": 2, "satisfaction_index": 76.91}
    assert (x.counts.count(5), x.counts.count(1), x.index.raw_mean) == (2, 1, 68.0)

    result = round_scores.live_result(world["round"], NOW).result_for("xingfu")
    # (72.19 − 60) / 35 × 10 = 3.4829 → 3.48; 5 / 300 × 5 = 0.0833 → 0.08;
    # (0.75 − 0.6) / 0.4 × 5 = 1.875 → 1.88 (half up).
    points = {item.code: (item.method, item.points) for item in result.items if item.is_leaf}
    assert points["operation.satisfaction"] == ("auto", 3.48)
    assert points["operation.volume"] == ("auto", 0.08)
    assert points["operation.complaints_on_time"] == ("auto", 1.88)
    anle_result = round_scores.live_result(world["round"], NOW).result_for("anle")
    assert "no_data:operation.complaints_on_time" in anle_result.flags
    explained = sum(line.points for line in result.explanation if line.points is not None)
    assert round(explained, 2) == result.score == 5.44


def test_a_station_with_no_rating_has_no_satisfaction_index_but_a_volume_of_zero(world):
    data = round_data.round_data(world["round"], NOW).stations[world["anle"].id]
    assert data.metrics == {"rating_volume": 0}
    result = round_scores.live_result(world["round"], NOW).result_for("anle")
    assert "no_data:operation.satisfaction" in result.flags
    assert "no_data:operation.volume" not in result.flags


def test_the_volume_is_read_from_the_tallies_not_from_the_ratings(world):
    anle = world["anle"]
    window = anle_window(anle)
    rate(window, [5], IN_NOV, "a")
    # A month's tally row says three more ratings than there are rows: the tallies are read.
    db.session.add(
        RatingTally(
            hall_id=anle.id,
            grain="month",
            period=date(2026, 11, 1),
            subject="window",
            subject_id=window.id,
            level=4,
            count=3,
        )
    )
    db.session.commit()
    data = round_data.round_data(world["round"], NOW).stations[anle.id]
    assert data.counts.total == 4 and data.metrics["rating_volume"] == 4


def verified(hall, sup, created, severity, staff=None, at=None):  # type: ignore[no-untyped-def]
    complaint = Complaint(
        hall_id=hall.id,
        staff_id=staff.id if staff else None,
        status="new",
        text="<script>alert(1)</script>不许显示",
        contact_phone="13812345678",
        created_at=created,
        updated_at=created,
    )
    db.session.add(complaint)
    db.session.flush()
    complaints.verify(
        complaint, sup, valid=True, reason="核实属实", severity=severity, now=at or created
    )
    db.session.commit()
    return complaint


@pytest.fixture
def valid_complaints(world, make_user, staff):  # type: ignore[no-untyped-def]
    """xingfu's November: two final verdicts, one in its appeal window, one under appeal."""
    xingfu = world["xingfu"]
    sup = make_user("sup1", "supervisor")
    clerk = make_user("clerk1", "staff", staff=staff)
    final = verified(xingfu, sup, IN_NOV, "major", staff)
    unassigned = verified(xingfu, sup, IN_NOV, "minor")  # nobody's: still the station's
    recent = verified(
        xingfu, sup, hall_time(2026, 11, 28), "severe", staff, NOW - timedelta(hours=2)
    )
    appealed = verified(xingfu, sup, IN_NOV, "severe", staff)
    complaints.appeal(appealed, clerk, reason="不服", now=IN_NOV)
    october = verified(xingfu, sup, hall_time(2026, 10, 30), "severe", staff)
    invalid = Complaint(hall_id=xingfu.id, status="invalid", is_valid=False, created_at=IN_NOV)
    db.session.add(invalid)
    db.session.commit()
    return {
        "final": final,
        "unassigned": unassigned,
        "recent": recent,
        "appealed": appealed,
        "october": october,
        "sup": sup,
    }


def test_a_valid_final_complaint_deducts_its_severitys_points_once(world, valid_complaints):
    c = valid_complaints
    result = round_scores.live_result(world["round"], NOW).result_for("xingfu")
    # Final: #final 较重 5 and #unassigned 一般 3; the other two are 待定; October's is not read.
    assert [(d.ref, d.severity, d.points) for d in result.deductions] == sorted(
        [(f"#{c['final'].id}", "major", 5.0), (f"#{c['unassigned'].id}", "minor", 3.0)],
        key=lambda entry: (-entry[2], entry[0]),
    )
    assert result.deduction_applied == 8
    texts = [line.text for line in result.explanation]
    assert texts.count(f"扣分 −5.00：居民投诉（经核实）（较重） · #{c['final'].id}") == 1
    assert f"待定：居民投诉（经核实）（严重） · #{c['recent'].id}，仍在申诉期内，暂不扣分" in texts
    assert f"待定：居民投诉（经核实）（严重） · #{c['appealed'].id}，申诉待复核，暂不扣分" in texts
    assert not any(f"#{c['october'].id}" in text for text in texts)
    assert "deductions_pending" in result.flags
    explained = sum(line.points for line in result.explanation if line.points is not None)
    assert round(explained, 2) == result.score


def test_a_pending_complaint_deducts_once_its_verdict_is_final(world, valid_complaints, make_user):
    c = valid_complaints
    reviewer = make_user("sup2", "supervisor")
    later = NOW + timedelta(days=30)  # the recent verdict's appeal window has passed
    complaints.review_appeal(c["appealed"], reviewer, overturn=False, reason="维持", now=later)
    db.session.commit()
    result = round_scores.live_result(world["round"], later).result_for("xingfu")
    assert result.deduction_applied == 5 + 3 + 10 + 10
    assert "deductions_pending" not in result.flags


def test_an_appeal_that_overturns_the_verdict_deducts_nothing(world, valid_complaints, make_user):
    c = valid_complaints
    reviewer = make_user("sup2", "supervisor")
    complaints.review_appeal(c["appealed"], reviewer, overturn=True, reason="撤销", now=NOW)
    db.session.commit()
    result = round_scores.live_result(world["round"], NOW).result_for("xingfu")
    refs = [line.text for line in result.explanation]
    assert not any(f"#{c['appealed'].id}" in text for text in refs)
    assert result.deduction_applied == 8


def test_the_records_list_what_each_figure_rests_on(world, valid_complaints):
    xingfu = world["xingfu"]
    due = hall_time(2026, 11, 20, 17)
    late = closed(xingfu, IN_NOV, due + timedelta(hours=1), due)
    db.session.commit()
    records = round_data.station_records(world["round"], xingfu, NOW)
    assert (records.first_day, records.last_day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert [(c.id, c.on_time, c.deadline) for c in records.closed] == [(late.id, False, due)]
    assert records.data.on_time_share == 0
    pending = {v.id: v.pending for v in records.data.verdicts}
    assert pending == {
        valid_complaints["final"].id: None,
        valid_complaints["unassigned"].id: None,
        valid_complaints["recent"].id: "appeal_window",
        valid_complaints["appealed"].id: "appeal",
    }
    assert round_data.complaint_points(round_scores.scheme_of(world["round"])) == {
        "minor": 3,
        "major": 5,
        "severe": 10,
    }


@pytest.mark.parametrize("scheme", ["2019", "workstation"])
def test_every_shipped_station_scheme_deducts_a_valid_complaint_by_severity(scheme):
    from scoring import station_scheme

    category = station_scheme(scheme).deduction_category(round_data.COMPLAINT_CATEGORY)
    assert set(category.by_severity) == {"minor", "major", "severe"}


def test_no_complaint_of_another_station_or_hall_is_read(world, valid_complaints):
    anle = round_data.round_data(world["round"], NOW).stations[world["anle"].id]
    assert anle.verdicts == () and anle.closed == 0
    assert (
        db.session.scalar(select(Complaint.id).where(Complaint.hall_id == world["anle"].id)) is None
    )
