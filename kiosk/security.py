"""Security headers on every response, and secure cookies when served over HTTPS."""

from flask import Flask, Response, request

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


def init_security(app: Flask) -> None:
    """Register the headers; mark cookies Secure when the public address is HTTPS."""
    if str(app.config.get("PUBLIC_URL", "")).startswith("https://"):
        app.config.setdefault("SESSION_COOKIE_SECURE", True)
        app.config["SESSION_COOKIE_SECURE"] = True
    app.after_request(set_security_headers)
