"""The evaluation pages: assessment forms and locking, peer assignments, import, the ledger,
the report and detail pages, finalising, exports and who may see what."""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

import scoring
from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Adjustment, Assessment, AuditEntry, Complaint, EvaluationSnapshot
from kiosk.models._types import utcnow
from kiosk.services.periods import current_period, parse_period
from tests.helpers import give_rating, hidden_fields

P = "2026-11"
SCHEME = scoring.default_scheme()


@pytest.fixture
def people(make_staff):
    return make_staff(staff_no="XF001", name="王芳"), make_staff(staff_no="XF002", name="李强")


@pytest.fixture
def boss(make_user):
    return make_user("boss", "supervisor")


@pytest.fixture
def clerk(make_user, people):
    return make_user("clerk", "staff", staff=people[0])


def marks(share: float = 1.0) -> dict[str, str]:
    return {
        "c_" + leaf.code.replace(".", "__"): f"{leaf.max_points * share:g}"
        for leaf in SCHEME.leaves
    }


def post_form(client, url: str, data: dict[str, str], **kwargs):
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={**hidden_fields(page.get_data(as_text=True)), **data}, **kwargs)


def csrf(client, url: str) -> dict[str, str]:
    return hidden_fields(client.get(url).get_data(as_text=True))


def this_month(app) -> str:
    with app.test_request_context():
        return current_period(utcnow()).code


def after_period(app, code: str) -> None:
    """Move the application's clock to an hour after the period's last local day."""
    with app.test_request_context():
        end = parse_period(code).bounds(clock.hall_zone())[1]
    app.config["CLOCK"] = lambda: end + timedelta(hours=1)


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_self_assessment_is_locked_after_submit_and_reopened_by_a_supervisor(
    client, auth, clerk, boss, people
):
    wang = people[0]
    url = f"/staff/evaluation/{P}/assess/self/{wang.id}"
    auth.login_as(clerk)
    page = client.get(url).get_data(as_text=True)
    assert "服务态度" in page and "团队凝聚力" in page
    response = post_form(client, url, marks(0.8))
    assert response.status_code == 302
    row = db.session.scalar(select(Assessment))
    assert row.locked and row.kind == "self" and row.scores["quality.standard"] == 16

    locked = client.get(url).get_data(as_text=True)
    assert "提交并锁定" in locked and 'name="c_quality__attitude"' not in locked
    # 服务质量 40 holds a 服务质量 20: the sub-item says it is the sub-item, on the form and after.
    assert "服务质量（细项）" in page and "服务质量（细项）" in locked
    assert "<td>服务质量</td>" not in locked
    detail = client.get(f"/staff/evaluation/{P}/staff/{wang.id}").get_data(as_text=True)
    assert "服务质量（细项）" in detail
    again = client.post(url, data={**csrf(client, url), **marks(1.0)})
    assert again.status_code == 409
    db.session.refresh(row)
    assert row.scores["quality.standard"] == 16

    client.post("/auth/logout", data=csrf(client, "/staff/"))
    auth.login_as(boss)
    progress = f"/staff/evaluation/{P}/progress"
    reopen = client.post(
        f"/staff/evaluation/assessments/{row.id}/reopen",
        data={**csrf(client, progress), "reason": "分数填错了"},
    )
    assert reopen.status_code == 302
    db.session.refresh(row)
    assert not row.locked
    assert db.session.scalar(select(AuditEntry.reason)) == "分数填错了"

    client.post("/auth/logout", data=csrf(client, "/staff/"))
    auth.login_as(clerk)
    assert "已退回" in client.get(url).get_data(as_text=True)
    assert post_form(client, url, marks(1.0)).status_code == 302
    db.session.refresh(row)
    assert row.locked and row.scores["quality.standard"] == 20


def test_out_of_range_points_show_a_form_error_and_write_nothing(client, auth, clerk, people):
    auth.login_as(clerk)
    url = f"/staff/evaluation/{P}/assess/self/{people[0].id}"
    response = post_form(client, url, {**marks(0.5), "c_quality__attitude": "12"})
    assert response.status_code == 400
    assert "超出本项分值范围" in response.get_data(as_text=True)
    assert count(Assessment) == 0


