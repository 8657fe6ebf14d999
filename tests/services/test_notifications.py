"""Supervisor notifications: an outbox filled with the rating, delivered later with retries."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Notification
from kiosk.services import notifications
from tests.conftest import hall_time
from tests.helpers import give_rating

pytestmark = pytest.mark.sqlite_only  # outbox logic and HTTP; no database-specific queries

T0 = hall_time(2026, 11, 20, 10)
PHONE = "13812345678"


class Hook:
    """A webhook receiver on 127.0.0.1 answering with the given statuses, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(hook.statuses.pop(0) if hook.statuses else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook(app):
    receivers: list[Hook] = []

    def start(statuses: list[int] = ()) -> Hook:  # type: ignore[assignment]
        receiver = Hook(list(statuses))
        receivers.append(receiver)
        app.config["COMPLAINT_WEBHOOK_URL"] = receiver.url
        return receiver

    yield start
    for receiver in receivers:
        receiver.close()


def pending(now):
    return notifications.due_notifications(now)


def test_nothing_is_queued_when_no_channel_is_configured(make_complaint):
    make_complaint(T0)
    assert db.session.scalars(select(Notification)).all() == []


def test_bad_rating_and_complaint_are_queued_without_the_phone(hook, make_complaint):
    hook()
    complaint = make_complaint(T0, phone=PHONE, level=2)
    queued = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [n.event for n in queued] == ["rating.bad", "complaint.created"]
    payload = queued[1].payload
    assert payload["complaint_id"] == complaint.id and payload["has_phone"] is True
    assert payload["window"] == 3 and payload["staff_no"] == "XF001"
    assert payload["url"].endswith(f"/staff/complaints/{complaint.id}")
    assert PHONE not in json.dumps(queued[0].payload) + json.dumps(payload)


def test_good_ratings_are_not_notified(hook, window):

    hook()
    give_rating(window, 4, "good-key-0001", channel="qr", now=T0)
    db.session.commit()
    assert db.session.scalars(select(Notification)).all() == []


def test_a_phone_tap_that_changes_a_rating_to_a_bad_one_is_notified_once(hook, window):
    # The same phone re-taps within the interval: 5, then 1 (its rating is now a 差评), then 2.
    from datetime import timedelta as minutes_later

    hook()
    for number, level in enumerate([5, 1, 2]):
        give_rating(
            window, level, f"retap-key-{number:04d}", channel="qr",
            now=T0 + minutes_later(minutes=number), device="phone-hash-1",
            replace_within=minutes_later(minutes=30),
        )  # fmt: skip
    db.session.commit()
    queued = db.session.scalars(select(Notification)).all()
    assert [(n.event, n.payload["level"]) for n in queued] == [("rating.bad", 1)]


def test_a_failed_delivery_is_retried_with_backoff_then_sent(hook, make_complaint):
    receiver = hook([500])
    make_complaint(T0)
    first, second = pending(T0)
    assert notifications.deliver(first, T0) == "retrying"
    assert first.next_attempt_at == T0 + timedelta(minutes=1) and first.last_error == "HTTP 500"
    assert notifications.deliver(second, T0) == "sent"
    db.session.commit()
    assert pending(T0) == []  # the failed one waits for its backoff
    assert pending(T0 + timedelta(minutes=1)) == [first]
    assert notifications.deliver(first, T0 + timedelta(minutes=1)) == "sent"
    db.session.commit()
    assert first.sent_at == T0 + timedelta(minutes=1) and first.attempts == 2
    assert [b["event"] for b in receiver.bodies] == [
        "rating.bad",
        "complaint.created",
        "rating.bad",
    ]
    assert PHONE not in json.dumps(receiver.bodies)


def test_delivery_gives_up_after_the_last_attempt(app, hook, make_complaint):
    app.config["NOTIFY_MAX_ATTEMPTS"] = 3
    hook([503, 503, 503, 503])
    make_complaint(T0)
    notification = pending(T0)[0]
    now = T0
    outcomes = []
    for _ in range(3):
        outcomes.append(notifications.deliver(notification, now))
        now = notification.next_attempt_at
    assert outcomes == ["retrying", "retrying", "failed"]
    assert notification.failed_at is not None
    assert notification.id not in [n.id for n in pending(T0 + timedelta(days=1))]


def test_an_unreachable_receiver_is_a_retry_not_a_crash(app, make_complaint):
    from tests.pgserver import free_port

    app.config["COMPLAINT_WEBHOOK_URL"] = f"http://127.0.0.1:{free_port()}/hook"
    make_complaint(T0)
    notification = pending(T0)[0]
    assert notifications.deliver(notification, T0) == "retrying"
    assert notification.last_error


def test_backoff_doubles_up_to_an_hour():
    assert [notifications.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 7, 8, 20)] == [
        1,
        2,
        4,
        60,
        60,
        60,
    ]


class FakeSMTP:
    sent: ClassVar[list] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = host

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def send_message(self, message) -> None:  # type: ignore[no-untyped-def]
        FakeSMTP.sent.append(message)


def test_mail_is_sent_through_the_configured_server(app, make_complaint, monkeypatch):
    app.config.update(MAIL_SERVER="mail.example.test", MAIL_TO=("boss@example.test",))
    FakeSMTP.sent = []
    monkeypatch.setattr(notifications.smtplib, "SMTP", FakeSMTP)
    make_complaint(T0, text="窗口没人", phone=PHONE)
    for notification in pending(T0):
        assert notification.channel == "mail"
        assert notifications.deliver(notification, T0) == "sent"
    subjects = [m["Subject"] for m in FakeSMTP.sent]
    assert subjects == ["[好差评] 新差评：3号窗口", "[好差评] 新投诉：3号窗口"]
    body = FakeSMTP.sent[1].get_content()
    assert (
        "窗口没人" in body and PHONE not in body and FakeSMTP.sent[1]["To"] == "boss@example.test"
    )


def test_numbers_typed_into_the_complaint_are_masked_in_webhook_and_mail(
    app, hook, make_complaint, monkeypatch
):
    receiver = hook()
    app.config.update(MAIL_SERVER="mail.example.test", MAIL_TO=("boss@example.test",))
    FakeSMTP.sent = []
    monkeypatch.setattr(notifications.smtplib, "SMTP", FakeSMTP)
    make_complaint(T0, text="请打138-1234-5678联系我", phone=None)
    queued = [n for n in pending(T0) if n.event == "complaint.created"]
    assert [n.payload["text"] for n in queued] == ["请打138****5678联系我"] * 2
    # A notice queued before numbers in the text were masked is masked when it is sent.
    queued[0].payload = {**queued[0].payload, "text": "请打138-1234-5678联系我"}
    for notification in queued:
        assert notifications.deliver(notification, T0) == "sent"
    assert [b["text"] for b in receiver.bodies] == ["请打138****5678联系我"]
    body = FakeSMTP.sent[0].get_content()
    assert "请打138****5678联系我" in body and "1234-5678" not in body
