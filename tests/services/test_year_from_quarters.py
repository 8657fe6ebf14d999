"""The year built from its quarters (#26 point 4), from the rows, on both backends.

The default scheme's [composition.year]: the mean of the quarters' base scores × 70 % plus the
year's own assessment × 30 %, then the whole year's bonuses and deductions once.
"""

import io
import itertools
import json
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from kiosk.extensions import db
from kiosk.models import Assessment, User
from kiosk.services import adjustments, periods
from kiosk.services import evaluation as ev
from tests.helpers import give_rating

NOW = datetime(2026, 12, 20, 6, 0)
YEAR = periods.Period(2026, "year", 1)
Q1 = periods.Period(2026, "quarter", 1)
_keys = itertools.count(1)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CLOCK": lambda: NOW}


@pytest.fixture
def rctx(app, ctx):
    with app.test_request_context():
        yield


@pytest.fixture
def supervisor(make_user) -> User:
    return make_user("boss", "supervisor")


def assess(hall, staff, period_code, kind, share, supervisor, at):
    """Store a submitted assessment giving every criterion ``share`` of its maximum."""
    scheme = ev.current_scheme()
    own = kind == "self"
    db.session.add(
        Assessment(
            hall_id=hall.id,
            period=period_code,
            subject_id=staff.id,
            kind=kind,
            assessor_staff_id=staff.id if own else None,
            assessor_user_id=None if own else supervisor.id,
            assessor_key=f"staff:{staff.id}" if own else f"user:{supervisor.id}",
            scores={leaf.code: leaf.max_points * share for leaf in scheme.leaves},
            submitted_at=at,
            locked=True,
        )
    )
    db.session.commit()


def bonus(hall, staff, code, points, reason, supervisor, at):
    adjustments.add_adjustment(
        hall,
        periods.parse_period(code),
        staff,
        kind="bonus",
        points=points,
        reason=reason,
        evidence="",
        approver=supervisor,
        actor=supervisor,
        now=at,
    )
    db.session.commit()


@pytest.fixture
def year_of_work(rctx, hall, window, staff, supervisor, put_on_duty):
    """Q1 assessed at 80 and finalised; Q2 assessed at 90, live; Q3 nothing; Q4 one source
    (未评定); the year's own supervisor assessment 100; bonuses entered for Q2, May, the year."""
    april = datetime(2026, 4, 2, 2, 0)
    assess(hall, staff, "2026Q1", "self", 0.8, supervisor, datetime(2026, 3, 20))
    assess(hall, staff, "2026Q1", "supervisor", 0.8, supervisor, datetime(2026, 3, 20))
    ev.finalise_period(hall, Q1, actor=supervisor, now=april)
    db.session.commit()
    # After finalising, twelve 非常不满意 for Q1 change its live result, not its frozen one.
    start = datetime(2026, 3, 10, 2, 0)
    put_on_duty(staff, window, start, start + timedelta(hours=8))
    for minute in range(12):
        at = start + timedelta(minutes=minute)
        give_rating(window, 1, f"year-key-{next(_keys):04d}", channel="qr", now=at)
    db.session.commit()
    assess(hall, staff, "2026Q2", "self", 0.9, supervisor, datetime(2026, 6, 20))
    assess(hall, staff, "2026Q2", "supervisor", 0.9, supervisor, datetime(2026, 6, 20))
    assess(hall, staff, "2026Q4", "supervisor", 0.95, supervisor, datetime(2026, 12, 1))
    assess(hall, staff, "2026", "supervisor", 1.0, supervisor, datetime(2026, 12, 1))
    bonus(hall, staff, "2026Q2", 4, "季度表彰", supervisor, datetime(2026, 6, 1))
    bonus(hall, staff, "2026-05", 2, "创新", supervisor, datetime(2026, 5, 3))
    bonus(hall, staff, "2026", 1, "年度表彰", supervisor, datetime(2026, 12, 1))
    return staff


