"""The deployment guide and example files stay true to the code they deploy."""

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flask import url_for

from kiosk import create_app, security

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "docs" / "deploy.md"
APP_DIR = "/srv/kiosk"  # where the examples install the code


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name)
    return parser


def test_the_unit_migrates_first_then_starts_gunicorn_on_the_wsgi_entry_point() -> None:
    service = unit("kiosk.service")["Service"]
    pre = shlex.split(service["ExecStartPre"])
    assert pre == [f"{APP_DIR}/.venv/bin/flask", "--app", "kiosk", "db", "upgrade"]
    start = shlex.split(service["ExecStart"])
    assert start[0] == f"{APP_DIR}/.venv/bin/gunicorn"
    assert start[-1] == "wsgi:app"
    options = dict(zip(start[1:-1:2], start[2:-1:2], strict=True))
    assert options["--bind"].startswith("127.0.0.1:")
    assert int(options["--workers"]) >= 2
    # Longer than SQLite's busy timeout, so lock waits end cleanly instead of killing workers.
    assert int(options["--timeout"]) > create_app({"SECRET_KEY": "x"}).config["SQLITE_BUSY_TIMEOUT"]
    assert service["WorkingDirectory"] == APP_DIR
    assert service["EnvironmentFile"] == "/etc/kiosk/kiosk.env"


def test_the_wsgi_entry_point_imports_and_is_the_app(tmp_path: Path) -> None:
    module, attribute = ["wsgi", "app"]
    env = {**os.environ, "KIOSK_INSTANCE_PATH": str(tmp_path), "KIOSK_SECRET_KEY": "k" * 32}
    code = f"import {module}; print(type({module}.{attribute}).__name__, {module}.{attribute}.name)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Flask", "kiosk"]


def test_nginx_forwards_the_headers_the_trusted_proxy_setting_expects() -> None:
    site = (DEPLOY / "nginx-kiosk.conf").read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port"):
        assert re.search(rf"proxy_set_header\s+{header}\s", site), header
    assert "proxy_set_header X-Request-ID $request_id;" in site
    env = (DEPLOY / "kiosk.env.example").read_text()
    assert re.search(r"^KIOSK_PROXY_HOPS=1$", env, re.M)  # nginx is one hop
    upstream = re.search(r"server\s+(127\.0\.0\.1:\d+);", site)
    assert upstream is not None
    start = unit("kiosk.service")["Service"]["ExecStart"]
    assert f"--bind {upstream[1]}" in start


def test_nginx_serves_the_real_static_folder_with_long_caching() -> None:
    site = (DEPLOY / "nginx-kiosk.conf").read_text()
    alias = re.search(r"location /static/ \{\s*alias ([^;]+);", site)
    assert alias is not None
    assert alias[1] == f"{APP_DIR}/kiosk/static/"
    assert (ROOT / "kiosk" / "static" / "css" / "site.css").exists()
    assert "max-age=31536000" in site
    body = re.search(r"client_max_body_size (\d+)m;", site)
    app = create_app({"SECRET_KEY": "x"})
    assert body is not None and int(body[1]) * 1024 * 1024 == app.config["MAX_CONTENT_LENGTH"]
    # The evidence route's location takes what the app takes there (kiosk.security.BODY_LIMITS).
    evidence = re.search(r"location ~ (\S+) \{\s*client_max_body_size (\d+)m;", site)
    assert evidence is not None
    with app.test_request_context():
        url = url_for("district.attach_evidence", slug="fuxing", round_id=3, hall_id=7)
    assert re.match(evidence[1], url) and not re.match(evidence[1], url + "/x")
    route_limit = app.config["EVIDENCE_MAX_BYTES"] + security.FORM_FIELDS_ALLOWANCE
    assert int(evidence[2]) * 1024 * 1024 >= route_limit


def test_static_urls_carry_a_content_version_so_long_caching_is_safe() -> None:
    app = create_app({"SECRET_KEY": "x"})
    with app.test_request_context("/"):
        from flask import url_for

        url = url_for("static", filename="css/site.css")
    assert re.fullmatch(r"/static/css/site\.css\?v=[0-9a-f]{10}", url)


