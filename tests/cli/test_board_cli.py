"""flask board rebuild: recount the tallies after a restore or a bulk import."""

from sqlalchemy import delete

from kiosk.extensions import db
from kiosk.models import RatingTally
from kiosk.services import board
from tests.board_helpers import NOW, seed_board


def test_rebuild_restores_the_board_after_the_tallies_were_lost(
    runner, make_window, make_staff, put_on_duty
):
    seeded = seed_board(make_window, make_staff, put_on_duty)
    before = board.standings(seeded.hall, "month", NOW)
    db.session.execute(delete(RatingTally))
    db.session.commit()
    assert board.standings(seeded.hall, "month", NOW).ranked == ()

    result = runner.invoke(args=["board", "rebuild", "--hall", "xingfu"])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    db.session.expire_all()
    assert board.standings(seeded.hall, "month", NOW) == before


def test_rebuild_of_an_unknown_hall_fails_clearly(runner, hall):
    result = runner.invoke(args=["board", "rebuild", "--hall", "nowhere"])
    assert result.exit_code != 0
    assert "no hall with slug 'nowhere'" in result.output
