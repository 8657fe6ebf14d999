"""The phone rating page a resident reaches by scanning a window's QR code."""

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Complaint, Rating, RatingRevision
from kiosk.models._types import utcnow
from tests.helpers import hidden_fields, rate, rating_form


def rating_count() -> int:
    return db.session.scalar(select(func.count(Rating.id)))


def test_page_shows_hall_window_and_staff_on_duty(client, window, staff, put_on_duty):
    put_on_duty(staff, window)
    html = client.get(f"/r/{window.qr_token}").get_data(as_text=True)
    assert "幸福社区便民服务中心" in html
    assert "3号窗口" in html and "社保医保" in html
    assert "王芳" in html and "XF001" in html
    for value, label in (
        (5, "非常满意"),
        (4, "满意"),
        (3, "基本满意"),
        (2, "不满意"),
        (1, "非常不满意"),
    ):
        assert f'name="level" value="{value}"' in html
        assert label in html


def test_page_says_when_no_one_is_on_duty(client, window):
    html = client.get(f"/r/{window.qr_token}").get_data(as_text=True)
    assert "当前窗口暂无人员在岗" in html


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_each_level_is_recorded_and_attributed_to_staff_on_duty(
    client, window, staff, put_on_duty, level
):
    put_on_duty(staff, window)
    response = rate(client, window.qr_token, level)
    assert response.status_code == 303
    rating = db.session.scalar(select(Rating))
    assert (rating.level, rating.window_id, rating.staff_id) == (level, window.id, staff.id)
    assert rating.channel == "qr" and rating.status == "counted" and rating.device_hash
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "感谢您的评价" in thanks
    assert ("愿意告诉我们原因吗" in thanks) == (level <= 2)


def test_rating_with_no_one_on_duty_counts_for_the_window_only(client, window):
    rate(client, window.qr_token, 4)
    rating = db.session.scalar(select(Rating))
    assert rating.window_id == window.id and rating.staff_id is None


def test_staff_whose_shift_ended_is_not_credited(client, window, staff, put_on_duty):
    put_on_duty(
        staff,
        window,
        starts_at=utcnow() - timedelta(hours=9),
        ends_at=utcnow() - timedelta(hours=1),
    )
    rate(client, window.qr_token, 5)
    assert db.session.scalar(select(Rating)).staff_id is None


def test_double_tap_with_the_same_key_records_one_rating(client, window):
    form = rating_form(client, window.qr_token)
    first = client.post(f"/r/{window.qr_token}", data={**form, "level": "1"})
    second = client.post(f"/r/{window.qr_token}", data={**form, "level": "1"})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert rating_count() == 1


def test_a_tap_does_not_rewrite_the_phones_session_cookie(client, window):
    # The rating page gave the phone its session (the form's CSRF token); the tap only reads it.
    page = client.get(f"/r/{window.qr_token}")
    assert any(h.startswith("session=") for h in page.headers.getlist("Set-Cookie"))
    form = hidden_fields(page.get_data(as_text=True))
    response = client.post(f"/r/{window.qr_token}", data={**form, "level": "5"})
    assert response.status_code == 303
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert rating_count() == 1


def test_same_phone_within_interval_replaces_its_rating(client, window):
    rate(client, window.qr_token, 2)
    rate(client, window.qr_token, 5)
    ratings = db.session.scalars(select(Rating)).all()
    assert [r.level for r in ratings] == [5]
    revision = db.session.scalar(select(RatingRevision))
    assert revision.level == 2 and revision.rating_id == ratings[0].id


def test_replaced_key_replayed_does_not_add_a_rating(client, window):
    first_form = rating_form(client, window.qr_token)
    client.post(f"/r/{window.qr_token}", data={**first_form, "level": "2"})
    rate(client, window.qr_token, 5)
    client.post(f"/r/{window.qr_token}", data={**first_form, "level": "2"})
    assert rating_count() == 1
    assert db.session.scalar(select(Rating.level)) == 5


def test_another_phone_adds_its_own_rating(app, window):
    rate(app.test_client(), window.qr_token, 5)
    rate(app.test_client(), window.qr_token, 4)
    assert rating_count() == 2


def test_same_phone_after_the_interval_adds_a_new_rating(app, client, window):
    moment = [utcnow()]
    app.config["CLOCK"] = lambda: moment[0]
    rate(client, window.qr_token, 3)
    moment[0] += timedelta(minutes=31)
    rate(client, window.qr_token, 5)
    assert sorted(db.session.scalars(select(Rating.level))) == [3, 5]


def test_replace_interval_is_configurable(app, client, window):
    app.config["SAME_DEVICE_INTERVAL_MINUTES"] = 5
    moment = [utcnow()]
    app.config["CLOCK"] = lambda: moment[0]
    rate(client, window.qr_token, 3)
    moment[0] += timedelta(minutes=6)
    rate(client, window.qr_token, 5)
    assert rating_count() == 2


def test_complaint_after_bad_rating_stores_tags_text_and_phone(client, window, staff, put_on_duty):
    put_on_duty(staff, window)
    thanks_url = rate(client, window.qr_token, 1).headers["Location"]
    page = client.get(thanks_url).get_data(as_text=True)
    response = client.post(
        thanks_url,
        data={
            **hidden_fields(page),
            "reasons": ["attitude", "repeat_visits"],
            "text": "材料清单没有一次说清楚，我跑了三趟。",
            "phone": "13812341234",
        },
    )
    assert response.status_code == 303
    complaint = db.session.scalar(select(Complaint))
    assert complaint.reason_tags == ["attitude", "repeat_visits"]
    assert complaint.text == "材料清单没有一次说清楚，我跑了三趟。"
    assert complaint.contact_phone == "13812341234"
    assert complaint.status == "new"
    assert complaint.rating.level == 1 and complaint.staff_id == staff.id
    done = client.get(thanks_url).get_data(as_text=True)
    assert "我们已收到您的意见" in done
    assert "13812341234" not in done


