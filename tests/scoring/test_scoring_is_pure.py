"""`scoring` must stay importable and usable without the web stack."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import sys
import scoring
from scoring import LevelCounts, StaffInput, default_scheme, evaluate_period
from scoring import result_from_dict, result_to_dict
scheme = default_scheme()
result = evaluate_period([StaffInput("a", LevelCounts.of(l5=12))], scheme)
assert result_from_dict(result_to_dict(result)) == result
from scoring import StationInput as Station, evaluate_round, round_from_dict, round_to_dict
from scoring import station_scheme
stations = evaluate_round([Station("s1", "东园")], station_scheme("2019"))
assert round_from_dict(round_to_dict(stations)) == stations
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"flask", "sqlalchemy"})
print(",".join(loaded) or "clean")
"""


def test_importing_and_using_scoring_loads_neither_flask_nor_sqlalchemy():
    # Both are installed, so a stray import inside scoring would really load them.
    assert importlib.util.find_spec("flask") is not None
    assert importlib.util.find_spec("sqlalchemy") is not None
    completed = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert completed.stdout.strip() == "clean"


def test_the_package_ships_its_scheme_and_type_marker():
    assert (ROOT / "scoring" / "default_scheme.toml").is_file()
    assert (ROOT / "scoring" / "station_2019.toml").is_file()
    assert (ROOT / "scoring" / "station_workstation.toml").is_file()
    assert (ROOT / "scoring" / "py.typed").is_file()