def test_peer_form_only_for_assigned_colleagues(client, auth, clerk, boss, people):
    li = people[1]
    url = f"/staff/evaluation/{P}/assess/peer/{li.id}"
    auth.login_as(clerk)
    assert client.get(url).status_code == 403
    assert client.get(f"/staff/evaluation/{P}/assess/self/{li.id}").status_code == 403
    assert client.get(f"/staff/evaluation/{P}/assess/supervisor/{li.id}").status_code == 403
    assert client.get(f"/staff/evaluation/{P}/peers").status_code == 403

    client.post("/auth/logout", data=csrf(client, "/staff/"))
    auth.login_as(boss)
    response = post_form(
        client,
        f"/staff/evaluation/{P}/peers",
        {"assessor": str(people[0].id), "subject": str(li.id)},
    )
    assert response.status_code == 302
    twice = post_form(
        client,
        f"/staff/evaluation/{P}/peers",
        {"assessor": str(people[0].id), "subject": str(li.id)},
    )
    assert twice.status_code == 400

    client.post("/auth/logout", data=csrf(client, "/staff/"))
    auth.login_as(clerk)
    home = client.get(f"/staff/evaluation/{P}/").get_data(as_text=True)
    assert "同事互评：李强" in home
    assert post_form(client, url, marks(0.9)).status_code == 302
    assert db.session.scalar(select(Assessment.kind)) == "peer"


def test_progress_lists_who_has_not_submitted(client, auth, clerk, boss, people):
    auth.login_as(clerk)
    post_form(client, f"/staff/evaluation/{P}/assess/self/{people[0].id}", marks(0.9))
    client.post("/auth/logout", data=csrf(client, "/staff/"))
    auth.login_as(boss)
    html = client.get(f"/staff/evaluation/{P}/progress").get_data(as_text=True)
    assert "共 4 份评价，3 份尚未提交" in html  # 2 self + 2 supervisor
    rows = html.split("<tbody>")[1]
    assert rows.index("未提交") < rows.index("已提交")


def import_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


HEADER = ["期间", "类型", "被评人工号", "评价人"] + [
    f"{leaf.label}（{leaf.max_points:g}）" for leaf in SCHEME.leaves
]


def points(share: float) -> list[str]:
    return [f"{leaf.max_points * share:g}" for leaf in SCHEME.leaves]