def test_the_year_is_built_from_its_quarters_and_counts_the_years_bonuses_once(year_of_work, hall):
    q1_live = ev.live_results(hall, Q1, NOW).people[0].result
    assert q1_live.base_score != 80.0  # today's Q1 rows differ from what was finalised

    (person,) = ev.live_results(hall, YEAR, NOW).people
    row = person.result
    assert [(p.period, p.base, p.finalised) for p in row.parts] == [
        ("2026Q1", 80.0, True),  # the frozen quarter, not today's rows
        ("2026Q2", 90.0, False),
        ("2026Q3", None, False),
        ("2026Q4", None, False),  # one source only: 未评定 under the gate
    ]
    # (80 + 90) / 2 = 85 × 70 % = 59.50; the year's supervisor 100 × 30 % = 30.00: 89.50;
    # bonuses 4 + 2 + 1 of the whole year, each once: 96.50.
    assert (row.parts_value, row.base_score, row.score, row.grade) == (85.0, 89.5, 96.5, "优秀")
    lines = [line.text for line in row.explanation]
    assert "各季度基础分平均 85.00 × 70% = 59.50" in lines
    assert "2026Q1 基础分 80.00（已定稿）" in lines
    assert "2026Q2 基础分 90.00（未定稿）" in lines
    assert "2026Q4 未评定，不计入平均" in lines
    assert "年度评价 100.00 × 30% = 30.00" in lines
    reasons = sorted(entry.reason for entry in row.adjustments)
    assert reasons == ["创新（2026-05）", "季度表彰（2026Q2）", "年度表彰"]
    points = sum(line.points for line in row.explanation if line.points is not None)
    assert round(points, 2) == row.score


def test_a_quarter_is_not_built_from_its_months_unless_the_scheme_says_so(year_of_work, hall):
    (person,) = ev.live_results(hall, periods.Period(2026, "quarter", 2), NOW).people
    assert person.result.parts == () and person.result.parts_value is None
    assert person.result.score == 94.0  # 90 + its own 4 bonus; May's 2 belongs to the month


def test_flask_evaluate_year_json_shows_the_year_built_from_its_quarters(year_of_work, runner):
    printed = runner.invoke(args=["evaluate", "--period", "2026", "--json"])
    assert printed.exit_code == 0, printed.output
    (row,) = json.loads(printed.output)["results"]
    assert [part["period"] for part in row["parts"]] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert row["parts"][0] == {"period": "2026Q1", "base": 80.0, "finalised": True}
    assert (row["parts_value"], row["score"]) == (85.0, 96.5)

    plain = runner.invoke(args=["evaluate", "--period", "2026"])
    assert plain.exit_code == 0 and "96.50" in plain.output


def test_the_year_report_and_export_show_the_quarters_mean(year_of_work, client, auth, supervisor):
    auth.login_as(supervisor)
    page = client.get("/staff/evaluation/2026/report").get_data(as_text=True)
    assert "<th>各季度平均</th>" in page
    assert re.search(r'eval-score">96\.50</td>\s*<td>优秀</td>\s*<td class="num">85\.00</td>', page)
    detail = client.get(f"/staff/evaluation/2026/staff/{year_of_work.id}").get_data(as_text=True)
    assert "各季度基础分平均 85.00 × 70% = 59.50" in detail

    book = load_workbook(io.BytesIO(client.get("/staff/evaluation/2026/export.xlsx").data))
    sheet = book["考核结果汇总表"]
    headers = [cell.value for cell in sheet[1]]
    (values,) = sheet.iter_rows(min_row=2, values_only=True)
    assert dict(zip(headers, values, strict=True))["各季度平均"] == 85.0

    quarter = client.get("/staff/evaluation/2026Q2/report").get_data(as_text=True)
    assert "各季度平均" not in quarter and "各月平均" not in quarter