def _named_settings() -> set[str]:
    text = GUIDE.read_text() + "".join(p.read_text() for p in DEPLOY.iterdir() if p.is_file())
    return set(re.findall(r"\bKIOSK_[A-Z][A-Z0-9_]*", text))


def test_every_setting_the_guide_names_exists() -> None:
    app = create_app({"SECRET_KEY": "x"})
    code = "".join(p.read_text() for p in (ROOT / "kiosk").rglob("*.py"))
    named = _named_settings()
    assert {"KIOSK_SECRET_KEY", "KIOSK_PUBLIC_URL", "KIOSK_PROXY_HOPS", "KIOSK_REDIS_URL"} <= named
    unknown = {
        name
        for name in named
        # KIOSK_X sets config X (from_prefixed_env), or the code reads the variable itself.
        if name.removeprefix("KIOSK_") not in app.config and f'"{name}"' not in code
    }
    # The helper script's own variables are read by the script, not by the app.
    script = (DEPLOY / "kiosk-flask").read_text()
    unknown = {name for name in unknown if f"${{{name}:-" not in script}
    assert unknown == set()
    assert "DATABASE_URL" in (ROOT / "kiosk" / "config.py").read_text()


def test_the_env_example_loads_into_a_config_that_passes_the_check(tmp_path: Path) -> None:
    values = dict(
        line.split("=", 1)
        for line in (DEPLOY / "kiosk.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")},
        **values,
        "KIOSK_INSTANCE_PATH": str(tmp_path),
    }
    run = [sys.executable, "-m", "flask", "--app", "kiosk"]
    kw = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 120}
    assert subprocess.run([*run, "db", "upgrade"], **kw).returncode == 0  # type: ignore[call-overload]
    placeholder = subprocess.run([*run, "check"], **kw)  # type: ignore[call-overload]
    assert placeholder.returncode == 1  # the placeholder secret is refused
    assert "KIOSK_SECRET_KEY" in placeholder.stdout
    env["KIOSK_SECRET_KEY"] = "aV3ryL0ng-and-Random-Secret_value_for_the_test"
    checked = subprocess.run([*run, "check"], **kw)  # type: ignore[call-overload]
    assert checked.returncode == 0, checked.stdout


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_the_nginx_site_is_valid_nginx_syntax(tmp_path: Path) -> None:
    site = (DEPLOY / "nginx-kiosk.conf").read_text()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=test", "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "c.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = site.replace("/etc/ssl/kiosk/fullchain.pem", str(tmp_path / "c.pem"))
    site = site.replace("/etc/ssl/kiosk/privkey.pem", str(tmp_path / "k.pem"))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ access_log off; include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_nginx_logs_neither_tokens_nor_addresses() -> None:
    # The app's log shows route patterns and nothing about the person; nginx's default access
    # line would show the whole request line (QR tokens, rating keys, invitation links) and
    # the client's address, so every server block names a format without them.
    site = (DEPLOY / "nginx-kiosk.conf").read_text()
    formats = {
        name: " ".join(re.findall(r"'([^']*)'", body))
        for name, body in re.findall(r"^log_format\s+(\w+)\s+(.*?);", site, re.M | re.S)
    }
    servers = site.split("\nserver {")[1:]
    assert len(servers) == 2
    for server in servers:
        directives = re.findall(r"^\s*access_log\s+([^;]*);", server, re.M)
        top = server.split("location", 1)[0]  # the block's own access_log, before any location
        assert re.search(r"^\s*access_log\s+", top, re.M), "a server block logs nginx's default"
        for directive in directives:
            parts = directive.split()
            if parts == ["off"]:
                continue
            assert len(parts) == 2 and parts[1] in formats, directive
            logged = set(re.findall(r"\$\w+", formats[parts[1]]))
            leaks = {"$request", "$request_uri", "$uri", "$args", "$query_string",
                     "$remote_addr", "$http_x_forwarded_for", "$proxy_add_x_forwarded_for",
                     "$http_referer", "$http_user_agent"}  # fmt: skip
            assert not logged & leaks, logged & leaks
            assert "$request_id" in logged  # the id that finds the app's own line