def upload(client, content: bytes, name: str):
    url = f"/staff/evaluation/{P}/import"
    return client.post(
        url,
        data={**csrf(client, url), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_import_with_one_bad_row_reports_every_error_and_imports_nothing(
    client, auth, boss, people
):
    auth.login_as(boss)
    content = import_csv(
        [
            HEADER,
            [P, "自评", "XF001", "XF001", *points(0.8)],
            [P, "同事互评", "XF002", "XF009", *points(0.7)],  # no such 工号
            [P, "负责人评价", "XF002", "boss", *points(0.9)[:-1], "7"],  # 投诉处理 max 5
        ]
    )
    response = upload(client, content, "scores.csv")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "未导入任何数据" in html
    assert '<td class="num">3</td><td>评价人</td>' in html
    assert '<td class="num">4</td><td>投诉处理</td>' in html
    assert count(Assessment) == 0


def test_import_of_a_correct_xlsx_creates_locked_assessments(client, auth, boss, people):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([P, "自评", "XF001", "XF001", *[float(v) for v in points(0.8)]])
    sheet.append(["", "同事互评", "XF002", "XF001", *[float(v) for v in points(0.7)]])
    sheet.append([P, "负责人评价", "XF002", "boss", *[float(v) for v in points(0.9)]])
    out = io.BytesIO()
    book.save(out)
    auth.login_as(boss)
    response = upload(client, out.getvalue(), "scores.xlsx")
    assert response.status_code == 302
    rows = db.session.scalars(select(Assessment)).all()
    assert sorted(r.kind for r in rows) == ["peer", "self", "supervisor"]
    assert all(r.locked and r.source == "import" for r in rows)
    # Importing the same file again is refused: those assessments are locked now.
    again = upload(client, out.getvalue(), "scores.xlsx")
    assert again.status_code == 400 and "锁定" in again.get_data(as_text=True)
    assert count(Assessment) == 3


def test_import_page_documents_the_layout_and_rejects_other_files(client, auth, boss, people):
    auth.login_as(boss)
    html = client.get(f"/staff/evaluation/{P}/import").get_data(as_text=True)
    assert "被评人工号" in html and "意见建议处理" in html
    response = upload(client, b"not a spreadsheet", "scores.pdf")
    assert response.status_code == 400
    broken = upload(client, b"PK\x03\x04 broken", "scores.xlsx")
    assert broken.status_code == 400 and "无法读取" in broken.get_data(as_text=True)


def test_ledger_adds_entries_and_shows_valid_complaints_read_only(client, auth, boss, people):
    wang = people[0]
    at = utcnow()
    db.session.add(
        Complaint(
            hall_id=wang.hall_id,
            staff_id=wang.id,
            is_valid=True,
            severity="major",
            created_at=at,
            updated_at=at,
        )
    )
    db.session.commit()
    auth.login_as(boss)
    url = f"/staff/evaluation/{this_month(client.application)}/adjustments"
    response = post_form(
        client,
        url,
        {
            "staff": str(wang.id),
            "kind": "bonus",
            "points": "2.5",
            "reason": "=表彰",
            "evidence": "区级表彰文件",
            "approver": str(boss.id),
        },
    )
    assert response.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "+2.50" in html and "=表彰" in html
    assert "-5.00" in html and "来自投诉核实，只读" in html
    entry = db.session.scalar(select(Adjustment))
    void = client.post(
        f"/staff/evaluation/adjustments/{entry.id}/void",
        data={**csrf(client, url), "reason": "重复登记"},
    )
    assert void.status_code == 302
    assert db.session.scalar(select(Adjustment.voided_at)) is not None
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"adjustment.bonus", "adjustment.void"} <= actions
    bad = post_form(
        client,
        url,
        {
            "staff": str(wang.id),
            "kind": "bonus",
            "points": "-1",
            "reason": "x",
            "approver": str(boss.id),
        },
    )
    assert bad.status_code == 400
    assert count(Adjustment) == 1


def test_staff_see_only_their_own_result(client, auth, clerk, people):
    auth.login_as(clerk)
    own = client.get(f"/staff/evaluation/{P}/staff/{people[0].id}")
    assert own.status_code == 200 and "王芳" in own.get_data(as_text=True)
    assert client.get(f"/staff/evaluation/{P}/staff/{people[1].id}").status_code == 403
    assert client.get(f"/staff/evaluation/{P}/report").status_code == 403
    assert client.get(f"/staff/evaluation/{P}/export.xlsx").status_code == 403
    assert client.get(f"/staff/evaluation/{P}/export.csv").status_code == 403


def test_other_halls_staff_and_bad_periods_are_not_found(client, auth, boss, people, make_hall):
    from kiosk.models import Staff

    other = make_hall()
    stranger = Staff(hall=other, staff_no="ZZ001", name="外人")
    db.session.add(stranger)
    db.session.commit()
    auth.login_as(boss)
    assert client.get(f"/staff/evaluation/{P}/staff/{stranger.id}").status_code == 404
    assert client.get(f"/staff/evaluation/{P}/assess/supervisor/{stranger.id}").status_code == 404
    assert client.get("/staff/evaluation/2026-13/report").status_code == 404
    assert client.get("/staff/evaluation/?period=bogus").status_code == 400
    assert (
        client.get("/staff/evaluation/?period=2026Q4")
        .headers["Location"]
        .endswith("/staff/evaluation/2026Q4/")
    )


def put_ratings(window, staff, put_on_duty, levels: list[int], when):

    put_on_duty(staff, window, when - timedelta(hours=1), when + timedelta(hours=8))
    for i, level in enumerate(levels):
        give_rating(
            window,
            level,
            f"view-test-{level}-{i:04d}",
            channel="qr",
            now=when + timedelta(minutes=i),
        )
    db.session.commit()


def test_finalise_then_edit_keeps_the_finalised_result_and_shows_a_notice(
    app, client, auth, boss, people, window, put_on_duty
):
    wang = people[0]
    when = utcnow() - timedelta(minutes=30)
    put_ratings(window, wang, put_on_duty, [5] * 12, when)
    auth.login_as(boss)
    code = this_month(client.application)
    post_form(client, f"/staff/evaluation/{code}/assess/supervisor/{wang.id}", marks(0.6))
    report_url = f"/staff/evaluation/{code}/report"
    early = client.post(
        f"/staff/evaluation/{code}/finalise",
        data=csrf(client, report_url),
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "尚未结束" in early and count(EvaluationSnapshot) == 0  # the month is still running

    after_period(app, code)
    before = client.get(report_url).get_data(as_text=True)
    assert "定稿本期结果" in before and "尚未结束" not in before
    response = client.post(f"/staff/evaluation/{code}/finalise", data=csrf(client, report_url))
    assert response.status_code == 302
    snapshot = db.session.scalar(select(EvaluationSnapshot))
    frozen = next(r for r in snapshot.results["results"] if r["staff_no"] == "XF001")["score"]
    assert f"{frozen:.2f}" in before

    # After finalising: the assessment is reopened and resubmitted with full marks.
    row = db.session.scalar(select(Assessment))
    client.post(
        f"/staff/evaluation/assessments/{row.id}/reopen",
        data={**csrf(client, report_url), "reason": "复核"},
    )
    post_form(client, f"/staff/evaluation/{code}/assess/supervisor/{wang.id}", marks(1.0))
    after = client.get(report_url).get_data(as_text=True)
    assert "定稿" in after and "与定稿结果不同" in after
    assert f"{frozen:.2f}" in after
    detail = client.get(f"/staff/evaluation/{code}/staff/{wang.id}").get_data(as_text=True)
    assert f"{frozen:.2f}" in detail and "与定稿结果不同" in detail


def test_detail_page_explains_the_score_and_draws_the_trend(
    client, auth, boss, people, window, put_on_duty, give_assessment
):
    wang = people[0]
    put_ratings(window, wang, put_on_duty, [5, 4] * 6, utcnow() - timedelta(minutes=30))
    code = this_month(client.application)
    give_assessment(wang, code, by=boss)
    auth.login_as(boss)
    html = client.get(f"/staff/evaluation/{code}/staff/{wang.id}").get_data(as_text=True)
    assert "考核方案：窗口人员考核方案" in html and "最终得分 = " in html
    assert "<svg" in html and "<polyline" in html and "<script" not in html
    assert html.count("<circle") == 1  # one period with ratings so far


def test_exports_read_back_with_headers_frozen_pane_formats_and_safe_cells(
    client, auth, boss, people, window, put_on_duty, make_staff, give_assessment
):
    make_staff(staff_no="XF003", name='=HYPERLINK("http://x")')
    put_ratings(window, people[0], put_on_duty, [5] * 11, utcnow() - timedelta(minutes=30))
    code = this_month(client.application)
    give_assessment(people[0], code, by=boss)
    auth.login_as(boss)

    response = client.get(f"/staff/evaluation/{code}/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["考核结果汇总表"]
    headers = [c.value for c in sheet[1]]
    assert headers[:6] == ["排名", "工号", "姓名", "最终得分", "基础分", "等级"]
    assert {"自评", "负责人评价", "居民满意度", "同事互评"} <= set(headers)
    assert "负责人评价·服务态度" in headers and "同事互评·投诉处理" in headers
    assert sheet.freeze_panes == "D2"
    score_col = headers.index("最终得分") + 1
    assert sheet.cell(row=2, column=score_col).number_format == "0.00"
    assert sheet.cell(row=2, column=headers.index("好评率") + 1).number_format == "0.00%"
    names = [sheet.cell(row=r, column=3).value for r in range(2, sheet.max_row + 1)]
    assert '\'=HYPERLINK("http://x")' in names

    # 结果运用 for HR, as the scheme maps grades: 优秀 → 绩效系数 1.2 and 表彰.
    row = {h: sheet.cell(row=2, column=i + 1).value for i, h in enumerate(headers)}
    assert row["等级"] == "优秀" and row["绩效系数"] == 1.2
    assert (row["表彰"], row["培训"], row["诫勉谈话"]) == ("是", None, None)
    report = client.get(f"/staff/evaluation/{code}/report").get_data(as_text=True)
    assert "<h2>结果运用</h2>" in report and "<td>绩效系数 1.2、表彰</td>" in report

    raw = client.get(f"/staff/evaluation/{code}/export.csv").data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == headers
    assert any(row[2] == '\'=HYPERLINK("http://x")' for row in rows[1:])
    wang = next(row for row in rows if row[1] == "XF001")
    assert wang[3] == f"{sheet.cell(row=2, column=score_col).value:.2f}"


def test_peer_assignment_can_be_withdrawn_until_the_peer_has_submitted(client, auth, boss, people):
    from kiosk.models import PeerAssignment

    auth.login_as(boss)
    url = f"/staff/evaluation/{P}/peers"
    post_form(client, url, {"assessor": str(people[0].id), "subject": str(people[1].id)})
    link = db.session.scalar(select(PeerAssignment))
    response = client.post(f"/staff/evaluation/peers/{link.id}/remove", data=csrf(client, url))
    assert response.status_code == 302
    assert count(PeerAssignment) == 0
    assert (
        client.post(f"/staff/evaluation/peers/{link.id}/remove", data=csrf(client, url)).status_code
        == 404
    )


def test_import_template_has_the_documented_header_and_a_bom(client, auth, boss):
    auth.login_as(boss)
    body = client.get(f"/staff/evaluation/{P}/import/template.csv").data
    assert body.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header == HEADER


def test_a_period_not_yet_begun_takes_no_assessment_adjustment_or_import(
    client, auth, clerk, boss, people
):
    wang = people[0]
    with client.application.test_request_context():
        later = current_period(utcnow()).next().code
    auth.login_as(clerk)
    overview = client.get(f"/staff/evaluation/{later}/").get_data(as_text=True)
    assert "尚未开始" in overview and f"/assess/self/{wang.id}" not in overview
    url = f"/staff/evaluation/{later}/assess/self/{wang.id}"
    page = client.get(url).get_data(as_text=True)
    assert "尚未开始" in page and 'name="c_quality__attitude"' not in page
    # The form of this month, posted to next month's address (a stale tab, a typed URL).
    this_form = csrf(client, f"/staff/evaluation/{P}/assess/self/{wang.id}")
    assert "csrf_token" in this_form
    response = client.post(url, data={**this_form, **marks(0.8)})
    assert response.status_code == 400 and "尚未开始" in response.get_data(as_text=True)
    assert count(Assessment) == 0

    auth.login_as(boss)
    ledger_url = f"/staff/evaluation/{later}/adjustments"
    ledger = client.get(ledger_url).get_data(as_text=True)
    assert "尚未开始" in ledger and "登记加分或扣分" not in ledger
    bonus = {
        **csrf(client, f"/staff/evaluation/{P}/adjustments"),
        "staff": str(wang.id),
        "kind": "bonus",
        "points": "2",
        "reason": "表彰",
        "approver": str(boss.id),
    }
    assert client.post(ledger_url, data=bonus).status_code == 400 and count(Adjustment) == 0
    # The same bonus for this month is fine: it was the month that was refused.
    assert client.post(f"/staff/evaluation/{P}/adjustments", data=bonus).status_code == 302
    assert count(Adjustment) == 1

    import_url = f"/staff/evaluation/{later}/import"
    assert "尚未开始" in client.get(import_url).get_data(as_text=True)
    rows = [["类型", "被评人工号", "评价人", *(leaf.label for leaf in SCHEME.leaves)]]
    rows.append(["自评", "XF001", "XF001", *(leaf.max_points for leaf in SCHEME.leaves)])
    body = "\n".join(",".join(str(v) for v in row) for row in rows).encode()

    def upload(url: str):  # type: ignore[no-untyped-def]
        token = csrf(client, f"/staff/evaluation/{P}/import")
        return client.post(
            url,
            data={**token, "file": (io.BytesIO(body), "scores.csv")},
            content_type="multipart/form-data",
        )

    assert upload(import_url).status_code == 400 and count(Assessment) == 0
    assert upload(f"/staff/evaluation/{P}/import").status_code == 302  # this month's: imported
    assert count(Assessment) == 1


def test_the_running_month_offers_no_finalise_button_until_it_has_ended(app, client, auth, boss):
    auth.login_as(boss)
    code = this_month(app)
    report = client.get(f"/staff/evaluation/{code}/report").get_data(as_text=True)
    assert "尚未结束" in report and "定稿本期结果" not in report
    after_period(app, code)
    report = client.get(f"/staff/evaluation/{code}/report").get_data(as_text=True)
    assert "定稿本期结果" in report and "尚未结束" not in report


def test_in_english_sources_grades_rubric_and_tie_rule_read_in_english(
    client, auth, boss, staff, make_staff, window, put_on_duty, make_complaint, set_clock
):
    from kiosk.services import complaints

    wang, li = staff, make_staff(staff_no="XF002", name="李强")
    put_ratings(window, wang, put_on_duty, [5] * 12, utcnow() - timedelta(minutes=30))
    complaint = make_complaint(utcnow() - timedelta(minutes=20), who=wang)
    complaints.verify(complaint, boss, valid=True, reason="属实", severity="minor", now=utcnow())
    db.session.commit()
    auth.login_as(boss)
    code = this_month(client.application)
    post_form(client, f"/staff/evaluation/{code}/assess/supervisor/{wang.id}", marks(1.0))
    client.get("/lang/en?next=/")
    report = client.get(f"/staff/evaluation/{code}/report").get_data(as_text=True)
    assert "<th>Supervisor assessment</th>" in report and "<th>Resident satisfaction</th>" in report
    assert "<td>Excellent</td>" in report and "Equal scores are ordered by" in report
    assert "Window staff evaluation scheme" in report and "负责人评价" not in report
    detail = client.get(f"/staff/evaluation/{code}/staff/{wang.id}").get_data(as_text=True)
    assert "<td>Team cohesion</td>" in detail and "<td>团队凝聚力</td>" not in detail
    form = client.get(f"/staff/evaluation/{code}/assess/supervisor/{li.id}")
    assert "Handling complaints（0–5）" in form.get_data(as_text=True)
    exported = client.get(f"/staff/evaluation/{code}/export.csv").get_data(as_text=True)
    header = exported.splitlines()[0]
    assert "Supervisor assessment·Team cohesion" in header and "团队凝聚力" not in header
    # Every point explained, in English too.
    assert "Final score = " in detail and "Grade: Excellent" in detail
    assert "Rank: 1 of 1 ranked" in detail
    finding = f"complaint #{complaint.id} verified (Minor)"
    assert f"Pending: {finding}, " in detail  # the clerk may still appeal it
    set_clock(complaints.appeal_due_at(complaint))  # the appeal window has closed
    auth.login_as(boss)  # a week on, the sign-in has lapsed
    detail = client.get(f"/staff/evaluation/{code}/staff/{wang.id}").get_data(as_text=True)
    assert f"Deduction −3.00: {finding}" in detail
    assert f"<td>{finding}</td>" in detail
    assert "最终得分" not in detail and "排名" not in detail


def test_the_evaluation_page_opens_on_the_latest_period_with_results(
    app, client, auth, boss, hall, set_clock
):
    from tests.conftest import hall_time

    set_clock(hall_time(2026, 11, 20))
    auth.login_as(boss)

    def lands_on() -> str:
        return client.get("/staff/evaluation/").headers["Location"]

    assert lands_on().endswith("/staff/evaluation/2026-11/")  # no results yet: this month
    for code in ("2026-08", "2026Q3", "2026-09", "2027-01"):  # 2027-01 has not begun
        db.session.add(
            EvaluationSnapshot(
                hall_id=hall.id, period=code, scheme_name="s", scheme_version="1", results={}
            )
        )
    db.session.commit()
    # September and the third quarter end together: the shorter period is the latest result.
    assert lands_on().endswith("/staff/evaluation/2026-09/")
    page = client.get("/staff/evaluation/2026-09/").get_data(as_text=True)
    assert 'aria-current="page"' not in page  # September is none of the current periods


def test_a_scheme_that_cannot_be_read_answers_409_with_the_reason(
    app, client, auth, boss, tmp_path
):
    # The report abort()s with the error page: as a response, not a (body, status) tuple,
    # which werkzeug cannot raise (that was a 500).
    app.config["SCORING_SCHEME_PATH"] = str(tmp_path / "missing.toml")
    auth.login_as(boss)
    page = client.get(f"/staff/evaluation/{P}/report")
    assert page.status_code == 409
    assert "missing.toml" in page.get_data(as_text=True)


def test_finalising_with_open_complaints_needs_a_reason_and_lists_them(
    app, client, auth, boss, staff, window, put_on_duty, make_complaint
):
    wang = staff
    when = utcnow() - timedelta(minutes=30)
    put_ratings(window, wang, put_on_duty, [5] * 12, when)
    open_one = make_complaint(when, who=wang)
    auth.login_as(boss)
    code = this_month(app)
    post_form(client, f"/staff/evaluation/{code}/assess/supervisor/{wang.id}", marks(0.6))
    after_period(app, code)
    report_url = f"/staff/evaluation/{code}/report"

    page = client.get(report_url).get_data(as_text=True)
    assert "定稿前须了结的投诉（1 件）" in page and "尚未核实" in page
    assert f'href="/staff/complaints/{open_one.id}"' in page
    assert "定稿本期结果" not in page and "仍要定稿" in page

    refused = client.post(
        f"/staff/evaluation/{code}/finalise", data=csrf(client, report_url), follow_redirects=True
    ).get_data(as_text=True)
    assert "还有投诉未了结（1 件尚未核实）" in refused and count(EvaluationSnapshot) == 0
    too_long = client.post(
        f"/staff/evaluation/{code}/finalise",
        data={**csrf(client, report_url), "reason": "长" * 501},
    )
    assert too_long.status_code == 422 and count(EvaluationSnapshot) == 0
    assert (
        client.post(f"/staff/evaluation/{code}/finalise", data={"reason": "x"}).status_code == 400
    )

    done = client.post(
        f"/staff/evaluation/{code}/finalise",
        data={**csrf(client, report_url), "reason": "上级要求按时报送"},
    )
    assert done.status_code == 302 and count(EvaluationSnapshot) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "evaluation.finalise"))
    assert entry.detail["override_reason"] == "上级要求按时报送"
    assert entry.detail["open_complaints"] == [{"id": open_one.id, "why": "unverified"}]


def test_residents_taps_alone_show_as_not_rated(
    app, client, auth, boss, people, window, put_on_duty
):
    wang = people[0]
    put_ratings(window, wang, put_on_duty, [5] * 12, utcnow() - timedelta(minutes=30))
    auth.login_as(boss)
    code = this_month(app)
    report = client.get(f"/staff/evaluation/{code}/report").get_data(as_text=True)
    row = report.split(f'data-staff-no="{wang.staff_no}"')[1].split("</tr>")[0]
    assert "未评定" in row
    detail = client.get(f"/staff/evaluation/{code}/staff/{wang.id}").get_data(as_text=True)
    assert "未评定：本期只有 1 项评价来源，方案要求至少 2 项" in detail


def test_ledger_entries_by_category_take_their_points_and_one_matter_counts_once(
    client, auth, boss, people
):
    wang = people[0]
    auth.login_as(boss)
    month = this_month(client.application)
    url = f"/staff/evaluation/{month}/adjustments"
    page = client.get(url).get_data(as_text=True)
    assert "加分·表彰·市级（+4）" in page and "扣分·媒体曝光（−10）" in page
    base = {"staff": str(wang.id), "kind": "bonus", "approver": str(boss.id)}
    for level in ("city", "district"):
        done = post_form(
            client,
            url,
            {
                **base,
                "category": f"commendation:{level}",
                "matter": "十佳窗口",
                "reason": "年度十佳",
            },
        )
        assert done.status_code == 302
    wrong = post_form(client, url, {**base, "category": "innovation", "points": "9"})
    assert wrong.status_code == 400
    assert "创新的分值应在 1 到 5 之间。" in wrong.get_data(as_text=True)
    forged = post_form(client, url, {**base, "category": "everything", "points": "9"})
    assert forged.status_code == 400
    no_reason = post_form(client, url, {**base, "category": "", "points": "2"})
    assert no_reason.status_code == 400 and "请填写原因。" in no_reason.get_data(as_text=True)
    rows = list(db.session.scalars(select(Adjustment).order_by(Adjustment.id)))
    assert [(r.kind, r.category, r.points, r.reason, r.matter) for r in rows] == [
        ("bonus", "commendation", 4.0, "表彰·市级：年度十佳", "十佳窗口"),
        ("bonus", "commendation", 2.0, "表彰·区级：年度十佳", "十佳窗口"),
    ]
    assert "事项：十佳窗口" in client.get(url).get_data(as_text=True)
    for kind, key, who in (
        ("self", f"staff:{wang.id}", {"assessor_staff_id": wang.id}),
        ("supervisor", f"user:{boss.id}", {"assessor_user_id": boss.id}),
    ):  # two sources, so that the month is scored and its entries counted
        scores = {leaf.code: leaf.max_points * 0.8 for leaf in SCHEME.leaves}
        db.session.add(
            Assessment(
                hall_id=wang.hall_id,
                period=month,
                subject_id=wang.id,
                kind=kind,
                assessor_key=key,
                scores=scores,
                submitted_at=utcnow(),
                locked=True,
                **who,
            )
        )
    db.session.commit()
    detail = client.get(f"/staff/evaluation/{month}/staff/{wang.id}").get_data(as_text=True)
    assert "同一事项“十佳窗口”只计最高一次（4.00）：表彰·区级：年度十佳 2.00 不另计" in detail
