"""考核结果公示: a finalised period's names and grades on the hall's public page (#26 point 9)."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kiosk.extensions import db
from kiosk.services import evaluation as ev
from kiosk.services import periods
from tests.helpers import give_rating

NOV = periods.Period(2026, "month", 11)
IN_NOV = datetime(2026, 11, 10, 2, 0)  # 10:00 local
AFTER_NOV = datetime(2026, 12, 2, 2, 0)


@pytest.fixture
def finalised(app, hall, window, make_staff, make_user, put_on_duty, give_assessment):
    """November finalised: 王芳 assessed and rated (良好 or better), 李强 rated only (未评定)."""
    wang = make_staff(staff_no="XF001", name="王芳")
    li = make_staff(staff_no="XF002", name="李强")
    boss = make_user("boss", "supervisor")
    for who, start in ((wang, IN_NOV), (li, IN_NOV + timedelta(days=1))):
        put_on_duty(who, window, start - timedelta(hours=1), start + timedelta(hours=8))
        for i in range(12):
            give_rating(
                window, 5, f"pub-{who.staff_no}-{i}", channel="qr", now=start + timedelta(minutes=i)
            )
    db.session.commit()
    give_assessment(wang, NOV.code, at=IN_NOV)
    give_assessment(wang, NOV.code, by=boss, at=IN_NOV)
    with app.test_request_context():
        ev.finalise_period(hall, NOV, actor=boss, now=AFTER_NOV)
        db.session.commit()
    app.config["CLOCK"] = lambda: AFTER_NOV
    return wang, li


def test_a_finalised_period_is_listed_and_shows_names_and_grades_only(client, hall, finalised):
    page = client.get(f"/public/{hall.slug}").get_data(as_text=True)
    assert "考核结果公示" in page and f'href="/public/{hall.slug}/evaluation/2026-11"' in page

    response = client.get(f"/public/{hall.slug}/evaluation/2026-11")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2026年11月 考核结果公示" in html and "幸福社区便民服务中心" in html
    wang_row = html[html.index("<td>王芳</td>") - 40 : html.index("<td>王芳</td>") + 60]
    assert "<td>1</td>" in wang_row and "<td>优秀</td>" in wang_row
    li_row = html[html.index("<td>李强</td>") : html.index("<td>李强</td>") + 60]
    assert "未评定" in li_row
    # Names and grades only: no staff numbers, scores or explanation leave the staff area.
    assert "XF001" not in html and "得分" not in html and "最终得分" not in html
    assert html.index("王芳") < html.index("李强")  # ranked people first


def test_scores_are_shown_when_the_scheme_says_so(app, client, hall, finalised, tmp_path: Path):
    default = Path(ev.__file__).parents[2] / "scoring" / "default_scheme.toml"
    scheme = tmp_path / "scheme.toml"
    text = default.read_text("utf-8").replace("scores = false", "scores = true")
    scheme.write_text(text, "utf-8")
    app.config["SCORING_SCHEME_PATH"] = str(scheme)
    with app.test_request_context():
        wang_score = ev.period_report(hall, NOV).rows[0].result.score

    html = client.get(f"/public/{hall.slug}/evaluation/2026-11").get_data(as_text=True)
    assert '<th scope="col">得分</th>' in html and f"<td>{wang_score:.2f}</td>" in html


def test_what_is_published_is_the_finalised_snapshot(app, client, hall, window, finalised):
    wang, _li = finalised
    for i in range(30):  # later 差评 for November do not change what was finalised
        give_rating(
            window,
            1,
            f"late-rating-{i:04d}",
            channel="qr",
            now=IN_NOV + timedelta(hours=2, seconds=i),
        )
    db.session.commit()
    with app.test_request_context():
        live = next(p for p in ev.live_results(hall, NOV).people if p.name == wang.name)
    assert live.result.grade != "优秀"  # today's rows would grade her lower
    html = client.get(f"/public/{hall.slug}/evaluation/2026-11").get_data(as_text=True)
    assert "<td>优秀</td>" in html


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/public/{slug}/evaluation/2026-10", 404),  # not finalised
        ("/public/{slug}/evaluation/2026Q4", 404),
        ("/public/{slug}/evaluation/nonsense", 404),
        ("/public/{slug}/evaluation/2026-13", 404),
        ("/public/nowhere/evaluation/2026-11", 404),
    ],
)
def test_unfinalised_or_unknown_periods_are_not_found(client, hall, finalised, path, status):
    assert client.get(path.format(slug=hall.slug)).status_code == status


def test_a_hall_with_nothing_finalised_says_so(app, client, hall):
    html = client.get(f"/public/{hall.slug}").get_data(as_text=True)
    assert "暂无定稿的考核结果。" in html


def test_the_publication_reads_in_english(client, hall, finalised):
    client.get("/lang/en?next=/")
    html = client.get(f"/public/{hall.slug}/evaluation/2026-11").get_data(as_text=True)
    assert "<td>Excellent</td>" in html and "Not rated" in html and "考核结果公示" not in html
