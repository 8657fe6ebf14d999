"""Is this instance fit to serve: database reachable, migrations current, configuration sane."""

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from kiosk.extensions import db


@dataclass(frozen=True)
class MigrationStatus:
    """Where the database's schema stands against the code's migrations."""

    state: str  # "current", "behind" (or elsewhere), "unversioned", "empty"
    current: tuple[str, ...]
    head: tuple[str, ...]

    @property
    def ok(self) -> bool:
        # "unversioned": every model table exists but Alembic never ran, as when tests or a
        # developer build the schema with db.create_all(); production always migrates.
        return self.state in ("current", "unversioned")


@functools.cache
def _heads(directory: str) -> tuple[str, ...]:
    # The migration scripts do not change while the process runs: read them once.
    script = ScriptDirectory(directory)
    return tuple(sorted(script.get_heads()))


def migrations_directory() -> str:
    """Return the Alembic scripts folder Flask-Migrate was set up with."""
    return str(current_app.extensions["migrate"].directory)


def migration_status() -> MigrationStatus:
    """Compare the database's Alembic revision with the newest migration in the code."""
    head = _heads(migrations_directory())
    conn = db.session.connection()  # the request's own connection: no second pool checkout
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" not in tables:
        state = "unversioned" if set(db.metadata.tables) <= tables else "empty"
        return MigrationStatus(state, (), head)
    current = tuple(
        sorted(row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version")))
    )
    return MigrationStatus("current" if current == head else "behind", current, head)


# --- configuration check ------------------------------------------------------------------

NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "fuse.glusterfs",
        "fuse.sshfs",
        "sshfs",
        "davfs",
        "fuse.davfs2",
        "fuse.rclone",
        "lustre",
        "gpfs",
        "beegfs",
    }
)
WEAK_SECRETS = frozenset(
    {"dev", "secret", "changeme", "change-me", "change_me", "replace-me", "test", "x"}
)


@dataclass(frozen=True)
class Finding:
    """One configuration problem and what to do about it."""

    level: str  # "error" (must fix before serving) or "warning"
    problem: str
    remedy: str


def mount_fstype(path: Path, mounts_text: str) -> str | None:
    """Return the filesystem type of the mount holding path, from /proc/mounts text."""
    best: tuple[int, str] | None = None
    target = str(path)
    for line in mounts_text.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        # /proc/mounts escapes spaces and tabs in mount points as octal.
        mount_point = parts[1].replace("\\040", " ").replace("\\011", "\t")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and (best is None or len(mount_point) > best[0]):
            best = (len(mount_point), parts[2])
    return best[1] if best else None


def _read_mounts() -> str:
    try:
        return Path("/proc/mounts").read_text()
    except OSError:
        return ""


def sqlite_path(uri: str) -> Path | None:
    """Return the file of a SQLite database URL, or None for other databases and :memory:."""
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def check_configuration(mounts_text: str | None = None) -> list[Finding]:
    """Return the configuration mistakes of the current app, errors first."""
    config = current_app.config
    findings: list[Finding] = []
    findings += _check_secret(str(config.get("SECRET_KEY") or ""), current_app.instance_path)
    findings += public_url_findings()
    findings += _check_database(
        config["SQLALCHEMY_DATABASE_URI"],
        _read_mounts() if mounts_text is None else mounts_text,
    )
    if current_app.debug or config.get("DEBUG"):
        findings.append(
            Finding(
                "error",
                "debug mode is on: an error would show source code and variables to visitors",
                "unset FLASK_DEBUG and KIOSK_DEBUG; in production serve only through gunicorn",
            )
        )
    if config.get("TESTING"):
        findings.append(
            Finding("error", "TESTING is on", "unset KIOSK_TESTING; it is for the test suite only")
        )
    findings += _check_migrations()
    return sorted(findings, key=lambda f: f.level != "error")


