"""The review queue: a supervisor releases or excludes quarantined ratings, several at once."""

from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Rating
from kiosk.models._types import utcnow
from kiosk.services import rating_log, rating_review
from tests.helpers import give_rating, hidden_fields

QUEUE = "/staff/ratings/quarantine"


def hold(window, count, level=5):
    """Record count ratings at window as a burst the anti-stuffing rules held back."""
    now = utcnow()
    held = [
        give_rating(
            window,
            level,
            f"held-{level}-{n:04d}",
            channel="qr",
            now=now,
            status="quarantined",
            flags=["burst"],
        ).rating
        for n in range(count)
    ]
    db.session.commit()
    return held


def statuses(held):
    db.session.expire_all()
    return [db.session.get(Rating, rating.id).status for rating in held]


def release(rating, actor):
    """Release rating as another supervisor would, in their own request."""
    rating_review.review(rating, actor, decision="release", reason="核实", now=utcnow())
    db.session.commit()


def board_count(client, hall, staff_no):
    entries = client.get(f"/api/v1/board?hall={hall.slug}&period=today").get_json()["entries"]
    return next((e["ratings"] for e in entries if e["staff_no"] == staff_no), 0)


def test_a_whole_burst_is_excluded_with_one_reason(client, auth, make_user, window):
    held = hold(window, 12)
    boss = make_user("boss", "supervisor")
    auth.login_as(boss)
    page = client.get(QUEUE).get_data(as_text=True)
    assert page.count('name="rating"') == 12 and "共 12 条待审核" in page
    response = client.post(
        QUEUE,
        data={
            "csrf_token": hidden_fields(page)["csrf_token"],
            "rating": [str(r.id) for r in held[:10]],
            "decision": "exclude",
            "reason": "同一时段连续刷评",
        },
    )
    assert response.status_code == 303
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已排除 10 条评价" in after and after.count('name="rating"') == 2
    assert statuses(held) == ["excluded"] * 10 + ["quarantined"] * 2
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "rating.exclude"))
    assert sorted((e.target_id, e.actor_id, e.reason) for e in entries) == [
        (r.id, boss.id, "同一时段连续刷评") for r in held[:10]
    ]
    assert rating_log.verify()[1] == []  # each change is in the tamper-evident log


def test_released_ratings_count_on_the_board(
    client, auth, make_user, hall, window, staff, put_on_duty
):
    put_on_duty(staff, window)
    held = hold(window, 4)
    assert board_count(client, hall, staff.staff_no) == 0
    auth.login_as(make_user("boss", "supervisor"))
    token = hidden_fields(client.get(QUEUE).get_data(as_text=True))["csrf_token"]
    response = client.post(
        QUEUE,
        data={
            "csrf_token": token,
            "rating": [str(r.id) for r in held[:3]],
            "decision": "release",
            "reason": "核对叫号记录，确为三位居民",
        },
    )
    assert response.status_code == 303
    assert statuses(held) == ["counted"] * 3 + ["quarantined"]
    assert board_count(client, hall, staff.staff_no) == 3


def test_a_missing_reason_keeps_the_ticks_and_changes_nothing(client, auth, make_user, window):
    held = hold(window, 3)
    auth.login_as(make_user("boss", "supervisor"))
    token = hidden_fields(client.get(QUEUE).get_data(as_text=True))["csrf_token"]
    picked = [str(r.id) for r in held[:2]]
    response = client.post(
        QUEUE, data={"csrf_token": token, "rating": picked, "decision": "exclude", "reason": " "}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请选择审核决定并填写理由" in page
    for rating in held:
        ticked = f'value="{rating.id}" id="pick-{rating.id}" checked' in page
        assert ticked is (str(rating.id) in picked)
    assert '<option selected value="exclude">' in page  # the decision is kept too
    assert statuses(held) == ["quarantined"] * 3


def test_nothing_ticked_is_a_clear_error(client, auth, make_user, window):
    held = hold(window, 2)
    auth.login_as(make_user("boss", "supervisor"))
    token = hidden_fields(client.get(QUEUE).get_data(as_text=True))["csrf_token"]
    response = client.post(
        QUEUE, data={"csrf_token": token, "decision": "release", "reason": "放行"}
    )
    assert response.status_code == 400
    assert "请先勾选要审核的评价" in response.get_data(as_text=True)
    assert statuses(held) == ["quarantined"] * 2


def test_ratings_reviewed_meanwhile_are_left_as_they_are(client, auth, make_user, window):
    held = hold(window, 4)
    auth.login_as(make_user("boss", "supervisor"))
    token = hidden_fields(client.get(QUEUE).get_data(as_text=True))["csrf_token"]
    # Another supervisor releases two of them while this page is open.
    other = make_user("deputy", "supervisor")
    for rating in held[:2]:
        release(rating, other)
    response = client.post(
        QUEUE,
        data={
            "csrf_token": token,
            "rating": [str(r.id) for r in held],
            "decision": "exclude",
            "reason": "刷评",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "已排除 2 条评价" in page and "另有 2 条已不在待审核列表中" in page
    assert statuses(held) == ["counted", "counted", "excluded", "excluded"]


def test_ids_the_page_never_offers_are_refused(client, auth, make_user, window):
    held = hold(window, 2)
    auth.login_as(make_user("boss", "supervisor"))
    token = hidden_fields(client.get(QUEUE).get_data(as_text=True))["csrf_token"]
    base = {"csrf_token": token, "decision": "exclude", "reason": "刷评"}
    for picked, expected in (
        (["abc"], 400),
        (["-1"], 400),
        (["9" * 30], 400),
        ([str(held[0].id)] * 501, 400),
        ([str(held[0].id), "2147483647"], 404),  # no such rating
    ):
        assert client.post(QUEUE, data={**base, "rating": picked}).status_code == expected
    assert statuses(held) == ["quarantined"] * 2


def test_clerks_cannot_review(client, auth, make_user, window, staff):
    held = hold(window, 1)
    auth.login_as(make_user("clerk", "staff", staff=staff))
    token = hidden_fields(client.get("/staff/").get_data(as_text=True))["csrf_token"]
    response = client.post(
        QUEUE,
        data={"csrf_token": token, "rating": str(held[0].id), "decision": "release", "reason": "x"},
    )
    assert response.status_code == 403
    assert statuses(held) == ["quarantined"]
