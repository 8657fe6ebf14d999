"""flask ratings export: the ratings CSV of any size as a file, there only once it is whole."""

import csv
import io
from datetime import timedelta

import pytest

from kiosk.extensions import db
from kiosk.services import rating_export
from tests.conftest import hall_time
from tests.helpers import give_rating

T0 = hall_time(2026, 3, 10, 10)


@pytest.fixture
def folder(tmp_path):
    """Where the file goes, apart from the test's database."""
    made = tmp_path / "exports"
    made.mkdir()
    return made


def rate(window, days):
    for n, day in enumerate(days):
        give_rating(window, 5, f"cli-export-{n}", channel="qr", now=T0 + timedelta(days=day))
    db.session.commit()


def test_the_file_holds_the_range_beyond_the_web_limit_and_its_count(
    app, runner, hall, window, folder
):
    rate(window, [-20, 0, 1, 2, 30])
    app.config["EXPORT_STREAM_MAX_ROWS"] = 1  # the command is for what the web refuses
    out = folder / "ratings.csv"
    result = runner.invoke(
        args=["ratings", "export", "--hall", hall.slug, "--from", "2026-03-10", "--to",
              "2026-03-12", "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: 3 ratings of {hall.slug}" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8").removeprefix("\ufeff"))))
    assert [row[0][:10] for row in rows[1:-1]] == ["2026-03-12", "2026-03-11", "2026-03-10"]
    assert rows[-1] == ["导出完毕，共 3 条评价"]
    assert list(folder.iterdir()) == [out]


def test_a_failed_export_leaves_no_file_that_could_pass_for_whole(
    app, runner, hall, window, folder, monkeypatch
):
    rate(window, [0, 1])
    out = folder / "ratings.csv"
    out.write_text("last month's file")

    def broken(hall_id, f):
        yield from ()
        raise OSError("disk full")

    monkeypatch.setattr(rating_export, "rating_rows", broken)
    result = runner.invoke(args=["ratings", "export", "--hall", hall.slug, "--out", str(out)])
    assert result.exit_code != 0 and isinstance(result.exception, OSError)
    assert out.read_text() == "last month's file"  # untouched, and no partial file beside it
    assert list(folder.iterdir()) == [out]


def test_an_unknown_hall_or_backward_range_is_refused(ctx, runner, hall, folder):
    out = str(folder / "ratings.csv")
    result = runner.invoke(args=["ratings", "export", "--hall", "nowhere", "--out", out])
    assert result.exit_code != 0 and "no hall 'nowhere'" in result.output
    result = runner.invoke(
        args=["ratings", "export", "--hall", hall.slug, "--from", "2026-03-02", "--to",
              "2026-03-01", "--out", out]
    )  # fmt: skip
    assert result.exit_code != 0 and "--from is after --to" in result.output
    assert not list(folder.iterdir())
