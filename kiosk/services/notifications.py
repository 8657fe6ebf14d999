"""Telling supervisors about new 差评 and complaints: the dashboard, a webhook, e-mail.

The dashboard needs nothing from here (it polls the database). For the webhook and e-mail the
rating's transaction only adds Notification rows (an outbox); ``flask --app kiosk notify``
delivers them afterwards, so a slow or broken receiver can never delay or lose a rating.
A failed delivery is retried after 1, 2, 4, … minutes (capped at an hour), NOTIFY_MAX_ATTEMPTS
times in all. Payloads never contain the complainant's phone number: numbers typed into the
complaint's text are masked (138****5678), as on the staff pages.
"""

import json
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Complaint, Notification, Rating
from kiosk.services.privacy import mask_phone_numbers
from kiosk.services.settings import setting

MAX_BACKOFF = timedelta(hours=1)


def channels() -> list[str]:
    """Return the delivery channels that are switched on."""
    on = []
    if setting("COMPLAINT_WEBHOOK_URL"):
        on.append("webhook")
    if setting("MAIL_SERVER") and setting("MAIL_TO"):
        on.append("mail")
    return on


def _enqueue(hall_id: int, event: str, payload: dict[str, Any], now: datetime) -> None:
    for channel in channels():
        db.session.add(
            Notification(
                hall_id=hall_id,
                channel=channel,
                event=event,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
        )


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def _staff_link(path: str) -> str:
    public_url: str = setting("PUBLIC_URL")
    return public_url.rstrip("/") + path


def bad_rating_received(rating: Rating, now: datetime) -> None:
    """Queue a notice of a new 差评 (levels 1–2)."""
    if not channels():
        return
    payload = {
        "event": "rating.bad",
        "hall": rating.hall.slug,
        "window": rating.window.number,
        "window_name": rating.window.name,
        "staff_no": rating.staff.staff_no if rating.staff else None,
        "staff_name": rating.staff.name if rating.staff else None,
        "level": rating.level,
        "status": rating.status,
        "channel": rating.channel,
        "rating_id": rating.id,
        "created_at": _iso(rating.created_at),
        "url": _staff_link("/staff/dashboard"),
    }
    _enqueue(rating.hall_id, "rating.bad", payload, now)


def complaint_created(complaint: Complaint, now: datetime) -> None:
    """Queue a notice of a new complaint (without the phone number)."""
    if not channels():
        return
    payload = {
        "event": "complaint.created",
        "hall": complaint.hall.slug,
        "window": complaint.window.number if complaint.window else None,
        "window_name": complaint.window.name if complaint.window else None,
        "staff_no": complaint.staff.staff_no if complaint.staff else None,
        "staff_name": complaint.staff.name if complaint.staff else None,
        "level": complaint.rating.level if complaint.rating else None,
        "reason_tags": list(complaint.reason_tags),
        "text": mask_phone_numbers(complaint.text),
        "has_phone": bool(complaint.contact_phone),
        "complaint_id": complaint.id,
        "created_at": _iso(complaint.created_at),
        "verify_due_at": _iso(complaint.verify_due_at) if complaint.verify_due_at else None,
        "url": _staff_link(f"/staff/complaints/{complaint.id}"),
    }
    _enqueue(complaint.hall_id, "complaint.created", payload, now)


class DeliveryError(Exception):
    """The receiver did not accept the notification."""


def send_webhook(payload: dict[str, Any]) -> None:
    """POST payload as JSON to COMPLAINT_WEBHOOK_URL; raise DeliveryError unless 2xx."""
    url = setting("COMPLAINT_WEBHOOK_URL")
    if not url.startswith(("http://", "https://")):
        raise DeliveryError("COMPLAINT_WEBHOOK_URL must be an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above; URL is an admin setting
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 - same URL, checked above
            request, timeout=setting("COMPLAINT_WEBHOOK_TIMEOUT")
        ) as response:
            if not 200 <= response.status < 300:
                raise DeliveryError(f"HTTP {response.status}")
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise DeliveryError(type(error).__name__ + ": " + str(error)[:150]) from None


def mail_message(payload: dict[str, Any]) -> EmailMessage:
    """Return the e-mail for a payload (plain text, Chinese)."""
    message = EmailMessage()
    kind = "新投诉" if payload["event"] == "complaint.created" else "新差评"
    where = f"{payload['window']}号窗口" if payload.get("window") else "大厅"
    message["Subject"] = f"[好差评] {kind}：{where}"
    message["From"] = setting("MAIL_FROM")
    message["To"] = ", ".join(setting("MAIL_TO"))
    lines = [
        f"{kind}：{where} {payload.get('window_name') or ''}",
        f"工作人员：{payload.get('staff_name') or '—'} {payload.get('staff_no') or ''}",
    ]
    if payload.get("level"):
        lines.append(f"评价等级：{payload['level']}")
    if payload.get("text"):
        lines.append(f"内容：{payload['text']}")
    lines += [f"时间（UTC）：{payload['created_at']}", f"处理：{payload['url']}"]
    message.set_content("\n".join(lines))
    return message


def send_mail(payload: dict[str, Any]) -> None:
    """Send the payload's e-mail through MAIL_SERVER; raise DeliveryError on failure."""
    try:
        with smtplib.SMTP(setting("MAIL_SERVER"), setting("MAIL_PORT"), timeout=10) as smtp:
            if setting("MAIL_USE_STARTTLS"):
                smtp.starttls()
            if setting("MAIL_USERNAME"):
                smtp.login(setting("MAIL_USERNAME"), setting("MAIL_PASSWORD"))
            smtp.send_message(mail_message(payload))
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(type(error).__name__ + ": " + str(error)[:150]) from None


SENDERS = {"webhook": send_webhook, "mail": send_mail}


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """Return the wait before retry number attempts (1, 2, 4, … minutes, at most an hour)."""
    return min(timedelta(minutes=2 ** (attempts - 1)), MAX_BACKOFF)


def due_notifications(now: datetime, limit: int = 100) -> list[Notification]:
    """Return notifications waiting to be (re)sent at now, oldest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(
                Notification.sent_at.is_(None),
                Notification.failed_at.is_(None),
                Notification.next_attempt_at <= now,
            )
            .order_by(Notification.id)
            .limit(limit)
        )
    )


def _masked(payload: dict[str, Any]) -> dict[str, Any]:
    # Notices queued before numbers in the text were masked get the same treatment when sent.
    if not payload.get("text"):
        return payload
    return {**payload, "text": mask_phone_numbers(payload["text"])}


def deliver(notification: Notification, now: datetime) -> str:
    """Try to send one notification; return "sent", "retrying" or "failed"."""
    notification.attempts += 1
    try:
        SENDERS[notification.channel](_masked(notification.payload))
    except DeliveryError as error:
        notification.last_error = str(error)[:200]
        if notification.attempts >= setting("NOTIFY_MAX_ATTEMPTS"):
            notification.failed_at = now
            return "failed"
        notification.next_attempt_at = now + backoff(notification.attempts)
        return "retrying"
    notification.sent_at = now
    notification.last_error = ""
    return "sent"
