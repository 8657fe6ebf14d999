"""The flask commands: accounts, demo data and QR export."""

import json
from datetime import timedelta

import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Complaint, Duty, Hall, Rating, Staff, User, Window
from kiosk.models._types import utcnow
from kiosk.services.demo import HALL_SLUG
from kiosk.services.duty import staff_on_duty


def test_users_create_reads_the_password_from_stdin(runner, hall):
    result = runner.invoke(
        args=["users", "create", "li", "--role", "supervisor"], input="a-long-passphrase\n"
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "li"))
    assert user.role == "supervisor" and user.check_password("a-long-passphrase")
    assert user.hall_id == hall.id  # the only hall


def test_users_create_needs_a_hall_and_halls_create_makes_one(runner, ctx):
    refused = runner.invoke(
        args=["users", "create", "li", "--role", "admin"], input="a-long-passphrase\n"
    )
    assert refused.exit_code != 0 and "halls create" in refused.output
    made = runner.invoke(args=["halls", "create", "dongfeng", "东风社区便民服务中心"])
    assert made.exit_code == 0, made.output
    assert runner.invoke(args=["halls", "create", "dongfeng", "x"]).exit_code != 0
    assert runner.invoke(args=["halls", "create", "Bad Slug", "x"]).exit_code != 0
    runner.invoke(args=["halls", "create", "xiyuan", "西苑社区便民服务中心"])
    ambiguous = runner.invoke(
        args=["users", "create", "li", "--role", "admin"], input="a-long-passphrase\n"
    )
    assert ambiguous.exit_code != 0 and "--hall" in ambiguous.output
    ok = runner.invoke(
        args=["users", "create", "li", "--role", "admin", "--hall", "xiyuan"],
        input="a-long-passphrase\n",
    )
    assert ok.exit_code == 0, ok.output
    user = db.session.scalar(select(User).where(User.username == "li"))
    assert user.hall.slug == "xiyuan"


def test_users_create_refuses_weak_passwords_and_duplicates(runner, hall):
    short = runner.invoke(args=["users", "create", "li", "--role", "staff"], input="short\n")
    assert short.exit_code != 0 and "at least 8" in short.output
    common = runner.invoke(args=["users", "create", "li", "--role", "staff"], input="password123\n")
    assert common.exit_code != 0 and "too common" in common.output
    admin = runner.invoke(
        args=["users", "create", "root", "--role", "admin"], input="only-11-chr\n"
    )
    assert admin.exit_code != 0 and "at least 12" in admin.output
    runner.invoke(args=["users", "create", "li", "--role", "staff"], input="fine-password\n")
    again = runner.invoke(
        args=["users", "create", "li", "--role", "staff"], input="fine-password\n"
    )
    assert again.exit_code != 0 and "already exists" in again.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_users_create_rejects_unknown_roles(runner, hall):
    result = runner.invoke(args=["users", "create", "li", "--role", "root"], input="whatever-pw\n")
    assert result.exit_code != 0
    assert db.session.scalar(select(func.count(User.id))) == 0


def counts() -> dict[str, int]:
    db.session.commit()
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Hall, Window, Staff, Duty, Rating, Complaint, User)
    }


