"""Site-wide pages: home, health check, language switch."""

import functools
import hashlib
import os
from typing import Any

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.security import safe_join

from kiosk.extensions import db
from kiosk.i18n import LANG_COOKIE
from kiosk.redirects import local_path_or
from kiosk.services.health import migration_status

bp = Blueprint("main", __name__)


@functools.cache
def _static_version(path: str, mtime_ns: int, size: int) -> str:
    # Keyed on mtime and size so a changed file is hashed again; the content hash makes the
    # version the same in every worker and on every host.
    del mtime_ns, size
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:10]


@bp.app_url_defaults
def version_static_urls(endpoint: str, values: dict[str, Any]) -> None:
    """Add ?v=<version> to static URLs so nginx can let browsers cache them for a year.

    The version changes whenever the file does (an upgrade), so no one sees a stale stylesheet.
    """
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    path = safe_join(current_app.static_folder or "", values["filename"])
    if path is None:
        return
    try:
        stat = os.stat(path)
        values["v"] = _static_version(path, stat.st_mtime_ns, stat.st_size)
    except (OSError, ValueError):
        return


@bp.get("/")
def index() -> ResponseReturnValue:
    """Show what this site is and where to go."""
    return render_template("main/index.html")


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Serve the icon browsers ask for at this fixed address (pages link the SVG one)."""
    folder = os.path.join(current_app.static_folder or "", "icons")
    return send_from_directory(folder, "favicon.ico", max_age=7 * 24 * 3600)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Report whether the database answers and its migrations are current (503 if not)."""
    try:
        db.session.execute(text("SELECT 1"))
        status = migration_status()
    except SQLAlchemyError:
        current_app.logger.exception("health check: database unreachable")
        return jsonify(status="error", database="unreachable"), 503
    body = {
        "status": "ok" if status.ok else "error",
        "database": "ok",
        "migrations": status.state,
        "revision": list(status.current),
        "head": list(status.head),
    }
    return jsonify(body), 200 if status.ok else 503


@bp.get("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    """Remember the chosen language in a cookie and go back."""
    response = redirect(local_path_or(request.args.get("next"), url_for("main.index")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,  # no script reads it; the server picks the language
            secure=request.is_secure,
        )
    return response
