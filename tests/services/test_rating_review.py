"""Ratings review: the filtered log, its CSV export, releasing and excluding quarantined ratings."""

import csv
import io

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import AuditEntry, Rating
from kiosk.services import rating_export, rating_review
from kiosk.services.rating_review import RatingFilter, ReviewError
from tests.conftest import hall_time
from tests.helpers import give_rating

T0 = hall_time(2026, 11, 20, 10)


@pytest.fixture
def sup(make_user):
    return make_user("sup1", "supervisor")


def add(window, level, key, *, at=T0, status="counted", flags=(), channel="qr", verified=False):
    receipt = give_rating(
        window, level, key, channel=channel, now=at, status=status, flags=flags, verified=verified
    )
    db.session.commit()
    return receipt.rating


@pytest.mark.sqlite_only
def test_releasing_a_quarantined_rating_counts_it_and_is_audited(window, sup):
    rating = add(window, 1, "key-burst-01", status="quarantined", flags=("burst",))
    rating_review.review(rating, sup, decision="release", reason="核实为真实评价", now=T0)
    db.session.commit()
    assert rating.status == "counted"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "rating.release"))
    assert (entry.actor_id, entry.target_id, entry.reason) == (sup.id, rating.id, "核实为真实评价")
    assert entry.detail["from"] == "quarantined" and entry.detail["to"] == "counted"


@pytest.mark.sqlite_only
def test_excluding_keeps_the_rating_but_not_in_the_count(window, sup):
    rating = add(window, 5, "key-own-0001", status="quarantined", flags=("staff_device",))
    rating_review.review(rating, sup, decision="exclude", reason="工作人员本人手机", now=T0)
    db.session.commit()
    assert db.session.get(Rating, rating.id).status == "excluded"
    assert db.session.scalar(select(AuditEntry.action)) == "rating.exclude"


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("status", "decision", "reason", "message"),
    [
        ("counted", "release", "理由", "不在待审核"),
        ("quarantined", "release", "  ", "审核理由"),
        ("quarantined", "delete", "理由", "未知"),
    ],
)
def test_bad_reviews_are_refused_and_change_nothing(window, sup, status, decision, reason, message):
    rating = add(window, 2, "key-refuse-1", status=status)
    with pytest.raises(ReviewError, match=message):
        rating_review.review(rating, sup, decision=decision, reason=reason, now=T0)
    db.session.rollback()
    assert db.session.get(Rating, rating.id).status == status
    assert db.session.scalar(select(AuditEntry)) is None


def test_several_are_reviewed_at_once_and_the_handled_ones_skipped(window, sup):
    """On both databases (the rows are locked with SELECT … FOR UPDATE on PostgreSQL)."""
    held = [
        add(window, 5, f"key-many-{n:03d}", status="quarantined", flags=("burst",))
        for n in range(5)
    ]
    handled = add(window, 5, "key-many-done", status="counted")
    reviewed, skipped = rating_review.review_many(
        window.hall_id, [r.id for r in held] + [handled.id, held[0].id],
        sup, decision="exclude", reason="连续刷评", now=T0,
    )  # fmt: skip
    db.session.commit()
    assert (reviewed, skipped) == (5, 1)
    assert {db.session.get(Rating, r.id).status for r in held} == {"excluded"}
    assert db.session.get(Rating, handled.id).status == "counted"
    actions = db.session.scalars(
        select(AuditEntry.target_id).where(AuditEntry.action == "rating.exclude")
    )
    assert sorted(actions) == sorted(r.id for r in held)


def test_reviewing_several_refuses_another_halls_rating_and_changes_nothing(
    window, sup, make_hall, make_window
):
    mine = add(window, 5, "key-mine-001", status="quarantined", flags=("burst",))
    theirs = add(make_window(hall=make_hall(slug="other")), 5, "key-theirs-1", status="quarantined")
    with pytest.raises(LookupError):
        rating_review.review_many(
            window.hall_id, [mine.id, theirs.id], sup, decision="release", reason="核实", now=T0
        )
    db.session.rollback()
    assert {db.session.get(Rating, r.id).status for r in (mine, theirs)} == {"quarantined"}
    with pytest.raises(ReviewError, match="审核理由"):
        rating_review.review_many(
            window.hall_id, [mine.id], sup, decision="release", reason="", now=T0
        )


@pytest.mark.sqlite_only
def test_flags_are_explained_in_words():
    assert "开放时间" in rating_review.explain_flag("off_hours")
    assert "mystery" in rating_review.explain_flag("mystery")


def test_log_filters(window, make_window, staff, put_on_duty, hall):
    other = make_window()
    put_on_duty(staff, window, starts_at=T0.replace(hour=0), ends_at=T0.replace(hour=23))
    a = add(window, 1, "key-a-000001")
    b = add(other, 5, "key-b-000001", channel="pad", verified=True)
    c = add(window, 3, "key-c-000001", at=hall_time(2026, 11, 22, 10), status="quarantined")

    def ids(**f):
        rows, total = rating_review.rating_page(hall.id, RatingFilter(**f))
        assert total == len(rows)
        return sorted(r.id for r in rows)

    assert ids() == sorted([a.id, b.id, c.id])
    assert ids(window_id=other.id) == [b.id]
    assert ids(staff_id=staff.id) == [a.id]  # c was outside the duty; b at another window
    assert ids(level=1) == [a.id]
    assert ids(channel="pad") == [b.id] == ids(verified=True)
    assert ids(verified=False) == sorted([a.id, c.id])
    assert ids(status="quarantined") == [c.id]
    assert ids(start=hall_time(2026, 11, 21).date()) == [c.id]
    assert ids(end=hall_time(2026, 11, 20).date()) == sorted([a.id, b.id])
    assert [r.id for r in rating_review.quarantined(hall.id)] == [c.id]


@pytest.mark.sqlite_only
def test_csv_has_a_bom_and_neutralises_formulas(app, window, make_staff, put_on_duty, hall):
    sneaky = make_staff(name='=HYPERLINK("http://x")', staff_no="@SUM1")
    put_on_duty(sneaky, window, starts_at=T0.replace(hour=0), ends_at=T0.replace(hour=23))
    add(window, 2, "key-csv-0001", flags=("burst",))
    with app.test_request_context():
        text = "".join(rating_export.export_csv(hall.id, RatingFilter()))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["评价时间", "窗口", "工作人员", "工号", "评价"]
    assert rows[1][0] == "2026-11-20 10:00:00"  # hall-local time
    assert rows[1][2] == '\'=HYPERLINK("http://x")' and rows[1][3] == "'@SUM1"
    assert rows[1][4] == "2 不满意" and rows[1][8] == "burst"
    assert rows[2] == ["导出完毕，共 1 条评价"] and rating_export.trailer_count(rows[2]) == 1
    assert rating_export.csv_cell("-1") == "'-1" and rating_export.csv_cell("3号") == "3号"