def test_demo_builds_a_realistic_hall_and_is_idempotent(runner, ctx):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    after_first = counts()
    demo_hall = db.session.scalar(select(Hall).where(Hall.slug == HALL_SLUG))
    assert len(demo_hall.windows) == 8
    assert (
        db.session.scalar(select(func.count(Staff.id)).where(Staff.hall_id == demo_hall.id)) == 12
    )
    assert after_first["Hall"] == 4  # the demo hall and the district's three smaller stations
    assert after_first["User"] == 11  # the hall's four, the district's three, the stations' four
    assert after_first["Rating"] > 5000 and after_first["Complaint"] > 10
    assert first.output.count("password") == 11 and "/staff/" in first.output

    # This quarter and last have all four sources for everyone and assigned peers; this quarter
    # a bonus. Last quarter is finalised, with feedback and the clerk's objection decided.
    from kiosk.models import (
        Adjustment,
        Assessment,
        EvaluationSnapshot,
        PeerAssignment,
        ResultFeedback,
    )
    from kiosk.services.periods import current_period

    quarter = current_period(utcnow(), "quarter")
    for period in (quarter, quarter.previous()):
        kinds = dict(
            db.session.execute(
                select(Assessment.kind, func.count())
                .where(Assessment.period == period.code)
                .group_by(Assessment.kind)
            ).all()
        )
        assert kinds == {"self": 12, "supervisor": 12, "peer": 36}, period.code
    year = current_period(utcnow(), "year")
    annual = db.session.execute(
        select(Assessment.kind, func.count())
        .where(Assessment.period == year.code)
        .group_by(Assessment.kind)
    ).all()
    assert dict(annual) == {"supervisor": 12}  # the annual assessment (年度评价)
    built = runner.invoke(args=["evaluate", "--period", year.code, "--hall", HALL_SLUG, "--json"])
    assert built.exit_code == 0, built.output
    for row in json.loads(built.output)["results"]:  # the year is built from its quarters
        assert quarter.code in [part["period"] for part in row["parts"]]
        assert any(line["text"].startswith("年度评价 ") for line in row["explanation"])
    assert db.session.scalar(select(func.count(PeerAssignment.id))) == 72
    assert db.session.scalar(select(func.count(Adjustment.id))) == 1
    evaluated = runner.invoke(args=["evaluate", "--period", quarter.code, "--hall", HALL_SLUG])
    assert evaluated.exit_code == 0 and "缺" not in evaluated.output  # no source missing
    snapshot = db.session.scalar(select(EvaluationSnapshot))
    assert snapshot.period == quarter.previous().code
    feedback = db.session.scalars(select(ResultFeedback)).all()
    assert len(feedback) == 3 and sum(f.decision == "upheld" for f in feedback) == 1

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert counts() == after_first
    assert db.session.scalar(select(func.count(Assessment.id))) == 132
    assert "password " not in second.output

    oldest, newest = db.session.execute(
        select(func.min(Rating.created_at), func.max(Rating.created_at))
    ).one()
    assert timedelta(days=85) < newest - oldest < timedelta(days=95)
    assert newest <= utcnow()
    levels = dict(
        db.session.execute(select(Rating.level, func.count()).group_by(Rating.level)).all()
    )
    assert levels[5] > levels[4] > levels[3] and levels[1] + levels[2] > 0
    # Busy mornings, quiet afternoons (hall time is UTC+8: 09–12 local is 01–04 UTC).
    hours = [r.hour for r in db.session.scalars(select(Rating.created_at))]
    assert sum(1 <= h < 4 for h in hours) > 1.5 * sum(5 <= h < 8 for h in hours)
    # Today's roster puts someone on duty at every window during opening hours.
    window = db.session.scalar(select(Window).order_by(Window.number))
    duties = db.session.scalars(select(Duty).where(Duty.window_id == window.id)).all()
    todays = max(duties, key=lambda d: d.starts_at)
    assert staff_on_duty(window.id, todays.starts_at + timedelta(hours=2)) is not None


def test_demo_complaints_went_through_the_real_steps_in_time(runner, ctx):
    """Every demo complaint is where its own timeline says and no step was late; in each hall
    (the demo hall and the district's other stations) two wait past their deadline (to show
    what overdue looks like), the handled ones are closed by the hall's own supervisor, and
    one the deputy verified waits for the supervisor to review the clerk's appeal."""
    from kiosk.models import AuditEntry, ComplaintEvent
    from kiosk.services.complaints import appeal_state, appeals_pending_count, is_overdue

    assert runner.invoke(args=["demo"]).exit_code == 0
    now = utcnow()
    complaints = db.session.scalars(select(Complaint)).all()
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
    deputy = db.session.scalar(select(User).where(User.username == "deputy"))
    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    handler = {
        user.hall_id: user.id
        for user in db.session.scalars(select(User).where(User.role == "supervisor"))
        if user.username != "deputy"
    }
    assert handler[supervisor.hall_id] == supervisor.id and len(handler) == 4
    (appealed,) = [c for c in complaints if appeal_state(c) is not None]
    assert appeal_state(appealed) == "pending" and appealed.staff_id == clerk.staff_id
    assert appeals_pending_count(appealed.hall_id) == 1
    states: dict[str, int] = {}
    for complaint in complaints:
        states[complaint.status] = states.get(complaint.status, 0) + 1
        events = db.session.scalars(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.created_at, ComplaintEvent.id)
        ).all()
        assert events[0].action == "created" and events[0].created_at == complaint.created_at
        assert events[-1].to_status == complaint.status
        assert all(e.created_at <= now for e in events)
        if complaint is appealed:  # so the supervisor, not the verifier, reviews the appeal
            steps = [(e.action, e.actor_id) for e in events[1:]]
            assert steps == [("verified", deputy.id), ("appealed", clerk.id)]
        else:
            assert all(e.actor_id == handler[complaint.hall_id] for e in events[1:])
        steps = {e.action: e.created_at for e in events}
        if complaint.status != "new":
            assert complaint.verified_at == steps["verified"] <= complaint.verify_due_at
            assert complaint.is_valid is (complaint.severity is not None)
        if "rectified" in steps:
            assert steps["rectified"] <= complaint.rectify_due_at
        if "followed_up" in steps:
            assert steps["followed_up"] <= complaint.followup_due_at
        if complaint.status == "closed":
            assert complaint.closed_at == steps["closed"]
            assert complaint.is_valid is False or "followed_up" in steps
    workflow = {"new", "valid", "rectifying", "rectified", "followed_up", "invalid", "closed"}
    assert {"new", "closed"} <= set(states) <= workflow, states
    overdue = [c for c in complaints if is_overdue(c, now)]
    assert all(c.status == "new" for c in overdue)
    assert sorted(c.hall_id for c in overdue) == sorted(2 * list(handler))
    audited = db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action.like("complaint.%"))
    )
    assert audited == db.session.scalar(select(func.count(ComplaintEvent.id)))


