"""Every index on the rating and rating_log tables is there for a query that uses it.

USES names, for each index, the code whose query needs it; the test runs that code, takes the
statements it sent, and asks the planner (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL
after ANALYZE, as autovacuum would have run it) whether one of them reads the index. An index
added to these tables without an entry here fails the first test; an index that its query no
longer uses fails the second.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, text

from kiosk.extensions import db
from kiosk.models import Hall, Rating, Staff, Window
from kiosk.services import anti_stuffing, dashboard, invitations, rating_review, ratings
from tests.conftest import hall_time
from tests.helpers import give_rating

NOW = hall_time(2026, 11, 20, 15)


@dataclass(frozen=True)
class Scene:
    hall: Hall
    window: Window
    staff: Staff


@dataclass(frozen=True)
class Use:
    """The code whose query an index serves, and a phrase picking that query's statement."""

    code: str
    run: Callable[[Scene], object]
    statement_has: str


USES: dict[tuple[str, str], Use] = {
    ("rating", "ix_rating_hall_created"): Use(
        "dashboard.alerts: today's 差评 of the hall, whatever their status",
        lambda s: dashboard.alerts(s.hall.id, NOW),
        "rating.level <=",
    ),
    ("rating", "ix_rating_staff_created"): Use(
        "dashboard.recent_ratings: a clerk's latest ratings on their own page",
        lambda s: dashboard.recent_ratings(s.staff.id),
        "rating.staff_id =",
    ),
    ("rating", "ix_rating_window_created"): Use(
        "anti_stuffing.services_today: a window's unverified ratings today",
        lambda s: _services_today(s),
        "rating.verified",
    ),
    ("rating", "ix_rating_device_window"): Use(
        "ratings.record_rating: the same phone's earlier rating of a window, to replace",
        lambda s: _replace_tap(s),
        "rating.device_hash =",
    ),
    ("rating", "ix_rating_quarantined"): Use(
        "rating_review.quarantined_count: ratings waiting for review (home page, queue)",
        lambda s: rating_review.quarantined_count(s.hall.id),
        "count(",
    ),
    ("rating", "uq_rating_idempotency_key"): Use(
        "ratings.find_rating_by_key: a retried submission finds its rating",
        lambda s: ratings.find_rating_by_key("index-key-1"),
        "rating.idempotency_key =",
    ),
}
# Read by other queries too, which need no index of their own:
#   ix_rating_hall_created: board.ticker, rating_review.rating_page/export_csv with a date range,
#     board_cache.rebuild; ix_rating_staff_created: invitations.console_counts;
#   ix_rating_quarantined: rating_review.quarantined (the queue, oldest first) and
#     quarantined_levels (a clerk's held ratings on their dashboard).
# rating_log has no index but its primary key: it is appended to and read in id order.
TABLES = ("rating", "rating_log")


def _services_today(s: Scene) -> object:
    invitations.sign_in(s.staff, s.window, now=NOW - timedelta(hours=1))
    invitations.mint_invitation(s.staff, now=NOW - timedelta(minutes=30))
    return anti_stuffing.services_today([s.window.id], NOW - timedelta(hours=8), NOW)


def _replace_tap(s: Scene) -> object:
    return give_rating(
        s.window,
        4,
        "index-key-again",
        channel="qr",
        now=NOW,
        device="phone",
        replace_within=timedelta(hours=1),
    )


@pytest.fixture
def scene(hall: Hall, window: Window, staff: Staff, make_window: Callable[..., Window]) -> Scene:
    # Enough rows for the planner to weigh one index against another as in use: two months
    # of a small hall, few of them held for review; written directly, since only the plans
    # matter here (nothing reads the tallies).
    others = [make_window(number=n) for n in (11, 12, 13)]
    db.session.execute(
        insert(Rating),
        [
            {
                "hall_id": hall.id,
                "window_id": (window, *others)[n % 4].id,
                "staff_id": staff.id if n % 3 else None,
                "level": n % 5 + 1,
                "channel": "qr",
                "idempotency_key": f"index-bulk-{n:05d}",
                "device_hash": f"device-{n % 400:03d}",
                "created_at": NOW - timedelta(days=60) + timedelta(minutes=29 * n),
                "received_at": NOW,
                "status": "quarantined" if n % 50 == 0 else "counted",
                "flags": [],
            }
            for n in range(3000)
        ],
    )
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE rating"))  # autovacuum's statistics, as in use
    for n, status in enumerate(("counted", "quarantined", "excluded", "counted"), start=1):
        give_rating(
            window,
            n,
            f"index-key-{n}",
            channel="qr",
            now=NOW - timedelta(minutes=10 * n),
            status=status,
            served_by=staff,
            device="phone",
        )
    db.session.commit()
    return Scene(hall, window, staff)


def _live_indexes(table: str) -> dict[str, str]:
    """Return {name in the models: name in the database} of the table's indexes (no primary key)."""
    connection = db.session.connection()
    model = db.metadata.tables[table]
    by_columns = {
        tuple(c.name for c in constraint.columns): str(constraint.name)
        for constraint in model.constraints
        if constraint.__class__.__name__ == "UniqueConstraint"
    }
    by_columns.update({(c.name,): f"uq_{table}_{c.name}" for c in model.columns if c.unique})
    found: dict[str, str] = {}
    if connection.dialect.name == "sqlite":
        for _seq, name, _unique, origin, _partial in connection.exec_driver_sql(
            f"PRAGMA index_list({table})"
        ):
            if origin == "pk":
                continue
            columns = tuple(
                row[2] for row in connection.exec_driver_sql(f"PRAGMA index_info({name})")
            )
            found[by_columns[columns] if origin == "u" else name] = name
        return found
    rows = connection.execute(
        text(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = :table AND NOT x.indisprimary"
        ),
        {"table": table},
    )
    return {name: name for (name,) in rows}


@contextmanager
def _statements() -> Iterator[list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []

    def keep(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if not many:
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def _plan(statement: str, parameters: Any) -> str:
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
    rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(str(row[0]) for row in rows)


def test_every_index_on_the_rating_tables_names_the_query_that_uses_it(scene):
    live = {(table, name) for table in TABLES for name in _live_indexes(table)}
    assert live == set(USES), "add the query that needs the index to USES, or drop the index"


@pytest.mark.parametrize("key", sorted(USES), ids=lambda key: key[1])
def test_the_query_named_for_an_index_reads_it(scene, key):
    table, name = key
    use = USES[key]
    live_name = _live_indexes(table)[name]
    with _statements() as sent:
        use.run(scene)
    wanted = [(s, p) for s, p in sent if f"FROM {table}" in s and use.statement_has in s]
    assert wanted, f"{use.code}: no statement on {table} with {use.statement_has!r}"
    plans = [_plan(statement, parameters) for statement, parameters in wanted]
    assert any(live_name in plan for plan in plans), f"{use.code} does not read {name}:\n" + (
        "\n---\n".join(plans)
    )
