"""The demo's district: its stations, last quarter's finalised round and this month's spot check."""

import json

from sqlalchemy import func, select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import (
    District,
    Hall,
    Rating,
    RoundMember,
    RoundScore,
    RoundSnapshot,
    StationRound,
    User,
)
from kiosk.services.demo_district import DISTRICT_SLUG
from kiosk.services.districts import stations
from kiosk.services.periods import current_period


def district_counts() -> dict[str, int]:
    db.session.commit()
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (District, Hall, User, Rating, StationRound, RoundMember, RoundScore)
    }


def test_demo_builds_a_district_with_last_quarter_finalised_and_a_spot_check_open(
    runner, ctx, client
):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    for username in ("district", "assessor", "resident", "hepingli-clerk"):
        assert f"account {username}  password " in first.output
    assert "/district/xingfu/dashboard" in first.output
    after_first = district_counts()

    district = db.session.scalar(select(District).where(District.slug == DISTRICT_SLUG))
    rows = stations(district.id)
    assert len(rows) >= 4 and "xingfuli" in {row.hall.slug for row in rows}
    for row in rows:  # each with its own windows, staff and counted ratings
        counted = db.session.scalar(
            select(func.count(Rating.id)).where(
                Rating.hall_id == row.hall.id, Rating.status == "counted"
            )
        )
        assert row.windows >= 2 and row.staff >= 3 and counted > 500, row.hall.slug
    roles = {
        user.username: (user.role, user.district_id, user.hall_id)
        for user in db.session.scalars(select(User).where(User.district_id == district.id))
    }
    assert roles == {
        "district": ("district_admin", district.id, None),
        "assessor": ("district_assessor", district.id, None),
        "resident": ("resident_rep", district.id, None),
    }

    # Last quarter: the 2019 checklist over every station, finalised, with a snapshot; the
    # group has a 居民代表 and two other stations' clerks, and nobody scored their own station.
    last = current_period(clock.now(), "quarter").previous()
    quarter = db.session.scalar(
        select(StationRound).where(StationRound.kind == "quarter", StationRound.period == last.code)
    )
    assert quarter.scheme == "2019" and quarter.status == "finalised"
    assert len(quarter.stations) == len(rows)
    snapshot = db.session.scalar(select(RoundSnapshot).where(RoundSnapshot.round_id == quarter.id))
    assert snapshot is not None and snapshot.finalised_by.username == "district"
    assert len(snapshot.results["results"]) == len(rows)
    group = sorted(member.role for member in quarter.members)
    assert group == ["cross_staff", "cross_staff", "district_assessor", "resident_rep"]
    round_halls = {station.hall_id for station in quarter.stations}
    for member in quarter.members:
        scored = set(
            db.session.scalars(
                select(RoundScore.hall_id).where(
                    RoundScore.round_id == quarter.id, RoundScore.member_id == member.id
                )
            )
        )
        assert member.home_hall_id not in scored
        assert scored == round_halls - {member.home_hall_id}, member.user.username
    assert {m.home_hall.slug for m in quarter.members if m.role == "cross_staff"} == {
        "xingfuli",
        "hepingli",
    }

    answer = client.get(f"/api/v1/stations?district={DISTRICT_SLUG}&period={last.code}")
    assert answer.status_code == 200
    entries = answer.get_json()["entries"]
    assert len(entries) == 4 and [entry["rank"] for entry in entries] == [1, 2, 3, 4]
    evaluated = runner.invoke(
        args=["stations", "evaluate", "--district", DISTRICT_SLUG, "--period", last.code, "--json"]
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert len(json.loads(evaluated.output)["entries"]) == 4

    # This month: one spot check, open, some of its group's scores in but not all.
    spot = db.session.scalars(select(StationRound).where(StationRound.kind == "spot_check")).one()
    this_month = current_period(clock.now(), "month")
    assert spot.status == "open" and this_month.start <= spot.spot_check_on < this_month.end
    scored_by = set(
        db.session.scalars(select(RoundScore.member_id).where(RoundScore.round_id == spot.id))
    )
    assert 0 < len(scored_by) < len(spot.members)

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert district_counts() == after_first
    assert "password " not in second.output