def _check_secret(secret: str, instance_path: str) -> list[Finding]:
    key_file = Path(instance_path) / "secret_key"
    placeholder = secret.lower().startswith(("replace", "change", "your-", "secret"))
    if not secret or secret.lower() in WEAK_SECRETS or len(secret) < 16 or placeholder:
        return [
            Finding(
                "error",
                "SECRET_KEY is empty, short or a well-known default: anyone could forge "
                "sessions and form tokens",
                "set KIOSK_SECRET_KEY to a random value, e.g. the output of "
                "python3 -c 'import secrets; print(secrets.token_hex(32))'",
            )
        ]
    if key_file.exists() and key_file.read_text().strip() == secret:
        return [
            Finding(
                "warning",
                f"SECRET_KEY comes from the generated {key_file}: fine for one server",
                "with several servers sharing one database, set the same KIOSK_SECRET_KEY on "
                "every one of them, or sign-ins and rating forms break between servers",
            )
        ]
    return []


def public_url_findings() -> list[Finding]:
    """Return what is wrong with PUBLIC_URL, the address printed in the QR codes."""
    config = current_app.config
    return _check_public_url(
        str(config.get("PUBLIC_URL") or ""), config.get("SERVER_NAME"), int(config["PROXY_HOPS"])
    )


def _check_public_url(public_url: str, server_name: str | None, proxy_hops: int) -> list[Finding]:
    findings: list[Finding] = []
    parts = urlsplit(public_url)
    if not public_url or parts.scheme not in ("http", "https") or not parts.hostname:
        return [
            Finding(
                "error",
                f"PUBLIC_URL is unset or malformed ({public_url!r}): QR codes would not work",
                "set KIOSK_PUBLIC_URL to the address residents' phones reach, "
                "e.g. https://hall.example.cn",
            )
        ]
    host = parts.hostname
    if host in ("127.0.0.1", "localhost", "::1", "0.0.0.0") or host.startswith("127."):  # noqa: S104
        findings.append(
            Finding(
                "error",
                f"PUBLIC_URL is still this machine's own address ({public_url}): printed QR "
                "codes would not open on residents' phones",
                "set KIOSK_PUBLIC_URL to the public name or address of the site, then export "
                "the QR codes again (flask --app kiosk qr export DIR)",
            )
        )
    if server_name and server_name.split(":")[0] != host:
        findings.append(
            Finding(
                "error",
                f"PUBLIC_URL's host {host} does not match SERVER_NAME {server_name}",
                "use the same host name in both (or unset SERVER_NAME)",
            )
        )
    if parts.scheme == "http" and not findings:
        findings.append(
            Finding(
                "warning",
                "PUBLIC_URL uses http: passwords and sessions cross the network in clear text",
                "set up HTTPS in nginx as docs/deploy.md shows and make KIOSK_PUBLIC_URL https://",
            )
        )
    if parts.scheme == "https" and proxy_hops == 0:
        findings.append(
            Finding(
                "warning",
                "PUBLIC_URL is https but PROXY_HOPS is 0: behind nginx the app cannot tell the "
                "request came over https, so redirects and secure cookies go wrong",
                "behind nginx set KIOSK_PROXY_HOPS=1 (one more for each further proxy)",
            )
        )
    return findings


def _check_database(uri: str, mounts_text: str) -> list[Finding]:
    path = sqlite_path(uri)
    if path is None:
        return []
    resolved = Path(os.path.realpath(path))
    fstype = mount_fstype(resolved, mounts_text)
    if fstype and fstype.lower() in NETWORK_FILESYSTEMS:
        return [
            Finding(
                "error",
                f"the SQLite database {resolved} is on a network filesystem ({fstype}): its "
                "file locks are unreliable there and the database can be corrupted",
                "keep the database on a local disk (KIOSK_INSTANCE_PATH, or "
                "DATABASE_URL=sqlite:////local/path); for several servers use PostgreSQL "
                "(docs/deploy.md)",
            )
        ]
    return []


def _check_migrations() -> list[Finding]:
    try:
        status = migration_status()
    except Exception as error:  # any driver error means the same thing here
        return [
            Finding(
                "error",
                f"cannot reach the database ({type(error).__name__})",
                "check DATABASE_URL, that the database server runs, and its user and password",
            )
        ]
    if status.ok:
        return []
    current = ", ".join(status.current) or status.state
    return [
        Finding(
            "error",
            f"the database schema is not current (database: {current}, "
            f"code: {', '.join(status.head)})",
            "run flask --app kiosk db upgrade (the systemd unit does this before every start)",
        )
    ]
