"""A group member scores a station in a real browser: a xingfu clerk (交叉考核) finds the round
from its own staff area, scores anle (never xingfu), is told when a score is out of range, and
the district's assessor sees the station's total from it, and the PDF the clerk attached."""

from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import District, Hall, RoundScore, User
from kiosk.services import station_rounds
from tests.conftest import PASSWORDS


def _seed() -> None:
    district = District(slug="fuxing", name="复兴街道")
    xingfu = Hall(slug="xingfu", name="幸福社区便民服务中心", district=district)
    anle = Hall(slug="anle", name="安乐社区便民服务站", district=district)
    db.session.add_all([district, xingfu, anle])
    users = {
        "jd-admin": User(username="jd-admin", role="district_admin", district=district),
        "jd-assessor": User(username="jd-assessor", role="district_assessor", district=district),
        "xf-clerk": User(username="xf-clerk", role="staff", hall=xingfu),
    }
    for user in users.values():
        user.set_password(PASSWORDS[user.role])
        db.session.add(user)
    db.session.flush()
    round_ = station_rounds.open_round(
        district,
        title="2026年第四季度考核",
        kind="quarter",
        period="2026Q4",
        spot_check_on=None,
        scheme="2019",
        hall_ids=[xingfu.id, anle.id],
        actor=users["jd-admin"],
    )
    for name in ("jd-assessor", "xf-clerk"):
        station_rounds.add_member(round_, users[name], actor=users["jd-admin"])
    db.session.commit()


def _sign_in(page, base: str, username: str, role: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/auth/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORDS[role])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)


def test_a_clerk_scores_another_station_and_the_assessor_sees_its_total(
    live_server, new_page, artifacts, tmp_path
):
    app, base = live_server.app, live_server.url
    with app.app_context():
        _seed()

    clerk = new_page()
    _sign_in(clerk, base, "xf-clerk", "staff")
    clerk.get_by_role("link", name="站点考核评分").click()
    clerk.get_by_role("link", name="2026年第四季度考核").click()
    stations = clerk.get_by_test_id("stations-to-score")
    assert "安乐社区便民服务站" in stations.inner_text()
    assert "幸福社区便民服务中心" not in stations.inner_text()  # its own station
    stations.get_by_role("link", name="评分", exact=True).click()
    clerk.get_by_role("heading", name="安乐社区便民服务站").wait_for()

    # Out of range first: the page says so and keeps what was typed.
    clerk.get_by_label("按公示时间开放、节假日值班", exact=True).fill("9")
    clerk.get_by_role("button", name="保存评分").click()
    clerk.get_by_test_id("score-errors").wait_for()
    assert "应在 0 至 5 之间" in clerk.content()
    with app.app_context():
        assert db.session.scalars(select(RoundScore)).all() == []

    clerk.get_by_label("按公示时间开放、节假日值班", exact=True).fill("4")
    clerk.get_by_label("按公示时间开放、节假日值班的说明").fill("周日下午未开放")
    clerk.get_by_label("按时在岗、不擅离岗位", exact=True).fill("3.5")
    clerk.get_by_role("button", name="保存评分").click()
    clerk.get_by_text("已保存安乐社区便民服务站的评分（2 项有变化）").wait_for()
    clerk.screenshot(path=str(artifacts / "round-scoring-clerk.png"), full_page=True)

    # A PDF of the station's ledger as evidence, from the same page.
    pdf = tmp_path / "台账.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n")
    stations.get_by_role("link", name="评分", exact=True).click()
    clerk.get_by_label("佐证材料（JPG、PNG 照片或 PDF）").set_input_files(str(pdf))
    clerk.get_by_role("button", name="上传").click()
    clerk.get_by_text("已上传佐证材料").wait_for()
    assert clerk.get_by_test_id("evidence").get_by_role("link", name="台账.pdf").is_visible()
    with app.app_context():
        saved = {(row.item, row.points, row.note) for row in db.session.scalars(select(RoundScore))}
    assert saved == {
        ("operation.hours", 4.0, "周日下午未开放"),
        ("operation.staffing.on_duty", 3.5, ""),
    }

    assessor = new_page()
    _sign_in(assessor, base, "jd-assessor", "district_assessor")
    assessor.get_by_role("link", name="考核轮次").click()
    assessor.get_by_role("link", name="2026年第四季度考核").click()
    ranking = assessor.get_by_test_id("round-ranking").inner_text()
    first = ranking.splitlines()[1]
    assert "安乐社区便民服务站" in first and "7.50" in first
    assert assessor.get_by_role("link", name="台账.pdf").is_visible()  # the district sees it
    assessor.screenshot(path=str(artifacts / "round-result-assessor.png"), full_page=True)
