"""Structured logs: one JSON object per line on stdout, each request tagged with a request id.

systemd's journal (or any log shipper) reads stdout; one line per event keeps grep and jq
useful. Request lines carry method, path (never the query string, which may hold tokens),
status and duration, and nothing about the person: no IP address, no user agent, no form data.
"""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler
from werkzeug.wrappers import Response

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's request id is reused only when it looks like one; anything else could smuggle
# text into the logs, so it is replaced by a fresh id.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
REQUEST_LOGGER = "kiosk.request"
# URL parts that are secrets or bearer tokens (a window's QR token, a one-time invitation, a
# rating's key): a request line shows the route pattern (/i/<token>) instead of the value.
SECRET_URL_ARGS = frozenset({"token", "key", "code", "ticket"})


def loggable_path() -> str:
    """Return the request's path for the log: never the query, never a token in the path."""
    rule = request.url_rule
    if rule is not None and SECRET_URL_ARGS & set(request.view_args or {}):
        return rule.rule
    return request.path


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class RequestIdFilter(logging.Filter):
    """Stamp every record made while serving a request with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            record.request_id = g.get("request_id")
        return True


class StdoutHandler(logging.StreamHandler[TextIO]):
    """Write to whatever sys.stdout is at the moment of writing (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _install_handler(logger: logging.Logger, level: str) -> None:
    logger.removeHandler(default_handler)
    for handler in list(logger.handlers):
        if isinstance(handler, StdoutHandler):
            logger.removeHandler(handler)  # a second create_app() in one process
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def request_id_from(header_value: str | None) -> str:
    """Return the incoming request id if well-formed, else a new random one."""
    if header_value and REQUEST_ID_PATTERN.match(header_value):
        return header_value
    return uuid.uuid4().hex


def init_logging(app: Flask) -> None:
    """Send the app's logs to stdout as JSON lines and log every request once."""
    level = str(app.config.get("LOG_LEVEL") or "INFO").upper()
    _install_handler(app.logger, level)  # "kiosk": the app and every kiosk.* module logger
    log_requests = bool(app.config.get("LOG_REQUESTS", True))
    request_log = logging.getLogger(REQUEST_LOGGER)

    @app.before_request
    def _start_request() -> None:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish_request(response: Response) -> Response:
        request_id = g.get("request_id") or request_id_from(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        if log_requests:
            started = g.get("request_started")
            duration_ms = (time.perf_counter() - started) * 1000 if started else None
            request_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "fields": {
                        "method": request.method,
                        "path": loggable_path(),  # no query string, no tokens
                        "status": response.status_code,
                        "duration_ms": round(duration_ms, 1) if duration_ms is not None else None,
                    },
                },
            )
        return response
