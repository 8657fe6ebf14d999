"""flask check: configuration mistakes reported with what to do, non-zero exit on errors."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade

from kiosk import create_app
from kiosk.extensions import db
from kiosk.services.health import check_configuration, mount_fstype

GOOD = {
    "SECRET_KEY": "9f1c2a7e4b6d8f0a1c3e5a7b9d1f3a5c",
    "PUBLIC_URL": "https://hall.example.cn",
    "PROXY_HOPS": 1,
}


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Return a factory of migrated, non-test instances configured as given."""
    made: list[Flask] = []

    def make(**config: Any) -> Flask:
        url = f"sqlite:///{tmp_path / f'c{len(made)}.sqlite3'}"
        settings = {"SQLALCHEMY_DATABASE_URI": url, **config}
        app = create_app(settings, instance_path=str(tmp_path / f"i{len(made)}"))
        with app.app_context():
            upgrade()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def check(app: Flask):  # type: ignore[no-untyped-def]
    with app.app_context():
        return app.test_cli_runner().invoke(args=["check"])


def test_a_well_configured_instance_passes(instance) -> None:
    result = check(instance(**GOOD))
    assert result.exit_code == 0, result.output
    assert "no configuration problems" in result.output


def test_the_out_of_the_box_settings_fail_with_what_to_do(instance) -> None:
    result = check(instance(SECRET_KEY="dev", DEBUG=True))
    assert result.exit_code == 1
    out = result.output
    assert "ERROR    SECRET_KEY is empty, short or a well-known default" in out
    assert "set KIOSK_SECRET_KEY" in out
    assert "PUBLIC_URL is still this machine's own address (http://127.0.0.1:8000)" in out
    assert "set KIOSK_PUBLIC_URL" in out
    assert "debug mode is on" in out
    assert "3 error(s)" in out


def test_a_generated_secret_key_is_a_warning_about_several_hosts(instance) -> None:
    config = {k: v for k, v in GOOD.items() if k != "SECRET_KEY"}
    result = check(instance(**config))
    assert result.exit_code == 0, result.output
    assert "WARNING  SECRET_KEY comes from the generated" in result.output
    assert "same KIOSK_SECRET_KEY on every one" in result.output


@pytest.mark.parametrize("url", ["", "hall.example.cn", "ftp://hall.example.cn"])
def test_a_missing_or_malformed_public_url_is_an_error(instance, url) -> None:
    result = check(instance(**{**GOOD, "PUBLIC_URL": url}))
    assert result.exit_code == 1
    assert "PUBLIC_URL is unset or malformed" in result.output


def test_a_public_url_not_matching_the_server_name_is_an_error(instance) -> None:
    result = check(instance(**GOOD, SERVER_NAME="other.example.cn"))
    assert result.exit_code == 1
    assert "does not match SERVER_NAME other.example.cn" in result.output


def test_https_without_a_trusted_proxy_is_a_warning(instance) -> None:
    result = check(instance(**{**GOOD, "PROXY_HOPS": 0}))
    assert result.exit_code == 0
    assert "KIOSK_PROXY_HOPS=1" in result.output


def test_an_unmigrated_database_is_an_error(instance) -> None:
    app = instance(**GOOD)
    with app.app_context():
        from flask_migrate import downgrade

        downgrade(revision="0001")
    result = check(app)
    assert result.exit_code == 1
    assert "run flask --app kiosk db upgrade" in result.output


MOUNTS = """\
sysfs /sys sysfs rw,nosuid 0 0
/dev/sda1 / ext4 rw,relatime 0 0
nas:/export/hall /srv/hall nfs4 rw,relatime,vers=4.2 0 0
//fs/share /mnt/share\\040drive cifs rw 0 0
"""


def test_mount_type_is_the_longest_matching_mount_point() -> None:
    assert mount_fstype(Path("/srv/hall/instance/hall.sqlite3"), MOUNTS) == "nfs4"
    assert mount_fstype(Path("/srv/hallway/db.sqlite3"), MOUNTS) == "ext4"
    assert mount_fstype(Path("/mnt/share drive/x.sqlite3"), MOUNTS) == "cifs"


def test_sqlite_on_a_network_filesystem_is_an_error(instance, tmp_path) -> None:
    app = instance(**GOOD)
    mounts = f"/dev/sda1 / ext4 rw 0 0\nnas:/x {tmp_path} nfs rw 0 0\n"
    with app.app_context():
        findings = check_configuration(mounts_text=mounts)
    assert [f.level for f in findings] == ["error"]
    assert "network filesystem (nfs)" in findings[0].problem
    assert "PostgreSQL" in findings[0].remedy


def test_sqlite_on_a_local_disk_is_fine(instance, tmp_path) -> None:
    app = instance(**GOOD)
    with app.app_context():
        assert check_configuration(mounts_text=f"/dev/sda1 {tmp_path} ext4 rw 0 0\n") == []