def test_demo_builds_in_a_year_the_holiday_calendar_has_no_data_for(app, ctx):
    """The demo counts working days like the deadlines do: Monday–Friday where the State
    Council calendar (chinese_calendar) does not know the year yet, instead of failing."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kiosk.services.complaints import appeals_pending_count
    from kiosk.services.demo import create_demo

    monday = datetime(2035, 3, 5, 2, 0)  # 10:00 in the hall
    with app.test_request_context():
        result = create_demo(monday, ZoneInfo("Asia/Shanghai"))
    db.session.commit()
    assert result.ratings > 5000 and appeals_pending_count(result.hall.id) == 1
    weekend_ratings = [
        r
        for r in db.session.scalars(select(Rating.created_at))
        if (r + timedelta(hours=8)).weekday() >= 5
    ]
    assert weekend_ratings == []


def test_qr_export_writes_codes_that_decode_to_each_window_url(runner, ctx, tmp_path, make_window):
    windows = [make_window(number=n) for n in (1, 2, 12)]
    result = runner.invoke(args=["qr", "export", str(tmp_path / "qr")])
    assert result.exit_code == 0, result.output
    for window in windows:
        png = tmp_path / "qr" / f"window-{window.number}.png"
        svg = tmp_path / "qr" / f"window-{window.number}.svg"
        assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()
        decoded = zxingcpp.read_barcodes(Image.open(png))
        assert [code.text for code in decoded] == [f"https://hall.example.test/r/{window.qr_token}"]


def test_qr_export_without_windows_says_what_to_do(runner, ctx, tmp_path):
    result = runner.invoke(args=["qr", "export", str(tmp_path / "qr")])
    assert result.exit_code != 0 and "no windows" in result.output


def test_verify_log_passes_on_the_demo_and_names_the_first_broken_link(runner, ctx):
    from sqlalchemy import text

    runner.invoke(args=["demo"])
    ok = runner.invoke(args=["verify-log"])
    assert ok.exit_code == 0 and "rating log intact" in ok.output
    db.session.execute(
        text("UPDATE rating SET level = CASE WHEN level = 5 THEN 4 ELSE 5 END WHERE id = 7")
    )
    db.session.commit()
    broken = runner.invoke(args=["verify-log"])
    assert broken.exit_code == 1
    assert "rating 7 differs from its log (level)" in broken.output


def test_demo_has_suspicious_taps_quarantined_by_the_real_rules(app, runner, ctx):
    """The supervisor finds ratings to review: taps recorded as the phone page records them
    and flagged by the anti-stuffing rules, not rows written with flags."""
    from kiosk.services import rating_log, rating_review

    app.config["STUFFING_FLAG_OFF_HOURS"] = True  # as in production; the taps' times are fixed
    assert runner.invoke(args=["demo"]).exit_code == 0
    held = db.session.scalars(select(Rating).where(Rating.status == "quarantined")).all()
    flags: dict[str, int] = {}
    for rating in held:
        for flag in rating.flags:
            flags[flag] = flags.get(flag, 0) + 1
    assert flags == {"burst": 4, "off_hours": 2, "staff_device": 1}
    assert rating_review.quarantined_count(held[0].hall_id) == 7
    assert {rating.channel for rating in held} == {"qr"}
    # The burst: ten taps in one minute at one window, the first six counted.
    burst = next(r for r in held if "burst" in r.flags)
    minute = burst.created_at.replace(second=0)
    same_minute = db.session.scalars(
        select(Rating.status).where(
            Rating.window_id == burst.window_id,
            Rating.created_at >= minute,
            Rating.created_at < minute + timedelta(minutes=1),
            Rating.idempotency_key.like("demo-%"),
        )
    ).all()
    assert sorted(same_minute) == ["counted"] * 6 + ["quarantined"] * 4
    checked, problems = rating_log.verify()
    assert problems == [] and checked == db.session.scalar(select(func.count(Rating.id)))


def test_the_demo_hall_takes_a_tap_at_any_hour_and_a_rerun_extends_the_cover(
    app, runner, ctx, window
):
    """A tap on the demo hall's QR code is the clerk's and counts, at 05:00, near midnight, the
    next night, and days later once the demo has run again; a real hall keeps its hours."""
    from zoneinfo import ZoneInfo

    from kiosk.services.demo import create_demo
    from kiosk.services.settings import setting
    from tests.conftest import hall_time
    from tests.helpers import give_rating

    app.config["STUFFING_FLAG_OFF_HOURS"] = True  # as in production
    zone = ZoneInfo("Asia/Shanghai")
    dawn = hall_time(2026, 11, 21, 5, 10)  # a Saturday, long before opening time
    create_demo(dawn, zone)
    db.session.commit()
    demo_hall = db.session.scalar(select(Hall).where(Hall.slug == HALL_SLUG))
    first = db.session.scalar(
        select(Window).where(Window.hall_id == demo_hall.id).order_by(Window.number)
    )
    assert setting("OPENING_HOURS", hall=demo_hall) == "00:00-24:00"
    assert setting("BOARD_POLL_SECONDS", hall=demo_hall) == 1
    assert setting("OPENING_HOURS", hall=window.hall) == "08:30-17:30"

    def tap(target: Window, at, key: str) -> Rating:  # type: ignore[no-untyped-def]
        receipt = give_rating(target, 5, key, channel="qr", now=at, screen=True)
        db.session.commit()
        return receipt.rating

    later_run = hall_time(2026, 11, 24, 4, 0)
    moments = [dawn, hall_time(2026, 11, 21, 23, 55), hall_time(2026, 11, 22, 3, 0)]
    for n, at in enumerate(moments):
        rating = tap(first, at, f"newcomer-tap-{n:02d}-0000000000")
        assert rating.status == "counted" and rating.flags == []
        assert rating.staff_id is not None and rating.staff_id == staff_on_duty(first.id, at).id

    before = db.session.scalar(select(func.count(Duty.id)))
    create_demo(later_run, zone)  # again, days later: the data stays, the cover moves on
    db.session.commit()
    assert db.session.scalar(select(func.count(Duty.id))) == before + 16  # that day and the next
    rating = tap(first, later_run, "newcomer-tap-later-0000000000")
    assert rating.status == "counted" and rating.staff_id is not None

    # A real hall at 05:10: no one rostered, and the tap is held as off-hours.
    real = tap(window, dawn, "newcomer-real-hall-0000000000")
    assert real.status == "quarantined" and "off_hours" in real.flags


def test_demo_prints_its_open_hours_and_one_pairing_link_per_device(runner, ctx):
    """The printout says the demo hall alone is open all day and gives a kiosk link and one pad
    link per window, absolute from PUBLIC_URL; a second run gives the same devices new codes."""
    import re

    from kiosk.models import Device

    link = re.compile(r"^  (kiosk|pad \d+) +(https://hall\.example\.test/kiosk/pair/(\w+))$", re.M)
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "演示大厅全天开放（00:00-24:00）" in first.output
    assert "real halls keep their opening hours" in first.output
    links = link.findall(first.output)
    assert [label for label, _url, _code in links] == ["kiosk"] + [f"pad {n}" for n in range(1, 9)]
    devices_made = db.session.scalars(select(Device).order_by(Device.id)).all()
    assert [d.kind for d in devices_made] == ["kiosk"] + ["pad"] * 8
    assert all(d.pairing_code_hash and d.credential_hash is None for d in devices_made)

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    again = link.findall(second.output)
    assert len(again) == 9 and {c for *_, c in again}.isdisjoint({c for *_, c in links})
    assert db.session.scalar(select(func.count(Device.id))) == 9


def test_qr_export_warns_when_the_codes_would_point_at_this_machine(
    app, runner, ctx, tmp_path, make_window
):
    make_window(number=1)
    fine = runner.invoke(args=["qr", "export", str(tmp_path / "fine")])
    assert fine.exit_code == 0 and "警告" not in fine.stderr

    app.config["PUBLIC_URL"] = "http://127.0.0.1:8000"  # the default, as after make demo
    result = runner.invoke(args=["qr", "export", str(tmp_path / "qr")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "qr" / "window-1.png").exists()  # it still writes them, and says why not
    assert "警告：二维码将指向 http://127.0.0.1:8000" in result.stderr
    assert "PUBLIC_URL is still this machine's own address" in result.stderr
    assert "警告" not in result.stdout