def test_complaint_resubmitted_is_stored_once(client, window):
    thanks_url = rate(client, window.qr_token, 2).headers["Location"]
    fields = hidden_fields(client.get(thanks_url).get_data(as_text=True))
    for _ in range(2):
        client.post(thanks_url, data={**fields, "reasons": ["other"], "text": "等太久"})
    assert db.session.scalar(select(func.count(Complaint.id))) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "12345"), ("phone", "2381234123a"), ("text", "长" * 501), ("reasons", "bogus")],
)
def test_invalid_complaint_is_refused_and_nothing_stored(client, window, field, value):
    thanks_url = rate(client, window.qr_token, 1).headers["Location"]
    fields = hidden_fields(client.get(thanks_url).get_data(as_text=True))
    response = client.post(thanks_url, data={**fields, field: value})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Complaint.id))) == 0
    assert rating_count() == 1  # the bad rating itself is kept


def test_complaint_is_refused_for_a_good_rating(client, window):
    thanks_url = rate(client, window.qr_token, 5).headers["Location"]
    fields = hidden_fields(client.get(thanks_url).get_data(as_text=True))
    assert client.post(thanks_url, data={**fields, "text": "x"}).status_code == 400
    assert db.session.scalar(select(func.count(Complaint.id))) == 0


def test_unknown_window_token_is_404(client, window):
    response = client.get("/r/not-a-real-token")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
    assert client.post("/r/not-a-real-token", data={"level": "5"}).status_code == 404


def test_deactivated_window_is_404(client, window):
    window.active = False
    db.session.commit()
    assert client.get(f"/r/{window.qr_token}").status_code == 404


@pytest.mark.parametrize("level", ["0", "6", "abc", "", "3.5", "-1", "99999999999999999999"])
def test_bad_level_is_400_and_writes_nothing(client, window, level):
    response = rate(client, window.qr_token, level)
    assert response.status_code == 400
    assert rating_count() == 0


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "bad key!", "<script>"])
def test_bad_key_is_400_and_writes_nothing(client, window, key):
    response = rate(client, window.qr_token, 5, key=key)
    assert response.status_code == 400
    assert rating_count() == 0


def test_missing_csrf_token_is_400_and_writes_nothing(client, window):
    form = rating_form(client, window.qr_token)
    response = client.post(f"/r/{window.qr_token}", data={"key": form["key"], "level": "1"})
    assert response.status_code == 400
    assert rating_count() == 0


def test_expired_form_offers_a_fresh_one_that_records_once(client, window, monkeypatch):
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 2 * 3600)  # page opened 2 h ago
    form = rating_form(client, window.qr_token)
    monkeypatch.undo()
    response = client.post(f"/r/{window.qr_token}", data={**form, "level": "1"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "页面已过期" in html
    assert rating_count() == 0
    fresh = hidden_fields(html)
    assert fresh["key"] == form["key"]
    assert client.post(f"/r/{window.qr_token}", data={**fresh, "level": "1"}).status_code == 303
    assert rating_count() == 1


def test_oversize_body_is_413_and_writes_nothing(app, client, window):
    form = rating_form(client, window.qr_token)
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(f"/r/{window.qr_token}", data={**form, "level": "5", "pad": big})
    assert response.status_code == 413
    assert rating_count() == 0


def test_rating_requires_post(client, window):
    assert client.put(f"/r/{window.qr_token}", data={"level": "5"}).status_code == 405


def test_page_is_small_and_self_contained(client, window):
    response = client.get(f"/r/{window.qr_token}")
    html = response.get_data(as_text=True)
    css = client.get("/static/css/site.css").get_data()
    icon = client.get("/static/icons/favicon.svg").get_data()  # what a phone browser fetches
    assert len(response.data) + len(css) + len(icon) < 20 * 1024
    assert "<script" not in html  # works without JavaScript
    external = re.findall(r'(?:src|href)="(https?:)?//', html)
    assert external == []


def test_thanks_page_of_another_window_is_404(client, make_window, window):
    other = make_window()
    thanks_url = rate(client, window.qr_token, 1).headers["Location"]
    assert client.get(thanks_url.replace(window.qr_token, other.qr_token)).status_code == 404


def test_thanks_page_says_when_the_hall_is_open_and_how_complaints_are_followed_up(
    app, client, window
):
    from kiosk.services.settings import save_settings

    save_settings({"OPENING_HOURS": "09:00-17:00"}, actor=None, hall=window.hall)
    db.session.commit()
    good = client.get(rate(client, window.qr_token, 5).headers["Location"])
    html = good.get_data(as_text=True)
    assert "本大厅开放时间：09:00-17:00" in html
    assert f'href="/public/{window.hall.slug}"' in html
    bad = client.get(rate(client, window.qr_token, 1).headers["Location"])
    html = bad.get_data(as_text=True)
    assert "负责人在 1 个工作日内核实；属实的在 5 个工作日内整改，整改后 2 个工作日内回访。" in html
    # Within the phone page's budget, as the rating page is (with the stylesheet and icon).
    css = client.get("/static/css/site.css").get_data()
    icon = client.get("/static/icons/favicon.svg").get_data()
    assert len(bad.data) + len(css) + len(icon) < 20 * 1024
    assert "<script" not in html
