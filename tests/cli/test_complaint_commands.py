"""flask complaints erase-contacts and flask notify."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Complaint, Notification
from kiosk.services import complaints
from tests.conftest import hall_time

T0 = hall_time(2026, 11, 2, 10)


def close(complaint, user, now):
    complaints.verify(complaint, user, valid=False, reason="不属实", severity=None, now=now)
    complaints.close(complaint, user, note="", now=now)
    db.session.commit()


def test_erase_contacts_command(app, runner, make_complaint, make_user, set_clock):
    sup = make_user("sup1")
    old, fresh = make_complaint(T0), make_complaint(T0)
    close(old, sup, T0)
    close(fresh, sup, T0 + timedelta(days=20))
    set_clock(T0 + timedelta(days=31))
    result = runner.invoke(args=["complaints", "erase-contacts"])
    assert result.exit_code == 0, result.output
    assert "erased contact details of 1 closed complaints" in result.output
    db.session.expire_all()
    assert db.session.get(Complaint, old.id).contact_phone is None
    assert db.session.get(Complaint, fresh.id).contact_phone == "13812345678"


def test_erase_contacts_command_erases_numbers_typed_into_the_text(
    app, runner, make_complaint, make_user, set_clock
):
    sup = make_user("sup1")
    typed = make_complaint(T0, phone=None, text="请打138-1234-5678或0755-1234567找我")
    close(typed, sup, T0)
    set_clock(T0 + timedelta(days=31))
    result = runner.invoke(args=["complaints", "erase-contacts"])
    assert "erased contact details of 1 closed complaints" in result.output
    db.session.expire_all()
    assert db.session.get(Complaint, typed.id).text == "请打[已删除]或[已删除]找我"


def test_notify_command_delivers_the_outbox_to_a_webhook(app, runner, make_complaint, set_clock):
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        app.config["COMPLAINT_WEBHOOK_URL"] = f"http://127.0.0.1:{server.server_address[1]}/"
        make_complaint(T0)
        set_clock(T0 + timedelta(seconds=5))
        result = runner.invoke(args=["notify"])
        assert result.exit_code == 0, result.output
        assert "sent 2, retrying 0, failed 0" in result.output
        assert [body["event"] for body in received] == ["rating.bad", "complaint.created"]
        again = runner.invoke(args=["notify"])
        assert "sent 0" in again.output and len(received) == 2
        db.session.expire_all()
        assert all(n.sent_at for n in db.session.scalars(select(Notification)))
    finally:
        server.shutdown()
        server.server_close()
