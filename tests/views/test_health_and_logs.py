"""/healthz for load balancers, one JSON log line per request, and trusted proxy headers."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from kiosk import create_app
from kiosk.extensions import db
from tests.helpers import rate


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[Flask]:
    """An instance whose database was built by the migrations, as in production."""
    app = create_app(
        {"SECRET_KEY": "k" * 32, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"},
        instance_path=str(tmp_path / "m"),
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_healthz_is_ok_when_migrations_are_current(migrated: Flask) -> None:
    with migrated.app_context():
        upgrade()
    response = migrated.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["migrations"] == "current"
    assert body["revision"] == body["head"] and body["head"]


def test_healthz_fails_while_migrations_are_behind(migrated: Flask) -> None:
    with migrated.app_context():
        upgrade(revision="0001")
    response = migrated.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["migrations"] == "behind" and body["revision"] == ["0001"]


def test_healthz_fails_on_a_database_never_migrated(migrated: Flask) -> None:
    response = migrated.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["migrations"] == "empty"


def test_healthz_accepts_a_schema_built_without_alembic(client) -> None:
    # Tests and live test servers build the schema with create_all(): complete, unversioned.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["migrations"] == "unversioned"


def _log_lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def test_each_request_logs_one_json_line_with_its_request_id(client, window, capsys) -> None:
    response = client.get(f"/r/{window.qr_token}?secret=hunter2&phone=13812345678")
    assert response.status_code == 200
    lines = [e for e in _log_lines(capsys.readouterr().out) if e["event"] == "request"]
    assert len(lines) == 1
    entry = lines[0]
    assert entry["method"] == "GET"
    assert entry["path"] == "/r/<token>"  # the route, not the window's token
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float)
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert len(entry["request_id"]) >= 16


def test_a_well_formed_request_id_from_the_proxy_is_kept(client, capsys) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "nginx-4f2a9c1d0e"})
    assert response.headers["X-Request-ID"] == "nginx-4f2a9c1d0e"
    assert _log_lines(capsys.readouterr().out)[-1]["request_id"] == "nginx-4f2a9c1d0e"


@pytest.mark.parametrize("bad", ["short", "has spaces in it", '{"inject":"json"}', "x" * 200])
def test_a_malformed_request_id_is_replaced(client, bad, capsys) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": bad})
    assert response.headers["X-Request-ID"] != bad
    out = capsys.readouterr().out
    assert bad not in out
    assert _log_lines(out)[-1]["request_id"] == response.headers["X-Request-ID"]


def test_logs_hold_no_personal_data_from_a_complaint(client, window, capsys) -> None:
    from tests.helpers import hidden_fields

    thanks = rate(client, window.qr_token, 1)
    page = client.get(thanks.headers["Location"])
    data = {
        **hidden_fields(page.get_data(as_text=True)),
        "text": "窗口人员态度很差",
        "phone": "13812345678",
        "reasons": ["attitude"],
    }
    response = client.post(thanks.headers["Location"], data=data)
    assert response.status_code == 303
    out = capsys.readouterr().out
    assert '"status": 303' in out
    assert "13812345678" not in out and "态度很差" not in out
    assert "127.0.0.1" not in out  # no client addresses either


def test_errors_are_logged_as_json_with_the_request_id(app, client, capsys) -> None:
    @app.get("/boom-for-test")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("kaput")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom-for-test")
    assert response.status_code == 500
    entries = _log_lines(capsys.readouterr().out)
    error = next(e for e in entries if e["level"] == "error")
    assert "kaput" in error["exception"]
    assert error["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize(("hops", "secure"), [(0, False), (1, True)])
def test_forwarded_proto_is_believed_only_with_proxy_hops(
    app_config, tmp_path, window, hops, secure
):
    app = create_app({**app_config, "PROXY_HOPS": hops}, instance_path=str(tmp_path / "p"))
    response = app.test_client().get(
        f"/r/{window.qr_token}",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert ("Secure" in cookie) is secure
