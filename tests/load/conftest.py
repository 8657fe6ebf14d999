"""Fixtures for the load suite: one PostgreSQL server of its own (it gets restarted mid-run,
which must not disturb the other tests' server), and a table of the results at the end."""

from collections.abc import Iterator

import pytest

from tests.load.driver import Result, load_average, table
from tests.pgserver import PostgresServer

RESULTS: list[Result] = []


@pytest.fixture(scope="module")
def load_pg() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def record() -> list[Result]:
    """Where tests put their results for the summary table."""
    return RESULTS


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if RESULTS:
        terminalreporter.write_sep("-", "load and fault suite (short sizes)")
        terminalreporter.write_line(table(RESULTS))
        terminalreporter.write_line(load_average())
