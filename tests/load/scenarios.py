"""The scenarios: FULL for `make loadtest`, SHORT for `make test` (tests/load/test_load.py)."""

from tests.load.driver import Scenario

FULL = [
    Scenario("sqlite 64 clients", "sqlite", clients=64, ratings=5_000),
    Scenario("postgres 64 clients", "postgres", clients=64, ratings=20_000, deadline_s=1200),
    Scenario("sqlite kill -9 a worker every 3 s", "sqlite", 64, 5_000, kill_every_s=3),
    Scenario("postgres kill -9 a worker every 3 s", "postgres", 64, 5_000, kill_every_s=3),
    Scenario("postgres restart mid-run", "postgres", 64, 5_000, restart_postgres=True),
    Scenario(
        "2 instances, postgres + redis",
        "postgres",
        clients=64,
        ratings=5_000,
        instances=2,
        redis=True,
        login_check=True,
    ),
]

SHORT = {
    "kill": Scenario("sqlite kill -9 every 2.5 s", "sqlite", 16, 600, kill_every_s=2.5),
    "restart": Scenario("postgres restart mid-run", "postgres", 16, 800, restart_postgres=True),
    "two": Scenario(
        "2 instances, postgres + redis",
        "postgres",
        clients=8,
        ratings=200,
        instances=2,
        workers=2,
        redis=True,
        login_check=True,
    ),
}
