"""Friendly error pages, and JSON errors under /api/."""

import logging

import redis
from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from kiosk.security_log import security_event

log = logging.getLogger(__name__)


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("请求无效"), _("提交的内容不完整或格式不对，请返回重试。")),
        403: (_("没有权限"), _("您没有权限访问这个页面。")),
        404: (_("页面不存在"), _("您要找的页面不存在，二维码可能已失效。")),
        405: (_("不支持的操作"), _("这个地址不接受这种请求。")),
        413: (_("内容过大"), _("提交的内容太大，请精简后重试。")),
        429: (_("操作太频繁"), _("请稍后再试。")),
        500: (_("系统出错了"), _("服务器暂时出现问题，请稍后重试；您的评价不会丢失。")),
        # 503 (database or Redis briefly out of reach) tells residents the same as 500.
        503: (_("系统出错了"), _("服务器暂时出现问题，请稍后重试；您的评价不会丢失。")),
    }


def wants_json() -> bool:
    """Return whether the client should get a JSON error (API routes)."""
    return request.path.startswith("/api/")


def render_error(code: int, detail: str | None = None) -> tuple[Response | str, int]:
    """Render the error page (or JSON) for an HTTP status code."""
    title, message = _messages().get(code, (str(code), ""))
    if wants_json():
        return jsonify(error=title, detail=detail or message, status=code), code
    return render_template(
        "errors/error.html", code=code, title=title, message=detail or message
    ), code


def forget_refused_body() -> None:
    """Treat a body refused as too large (413) as empty, so rendering a page cannot trip on it."""
    request.__dict__.setdefault("form", request.parameter_storage_class())
    request.__dict__.setdefault("files", request.parameter_storage_class())


def handle_http(error: HTTPException) -> ResponseReturnValue:
    """Show the friendly page for any HTTP error."""
    code = error.code or 500
    if code == 413:
        forget_refused_body()
    detail = None
    if code in (400, 413, 429) and wants_json() and error.description:
        detail = error.description
    return render_error(code, detail)


def handle_csrf(error: CSRFError) -> ResponseReturnValue:
    """Explain an expired or missing form token (the rating page has its own: kiosk.public)."""
    security_event(
        "csrf_failed", warning=True, endpoint=request.endpoint, reason=str(error.description)
    )
    return render_error(400, _("表单已过期，请刷新页面后重新提交。"))


def handle_unexpected(error: Exception) -> ResponseReturnValue:
    """Log an unexpected error and show the 500 page without details."""
    log.exception("unhandled error", exc_info=error)
    return render_error(InternalServerError.code)


def backend_unavailable(error: Exception) -> bool:
    """Return whether error means the database or Redis is out of reach for a moment.

    A restarted PostgreSQL, a busy SQLite beyond its timeout ("database is locked") or an
    unreachable Redis; any other database error is a bug.
    """
    if isinstance(error, DBAPIError):
        return isinstance(error, OperationalError) or bool(error.connection_invalidated)
    return True


def retry_after(response: ResponseReturnValue) -> Response:
    """Return response as a 503 that asks the client to repeat the request in 2 seconds."""
    response = make_response(response)
    response.status_code = 503
    response.headers["Retry-After"] = "2"
    return response


def handle_unavailable(error: Exception) -> ResponseReturnValue:
    """Answer 503 with Retry-After when the database or Redis is out of reach for a moment.

    The request may be repeated as it is (ratings carry idempotency keys), and phones, kiosks
    and pads retry any 5xx.
    """
    if not backend_unavailable(error):
        return handle_unexpected(error)
    log.warning("backend unavailable", exc_info=error)
    return retry_after(render_error(503))


def init_errors(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(DBAPIError, handle_unavailable)
    app.register_error_handler(redis.exceptions.ConnectionError, handle_unavailable)
    app.register_error_handler(redis.exceptions.TimeoutError, handle_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
