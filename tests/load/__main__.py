"""Run the load and fault scenarios at full size and print the table: python -m tests.load.

`python -m tests.load --short` runs the sizes `make test` uses; naming scenarios (by the start
of their name) runs only those. Exits 1 when any scenario missed a target.
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from tests.load.driver import load_average, run_scenario, table
from tests.load.scenarios import FULL, SHORT
from tests.pgserver import PostgresServer
from tests.redisserver import RedisServer


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--short", action="store_true", help="the sizes make test runs")
    parser.add_argument("--keep", action="store_true", help="keep the logs and databases")
    parser.add_argument("names", nargs="*", help="run only scenarios whose name starts so")
    args = parser.parse_args(argv)
    chosen = [
        s
        for s in (list(SHORT.values()) if args.short else FULL)
        if not args.names or any(s.name.startswith(n) for n in args.names)
    ]
    work = Path(tempfile.mkdtemp(prefix="kiosk-load-"))
    pg = redis = None
    results = []
    try:
        if any(s.backend == "postgres" for s in chosen):
            pg = PostgresServer().start()
        if any(s.redis for s in chosen):
            redis = RedisServer().start()
        for number, scenario in enumerate(chosen, 1):
            print(f"[{number}/{len(chosen)}] {scenario.name} … {load_average()}", flush=True)
            result = run_scenario(
                scenario,
                work / f"s{number}",
                pg=pg,
                redis_url=redis.url() if redis else None,
            )
            results.append(result)
            extra = []
            if result.restart_s is not None:
                extra.append(f"pg_ctl restart took {result.restart_s:.1f} s")
            if result.login_statuses:
                extra.append(f"sign-in statuses {result.login_statuses}")
            if result.redis_login_count is not None:
                extra.append(
                    f"failed sign-ins counted in Redis {result.redis_login_count}, "
                    f"rate-limit rows in the database {result.database_login_rows}"
                )
            print(
                f"    {result.seconds:.1f} s; board counters "
                f"{'agree' if result.tally_ok else 'DIFFER'}; rating log "
                f"{'intact' if result.log_ok else 'BROKEN'}"
                + ("; " + "; ".join(extra) if extra else ""),
                flush=True,
            )
    finally:
        if redis:
            redis.stop()
        if pg:
            pg.stop()
        if args.keep:
            print(f"logs and databases kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(results))
    print(load_average())
    failed = [(r.scenario.name, r.problems()) for r in results if r.problems()]
    for name, problems in failed:
        print(f"FAILED {name}: {'; '.join(problems)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
