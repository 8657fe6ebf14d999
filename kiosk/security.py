"""Security headers on every response, and secure cookies when served over HTTPS."""

from flask import Flask, Response, abort, current_app, make_response, request
from flask_babel import gettext as _

from kiosk.errors import render_error

# No inline script or style anywhere: scripts and styles come from /static only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Every response carries these unless its view set its own.
HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Same-origin requests keep their Referer: Flask-WTF's strict CSRF check refuses an HTTPS
    # POST without one. Other sites are sent nothing (QR tokens and rating keys are in paths).
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def set_security_headers(response: Response) -> Response:
    """Add the headers every response carries (one pass over the response's headers)."""
    present = {name.lower() for name, _value in response.headers}
    wanted = (*HEADERS, HSTS) if request.is_secure else HEADERS
    response.headers.extend([header for header in wanted if header[0].lower() not in present])
    return response


def has_nul(value: object) -> bool:
    """Return whether value, or any string inside a JSON-like value, holds a NUL character.

    Walks nested lists and objects without recursion: any depth the JSON parser accepted.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def refuse_nul_characters() -> None:
    """Answer 400 to a form or query string with a NUL character in it, before any view runs.

    No text anyone types holds one, PostgreSQL cannot store one, and SQLite would keep it
    invisibly: refused alike on every database, with nothing written.
    """
    values = [*request.args.listvalues()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.listvalues()
    if any("\x00" in value for group in values for value in group):
        abort(make_response(render_error(400, _("提交的内容含有无效字符，请删除后重试。"))))


# Routes that take a larger body than MAX_CONTENT_LENGTH: endpoint -> the setting that sizes
# the file they take (a little more is allowed for the form's other fields).
BODY_LIMITS = {"district.attach_evidence": "EVIDENCE_MAX_BYTES"}
FORM_FIELDS_ALLOWANCE = 64 * 1024


def allow_larger_bodies() -> None:
    """Raise the request size limit for the routes in BODY_LIMITS, before anything reads a form.

    Registered ahead of the CSRF check, which reads the form of every POST.
    """
    setting_name = BODY_LIMITS.get(request.endpoint or "")
    if setting_name is not None:
        limit = int(current_app.config[setting_name]) + FORM_FIELDS_ALLOWANCE
        request.max_content_length = limit


def init_security(app: Flask) -> None:
    """Register the headers; mark cookies Secure when the public address is HTTPS."""
    if str(app.config.get("PUBLIC_URL", "")).startswith("https://"):
        app.config.setdefault("SESSION_COOKIE_SECURE", True)
        app.config["SESSION_COOKIE_SECURE"] = True
    app.after_request(set_security_headers)
    app.before_request(refuse_nul_characters)
