"""The yardstick for bench_journey: the least a Flask + Flask-SQLAlchemy rating journey can do.

A templated page with five buttons and a key; a POST that inserts one row into a table shaped
like `rating` and answers 303; a templated thank-you page. SQLite gets the same settings the
real app uses (WAL, synchronous=NORMAL, a busy timeout) so that the comparison is about the
application's work, not the journal mode. Served by gunicorn as
'bench.minimal_app:create_app()' with DATABASE_URL set.
"""

import os
import uuid
from datetime import UTC, datetime

from flask import Flask, abort, redirect, render_template_string, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

FORM = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>服务评价</title></head><body><h1>{{ token }}号窗口</h1>
<form method="post" action="/r/{{ token }}"><input type="hidden" name="key" value="{{ key }}">
{% for level in (5, 4, 3, 2, 1) %}
<button type="submit" name="level" value="{{ level }}">{{ level }}</button>
{% endfor %}</form></body></html>"""
THANKS = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>感谢评价</title></head><body><p>感谢您的评价！</p><p>{{ key }}</p></body></html>"""


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Rating(db.Model):
    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    window: Mapped[str] = mapped_column(String(43))
    level: Mapped[int]
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


def create_app(database_url: str | None = None) -> Flask:
    """Return the minimal app bound to database_url (default: the DATABASE_URL variable)."""
    app = Flask(__name__)
    url = database_url or os.environ["DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    sqlite = url.startswith("sqlite")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}} if sqlite else {}
    db.init_app(app)
    if sqlite:
        with app.app_context():

            @event.listens_for(db.engine, "connect")
            def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.close()

    @app.get("/healthz")
    def healthz() -> str:
        """Answer the bench's readiness poll."""
        return "ok"

    @app.get("/r/<token>")
    def form(token: str) -> str:
        """Show five buttons and a fresh key."""
        return render_template_string(FORM, token=token, key=uuid.uuid4().hex)

    @app.get("/r/<token>/thanks/<key>")
    def thanks(token: str, key: str) -> str:
        """Thank the resident."""
        return render_template_string(THANKS, key=key)

    @app.post("/r/<token>")
    def rate(token: str):  # type: ignore[no-untyped-def]
        """Insert one rating and redirect."""
        try:
            level = int(request.form["level"])
            key = request.form["key"]
        except (KeyError, ValueError):
            abort(400)
        db.session.add(
            Rating(
                window=token,
                level=level,
                idempotency_key=key,
                created_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )
        db.session.commit()
        return redirect(f"/r/{token}/thanks/{key}", code=303)

    return app
