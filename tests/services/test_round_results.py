"""Finalising a station round, and the ranking it publishes: the API and `flask stations`.

The contract (DESIGN §5): GET /api/v1/stations?district=<slug>&period=2026Q4 →
{"district", "period", "scheme", "entries": [{"rank", "hall", "name", "score", "grade",
"bonus", "deductions"}]} from the latest finalised round of that period.
"""

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry
from kiosk.services import round_results, round_scores, station_rounds
from kiosk.services.round_scores import Entry
from kiosk.services.station_rounds import RoundError
from tests.services.conftest import _open

NOW = datetime(2026, 12, 7, 2, 0)


def _scored(world, points=(5, 3)):  # type: ignore[no-untyped-def]
    """A round of 2026Q4 where an assessor gave 按公示时间开放 5 to xingfu and 3 to anle."""
    round_ = _open(world)
    station_rounds.add_member(round_, world["assessor"], actor=world["admin"])
    db.session.commit()
    member = station_rounds.membership(round_, world["assessor"])
    for slug, given in zip(("xingfu", "anle"), points, strict=True):
        round_scores.save_scores(
            round_,
            world[slug],
            member,
            {"operation.hours": Entry(given)},
            actor=world["assessor"],
            now=NOW,
        )
    db.session.commit()
    return round_


def _finalise(world, round_):  # type: ignore[no-untyped-def]
    snapshot = round_results.finalise_round(round_, actor=world["admin"], now=NOW)
    db.session.commit()
    return snapshot


def test_finalising_freezes_the_live_result_closes_the_round_and_is_audited(world):
    round_ = _scored(world)
    live = round_scores.live_result(round_)
    snapshot = _finalise(world, round_)
    assert round_.status == "finalised"
    report = round_results.round_report(round_)
    assert report.snapshot is snapshot and report.result == live
    assert [s.station_id for s in report.result.results] == ["xingfu", "anle"]
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "station_round.finalise")
    )
    assert entry.actor_id == world["admin"].id and entry.detail["district"] == "fuxing"
    with pytest.raises(RoundError, match="已经定稿") as again:
        _finalise(world, round_)
    assert again.value.status == 409
    member = station_rounds.membership(round_, world["assessor"])
    with pytest.raises(RoundError, match="已定稿"):
        round_scores.save_scores(
            round_,
            world["anle"],
            member,
            {"operation.hours": Entry(1)},
            actor=world["assessor"],
            now=NOW,
        )


@pytest.mark.parametrize("who", ["assessor", "rep", "clerk"])
def test_only_the_districts_admin_finalises(world, who):
    round_ = _scored(world)
    with pytest.raises(RoundError) as refused:
        round_results.finalise_round(round_, actor=world[who], now=NOW)
    assert refused.value.status == 403 and round_.status == "open"


def test_a_round_nobody_scored_is_not_finalised(world):
    with pytest.raises(RoundError, match="还没有任何评分"):
        round_results.finalise_round(_open(world), actor=world["admin"], now=NOW)


def test_the_api_gives_the_latest_finalised_round_of_the_period(world, client):
    first = _scored(world, (5, 3))
    _finalise(world, first)
    later = _scored(world, (2, 4))  # a second round of the quarter, finalised after
    _finalise(world, later)
    _scored(world, (1, 5))  # still open: not published

    response = client.get("/api/v1/stations?district=fuxing&period=2026q4")
    assert response.status_code == 200
    data = response.get_json()
    assert (data["district"], data["period"], data["round"]["id"]) == ("fuxing", "2026Q4", later.id)
    assert data["scheme"]["name"] and data["scheme"]["version"]
    assert [e["hall"] for e in data["entries"]] == ["anle", "xingfu"]
    first_entry = data["entries"][0]
    assert set(first_entry) == {"rank", "hall", "name", "score", "grade", "bonus", "deductions"}
    assert (first_entry["rank"], first_entry["name"]) == (1, "安乐社区便民服务站")
    stored = round_results.round_report(later).result.result_for("anle")
    assert (first_entry["score"], first_entry["grade"]) == (stored.score, stored.grade)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("period=2026Q4", 400),
        ("district=fuxing", 400),
        ("district=fuxing&period=2026Q9", 400),
        ("district=" + "x" * 41 + "&period=2026Q4", 400),
        ("district=nowhere&period=2026Q4", 404),
        ("district=fuxing&period=2026Q3", 404),  # no round of that quarter
        ("district=heping&period=2026Q4", 404),  # another district's: none finalised
    ],
)
def test_the_api_answers_bad_or_unknown_queries_with_a_4xx(world, client, query, status):
    _finalise(world, _scored(world))
    response = client.get(f"/api/v1/stations?{query}")
    assert response.status_code == status
    assert response.is_json or response.mimetype == "text/html"


def test_flask_stations_evaluate_prints_the_finalised_ranking_or_the_open_round_live(world, runner):
    round_ = _scored(world)
    live = runner.invoke(
        args=["stations", "evaluate", "--district", "fuxing", "--period", "2026Q4"]
    )
    assert live.exit_code == 0, live.output
    assert "live" in live.output and "xingfu" in live.output

    _finalise(world, round_)
    printed = runner.invoke(
        args=["stations", "evaluate", "--district", "fuxing", "--period", "2026Q4", "--json"]
    )
    assert printed.exit_code == 0, printed.output
    data = json.loads(printed.output)
    assert data["round"] == {"id": round_.id, "title": round_.title, "state": "finalised"}
    assert [e["hall"] for e in data["entries"]] == ["xingfu", "anle"]
    lines = data["results"][0]["explanation"]
    points = sum(line["points"] for line in lines if line["points"] is not None)
    assert round(points, 2) == data["entries"][0]["score"]

    none = runner.invoke(
        args=["stations", "evaluate", "--district", "fuxing", "--period", "2026Q1"]
    )
    assert none.exit_code == 1 and "no round of 2026Q1" in none.output
    bad = runner.invoke(args=["stations", "evaluate", "--district", "fuxing", "--period", "soon"])
    assert bad.exit_code == 2
    unknown = runner.invoke(args=["stations", "evaluate", "--district", "nope", "--period", "2026"])
    assert unknown.exit_code == 1 and "no district 'nope'" in unknown.output
