"""Sign-in throttling through Redis: hosts that share only Redis still share the count."""

from typing import Any

import pytest

from kiosk import create_app
from kiosk.extensions import db
from tests.conftest import Auth


@pytest.fixture
def app_config(app_config: dict[str, Any], redis_server, request) -> dict[str, Any]:
    app_config["REDIS_URL"] = redis_server.url()
    app_config["REDIS_KEY_PREFIX"] = f"{request.node.name}:"
    return app_config


def test_failures_on_two_hosts_with_separate_databases_add_up_in_redis(
    app, app_config, tmp_path, make_user
):
    make_user("zhang", "supervisor")
    other = create_app(
        {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}"},
        instance_path=str(tmp_path / "other"),
    )
    with other.app_context():
        db.create_all()
    statuses = []
    for n in range(5):
        statuses.append(Auth(app.test_client()).login("zhang", f"wrong-{n}").status_code)
        statuses.append(Auth(other.test_client()).login("zhang", f"wrong-{n}").status_code)
    assert statuses == [400] * 10
    # The other host has no such user at all, yet the account's failures are counted there too.
    assert Auth(app.test_client()).login("zhang", "s3cure-pass").status_code == 429
    assert Auth(other.test_client()).login("zhang", "anything").status_code == 429


def test_distinct_names_from_one_address_add_up_in_redis_but_spare_a_colleague(
    app, app_config, tmp_path, make_user
):
    make_user("zhang", "supervisor")
    make_user("li", "supervisor")
    other = create_app(
        {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite3'}"},
        instance_path=str(tmp_path / "other"),
    )
    with other.app_context():
        db.create_all()
    for n in range(10):  # one person's ten failures, on both hosts: only that account locks
        Auth((app if n % 2 else other).test_client()).login("zhang", f"wrong-{n}")
    assert Auth(app.test_client()).login("zhang", "s3cure-pass").status_code == 429
    assert Auth(app.test_client()).login("li", "s3cure-pass").status_code == 302
    for n in range(19):  # with zhang, twenty distinct names from this address
        Auth((app if n % 2 else other).test_client()).login(f"guess{n}", "whatever")
    assert Auth(app.test_client()).login("li", "s3cure-pass").status_code == 429
