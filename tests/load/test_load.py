"""Nothing lost, nothing doubled: real gunicorn under concurrent phones, killed workers, a
restarted PostgreSQL, and two instances sharing PostgreSQL and Redis (short sizes; the full
sizes run with `make loadtest`)."""

import pytest

from tests.load.driver import Result, run_scenario, table
from tests.load.scenarios import SHORT

pytestmark = [pytest.mark.load, pytest.mark.slow]


def _checked(result: Result, record: list[Result]) -> Result:
    record.append(result)
    report = table([result])
    assert result.acknowledged == result.scenario.ratings, report
    assert result.lost == 0 and result.duplicates == 0 and result.unexpected_rows == 0, report
    assert result.stored == result.acknowledged, report
    assert result.locked_messages == 0, report
    assert result.tally_ok and result.log_ok, report
    assert not result.problems(timing=False), report
    return result


def test_killing_workers_under_load_on_sqlite_loses_and_doubles_nothing(tmp_path, record):
    result = _checked(run_scenario(SHORT["kill"], tmp_path), record)
    assert result.kills >= 1
    assert result.server_errors == 0  # a killed worker drops connections; it never answers 5xx


@pytest.mark.postgres
def test_a_postgresql_restart_mid_run_loses_nothing_and_requests_recover(tmp_path, load_pg, record):
    result = _checked(run_scenario(SHORT["restart"], tmp_path, pg=load_pg), record)
    assert result.restart_s is not None
    assert result.recovery_s is not None  # ratings were acknowledged after the last failure


@pytest.mark.postgres
def test_two_instances_share_postgresql_counts_and_redis_rate_limits(
    tmp_path, load_pg, redis_server, record
):
    result = _checked(
        run_scenario(SHORT["two"], tmp_path, pg=load_pg, redis_url=redis_server.url()), record
    )
    assert result.server_errors == 0
    # Ten failures spread over both instances: the eleventh on either one is refused.
    assert result.login_statuses == [400] * 10 + [429, 429]
    assert result.redis_login_count == 10
    assert result.database_login_rows == 0
