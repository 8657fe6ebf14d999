"""Configuration defaults; instance/config.py and KIOSK_* environment variables override them."""

import os
import secrets
import time
from pathlib import Path


class Defaults:
    """Settings a fresh installation starts with."""

    # Where the printed QR codes point: the address residents' phones can reach.
    PUBLIC_URL = "http://127.0.0.1:8000"
    HALL_TIMEZONE = "Asia/Shanghai"
    # A second rating from the same phone for the same window within this many minutes
    # replaces the first.
    SAME_DEVICE_INTERVAL_MINUTES = 30
    # Ratings and complaints are small; staff photos are the largest upload (oversize -> 413).
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # Staff photo uploads above this are refused on the form (they are scaled to 512 px anyway).
    STAFF_PHOTO_MAX_BYTES = 1536 * 1024
    # Evidence a station round's members attach (photos, PDFs). A phone photo is 2-6 MB (it is
    # re-encoded to at most 2048 px), so that one route takes a larger request than the rest:
    # kiosk.security.BODY_LIMITS, and its location in deploy/nginx-kiosk.conf.
    EVIDENCE_MAX_BYTES = 8 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Behind HTTPS set both to true (KIOSK_SESSION_COOKIE_SECURE, KIOSK_REMEMBER_COOKIE_SECURE);
    # off by default so the plain-HTTP demo on 127.0.0.1 can sign in.
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    DEVICE_COOKIE_NAME = "hall_device"
    DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
    # Complaint deadlines in Chinese working days (核实, 整改, 回访; 申诉: how long after a valid
    # verdict the staff member may appeal) and extra local holidays as ISO dates; read through
    # kiosk.services.settings.setting().
    COMPLAINT_VERIFY_DAYS = 1
    COMPLAINT_RECTIFY_DAYS = 5
    COMPLAINT_FOLLOWUP_DAYS = 2
    COMPLAINT_APPEAL_DAYS = 5
    EXTRA_HOLIDAYS: tuple[str, ...] = ()
    # Supervisor notifications of new 差评 and complaints, delivered by `flask --app kiosk notify`
    # from an outbox: a webhook (POST JSON, no phone numbers; empty URL = off) and/or e-mail
    # (empty MAIL_SERVER = off; MAIL_TO is a tuple of addresses). Failed deliveries are retried
    # with exponential backoff, NOTIFY_MAX_ATTEMPTS times in all.
    COMPLAINT_WEBHOOK_URL = ""
    COMPLAINT_WEBHOOK_TIMEOUT = 5
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USE_STARTTLS = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "noreply@localhost"
    MAIL_TO: tuple[str, ...] = ()
    NOTIFY_MAX_ATTEMPTS = 8
    # Seconds between polls of the supervisors' dashboard alerts (new 差评 and complaints).
    DASHBOARD_POLL_SECONDS = 15
    # Complainants' phone numbers are erased this many days after the complaint closes.
    CONTACT_RETENTION_DAYS = 30
    # Hall opening hours, local time ("08:30-17:30"; a closing time of 24:00 means midnight),
    # used to flag ratings outside them.
    OPENING_HOURS = "08:30-17:30"
    # Ballot stuffing (kiosk.services.anti_stuffing). Ratings over a limit are stored but
    # quarantined and flagged "burst": at most STUFFING_DEVICE_LIMIT from one phone (device
    # cookie) per STUFFING_DEVICE_SECONDS (kiosks and pads use their own burst settings), at
    # most STUFFING_WINDOW_LIMIT for one window and STUFFING_HALL_LIMIT for one hall per
    # STUFFING_WINDOW_SECONDS / STUFFING_HALL_SECONDS, counted by tap time in fixed windows
    # shared by every worker and host (kiosk.services.limits).
    STUFFING_DEVICE_LIMIT = 5
    STUFFING_DEVICE_SECONDS = 60
    STUFFING_WINDOW_LIMIT = 6
    STUFFING_WINDOW_SECONDS = 60
    STUFFING_HALL_LIMIT = 60
    STUFFING_HALL_SECONDS = 60
    # Flag ratings given outside OPENING_HOURS ("off_hours"); false for a hall open all day.
    STUFFING_FLAG_OFF_HOURS = True
    # At a window that used 办结·邀请评价 today, unverified ratings beyond the day's invitations
    # plus this allowance are flagged "exceeds_services".
    STUFFING_SERVICES_ALLOWANCE = 3
    # A browser that signed in to the staff area is remembered as a staff device for at least
    # this many days (at most twice as long); its ratings are flagged "staff_device".
    STAFF_DEVICE_MEMORY_DAYS = 7
    # Hall board: seconds between polls of the standings, and per view in the rotation.
    BOARD_POLL_SECONDS = 10
    BOARD_ROTATE_SECONDS = 20
    # Staff sessions end after this many idle minutes, and this many hours after sign-in.
    SESSION_IDLE_MINUTES = 30
    SESSION_MAX_HOURS = 12
    # Failed sign-ins allowed per account within LOGIN_WINDOW_SECONDS; an address (a whole hall
    # behind one NAT) is throttled only after failures for this many distinct usernames, or
    # this many failures in all (kiosk.services.sign_in_limits).
    LOGIN_FAILURE_LIMIT = 10
    LOGIN_ADDRESS_ACCOUNT_LIMIT = 20
    LOGIN_ADDRESS_FAILURE_LIMIT = 50
    LOGIN_WINDOW_SECONDS = 15 * 60
    # Evaluation scheme (考核方案) as a TOML file; empty means the shipped default scheme
    # (scoring/default_scheme.toml). Copy that file, change it and give it a new version.
    SCORING_SCHEME_PATH = ""
    # Kiosks and window pads (paired devices). The credential cookie is httpOnly and
    # SameSite=Strict; a pairing code works once and expires after DEVICE_PAIRING_MINUTES.
    DEVICE_CREDENTIAL_COOKIE = "hall_device_credential"
    DEVICE_PAIRING_MINUTES = 30
    # Wrong staff exit PINs in a row before the device locks the PIN pad, and for how long.
    DEVICE_PIN_MAX_FAILURES = 5
    DEVICE_PIN_LOCK_MINUTES = 5
    # How long a 办结·邀请评价 invitation (and its short-lived QR on the pad) stays valid.
    INVITATION_TTL_SECONDS = 600
    # Seconds between the pad's polls for a new invitation.
    PAD_POLL_SECONDS = 2
    # POST /api/v1/ratings: oldest tap accepted (offline replay), and how far a device's clock
    # may run ahead before a tap time counts as "in the future".
    RATING_REPLAY_MAX_HOURS = 72
    DEVICE_CLOCK_SKEW_SECONDS = 300
    # Hall board: at most this many ranked lines on the TV (two columns); the rest are counted.
    BOARD_ROWS = 20
    # The ratings CSV streams on the web up to this many rows; a larger range is refused with a
    # message to narrow it or to run `flask --app kiosk ratings export` on the server. Chosen so
    # the largest file streams well inside gunicorn's --timeout (60 s, deploy/kiosk.service).
    EXPORT_STREAM_MAX_ROWS = 500_000
    # Seconds SQLite waits for another writer before giving up.
    SQLITE_BUSY_TIMEOUT = 30
    # How many reverse proxies (nginx: 1) stand in front of gunicorn and set X-Forwarded-For,
    # -Proto and -Host. 0 trusts none of those headers, right when gunicorn faces clients.
    PROXY_HOPS = 0
    # Redis URL (redis://host:6379/0) shared by every worker and host; used by rate limiting.
    # None keeps those counters in the database.
    REDIS_URL: str | None = None
    # Prefix of every Redis key this site writes, so several sites can share one Redis.
    REDIS_KEY_PREFIX = "kiosk:"
    # Folder holding pg_dump and pg_restore for backup/restore on PostgreSQL; None looks them
    # up on PATH, then in /usr/lib/postgresql/<newest>/bin.
    PG_BINDIR: str | None = None
    # One JSON line per request on stdout (request id, method, path, status, duration).
    LOG_REQUESTS = True
    LOG_LEVEL = "INFO"


def database_url(instance_path: str) -> str:
    """Return the database URL: DATABASE_URL if set, else a SQLite file in instance/."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "hall.sqlite3")
    return normalise_database_url(url)


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_or_create_secret_key(instance_path: str) -> str:
    """Read instance/secret_key, creating it with a random value on first run.

    O_EXCL makes the creation safe when several gunicorn workers start at once.
    """
    path = Path(instance_path) / "secret_key"
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.01)  # another worker is writing it right now
        raise RuntimeError(f"{path} is empty; delete it to generate a new key") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
