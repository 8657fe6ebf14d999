"""On the demo hall, the report page, detail pages, XLSX, CSV and the CLI agree to the cent."""

import csv
import io
import json
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import scoring
from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Complaint, Staff, User
from kiosk.services import adjustments, assessment_import, assessments, periods
from kiosk.services import evaluation as ev
from kiosk.services.demo import create_demo

NOW = datetime(2026, 11, 20, 6, 0)  # 14:00 local, a Friday
PERIOD = "2026-11"  # the demo itself seeds assessments for the quarter


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CLOCK": lambda: NOW}


@pytest.fixture
def demo(app, ctx):
    """The demo hall with a few assessments, a bonus and a verified complaint added."""
    with app.test_request_context():
        result = create_demo(clock.now(), clock.hall_zone())
        db.session.commit()
        hall = result.hall
        boss = db.session.scalar(select(User).where(User.username == "supervisor"))
        staff = list(
            db.session.scalars(
                select(Staff).where(Staff.hall_id == hall.id).order_by(Staff.staff_no)
            )
        )
        period = periods.parse_period(PERIOD)
        scheme = ev.current_scheme()
        for n, person in enumerate(staff):
            share = 0.6 + 0.033 * n
            scores = {leaf.code: round(leaf.max_points * share, 1) for leaf in scheme.leaves}
            assessments.submit_assessment(
                hall,
                period,
                person,
                "supervisor",
                assessor=boss,
                scores=scores,
                now=NOW,
                scheme=scheme,
            )
        # Six peers for the first person (so the highest and lowest are dropped), a self
        # assessment for the second, a bonus over the cap for the third.
        first = staff[0]
        table = [["类型", "被评人工号", "评价人", *[leaf.code for leaf in scheme.leaves]]]
        for k, peer in enumerate(staff[1:7]):
            table.append(
                [
                    "同事互评",
                    first.staff_no,
                    peer.staff_no,
                    *[leaf.max_points * (0.5 + 0.08 * k) for leaf in scheme.leaves],
                ]
            )
        table.append(
            [
                "自评",
                staff[1].staff_no,
                staff[1].staff_no,
                *[leaf.max_points for leaf in scheme.leaves],
            ]
        )
        assessment_import.import_assessments(
            hall, period, table, actor=boss, now=NOW, scheme=scheme
        )
        for points, reason in ((6, "创新"), (7, "表彰")):
            adjustments.add_adjustment(
                hall,
                period,
                staff[2],
                kind="bonus",
                points=points,
                reason=reason,
                evidence="",
                approver=boss,
                actor=boss,
                now=NOW,
            )
        complaint = db.session.scalar(
            select(Complaint).where(Complaint.staff_id == staff[3].id).order_by(Complaint.id)
        )
        complaint.is_valid, complaint.severity = True, "major"
        db.session.commit()
    return result


def cents(value) -> str:
    return "" if value is None else f"{float(value):.2f}"


def test_report_detail_exports_and_cli_agree_on_the_demo_hall(demo, client, auth, runner):
    cli = runner.invoke(args=["evaluate", "--period", PERIOD, "--hall", "xingfuli", "--json"])
    assert cli.exit_code == 0, cli.output
    data = json.loads(cli.output)
    people = data["results"]
    assert len(people) == 12 and data["ranked_count"] == 12
    expected = {p["staff_no"]: p for p in people}
    flags = {flag for p in people for flag in p["flags"]}
    assert {"peers_trimmed", "bonus_capped"} <= flags

    auth.login("supervisor", demo.passwords["supervisor"])
    html = client.get(f"/staff/evaluation/{PERIOD}/report").get_data(as_text=True)
    shown = dict(
        re.findall(r'data-staff-no="(\w+)">.*?<td class="num eval-score">([\d.]+)</td>', html, re.S)
    )
    assert shown == {no: cents(p["score"]) for no, p in expected.items()}

    for person in people:
        page = client.get(f"/staff/evaluation/{PERIOD}/staff/{person['staff_id']}")
        text = page.get_data(as_text=True)
        assert f"最终得分 = {cents(person['score'])}" in text
        assert f'<span class="eval-big eval-score">{cents(person["score"])}</span>' in text

    book = load_workbook(io.BytesIO(client.get(f"/staff/evaluation/{PERIOD}/export.xlsx").data))
    sheet = book["考核结果汇总表"]
    headers = [c.value for c in sheet[1]]
    raw = client.get(f"/staff/evaluation/{PERIOD}/export.csv").data.decode("utf-8-sig")
    csv_rows = {row[1]: row for row in list(csv.reader(io.StringIO(raw)))[1:]}
    for values in sheet.iter_rows(min_row=2, values_only=True):
        row = dict(zip(headers, values, strict=True))
        person = expected[row["工号"]]
        assert row["排名"] == person["rank"] and row["等级"] == person["grade"]
        assert cents(row["最终得分"]) == cents(person["score"])
        in_csv = dict(zip(headers, csv_rows[row["工号"]], strict=True))
        assert in_csv["最终得分"] == cents(person["score"])
        for source in person["sources"]:
            label = scoring.SOURCE_LABELS[source["code"]]
            assert cents(row[label]) == cents(source["value"]) == in_csv[label]
