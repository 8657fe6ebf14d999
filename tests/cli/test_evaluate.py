"""flask evaluate --period … [--json]: the period's results on the command line."""

import json
from datetime import datetime, timedelta

import pytest

from kiosk.extensions import db
from tests.helpers import give_rating

NOW = datetime(2026, 11, 20, 6, 0)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CLOCK": lambda: NOW}


def test_json_lists_each_person_with_staff_no_name_and_breakdown(
    runner, window, staff, put_on_duty
):
    put_on_duty(staff, window, NOW - timedelta(hours=2), NOW + timedelta(hours=6))
    for i in range(10):
        give_rating(
            window,
            5 if i % 2 else 4,
            f"cli-key-{i:04d}",
            channel="qr",
            now=NOW - timedelta(minutes=i),
        )
    db.session.commit()
    result = runner.invoke(args=["evaluate", "--period", "2026Q4", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["period"] == "2026Q4" and data["finalised_at"] is None
    assert data["scheme"] == {"name": "窗口人员考核方案", "version": "2026.3"}
    (row,) = data["results"]
    assert (row["staff_no"], row["name"]) == ("XF001", "王芳")
    # 10 ratings, 5 × 100 + 5 × 80 = 900: mean 90 is also the hall mean, so the index is 90.
    assert row["satisfaction"]["smoothed"] == 90.0
    # Residents' taps are the only source: under the default scheme's gate that is 未评定.
    assert (row["score"], row["grade"], row["rank"]) == (None, None, None)
    assert "too_few_sources" in row["flags"]
    texts = [line["text"] for line in row["explanation"]]
    assert any("居民满意度 90.00" in text for text in texts)
    assert any(text.startswith("未评定：本期只有 1 项评价来源") for text in texts)


def test_plain_output_is_one_line_per_person(runner, staff):
    result = runner.invoke(args=["evaluate", "--period", "2026-11"])
    assert result.exit_code == 0, result.output
    assert "XF001" in result.output and "王芳" in result.output and "不计分" in result.output


def test_malformed_period_is_a_usage_error(runner, hall):
    result = runner.invoke(args=["evaluate", "--period", "2026Q9", "--json"])
    assert result.exit_code == 2
    assert "2026Q4" in result.output


def test_several_halls_need_a_hall_slug(runner, hall, make_hall):
    make_hall(slug="other")
    result = runner.invoke(args=["evaluate", "--period", "2026"])
    assert result.exit_code == 1 and "--hall" in result.output
    chosen = runner.invoke(args=["evaluate", "--period", "2026", "--hall", "other", "--json"])
    assert chosen.exit_code == 0 and json.loads(chosen.output)["hall"] == "other"
