"""A round's scores: each member's points per station and item, and the round's live result.

A member gives each station of the round but their own points on the checklist's leaf items,
0 up to the item's points, with a note. Items the scheme fills from the product's data, and
items the scheme keeps for other roles, are refused. One row per member, station and item
keeps who scored what; each save that changes something is audited. The live result is the
one adapter from these rows, and from the figures the product fills in itself
(kiosk.services.round_data), to scoring.evaluate_round.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from flask_babel import gettext as _
from sqlalchemy import select

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Hall, RoundMember, RoundScore, StationRound, User
from kiosk.services import audit
from kiosk.services.round_data import StationData, round_data
from kiosk.services.station_rounds import RoundError, round_halls
from scoring import MemberScore, RoundResult, StationInput, evaluate_round, station_scheme
from scoring.scheme import Criterion
from scoring.station_scheme import MemberRole, StationScheme

NOTE_MAX = 500


@dataclass(frozen=True)
class Entry:
    """What a member typed for one item: points (None: left blank) and a note."""

    points: float | None
    note: str = ""


def scheme_of(round_: StationRound) -> StationScheme:
    """Return the station scheme the round applies."""
    return station_scheme(round_.scheme)


def items_for(scheme: StationScheme, role: str) -> list[Criterion]:
    """Return the leaf items a member of role scores, in checklist order."""
    return [
        leaf
        for leaf in scheme.leaves
        if leaf.code not in scheme.auto and role in scheme.roles.get(leaf.code, (role,))
    ]


def member_scores(round_: StationRound, hall: Hall, member: RoundMember) -> dict[str, RoundScore]:
    """Return the member's scores of the station, by item code."""
    rows = db.session.scalars(
        select(RoundScore).where(
            RoundScore.round_id == round_.id,
            RoundScore.hall_id == hall.id,
            RoundScore.member_id == member.id,
        )
    )
    return {row.item: row for row in rows}


def check_may_score(round_: StationRound, hall: Hall, member: RoundMember, actor: User) -> None:
    """Raise RoundError unless actor, as member, may score the station in the round now."""
    if member.round_id != round_.id or member.user_id != actor.id:
        raise RoundError(_("您不是这一轮考核的考核组成员。"), 403)
    if hall.id == member.home_hall_id:
        raise RoundError(_("不能为本人所在的站点评分。"), 403)
    if hall.id not in {station.hall_id for station in round_.stations}:
        raise RoundError(_("这个站点不在本轮考核中。"), 404)
    if round_.status != "open":
        raise RoundError(_("这一轮考核已定稿，不能再评分。"))


def _check_entry(scheme: StationScheme, role: str, code: str, entry: Entry) -> None:
    try:
        item = scheme.item(code)
    except KeyError:
        raise RoundError(_("考核项 %(code)s 不存在。", code=code[:80]), item=code) from None
    if not item.is_leaf:
        raise RoundError(_("请为“%(item)s”的各子项分别评分。", item=item.label), item=code)
    if code in scheme.auto:
        raise RoundError(
            _("“%(item)s”由系统根据本站数据自动计分，不能手工评分。", item=item.label), item=code
        )
    if role not in scheme.roles.get(code, (role,)):
        raise RoundError(_("“%(item)s”不由您这类考核组成员评分。", item=item.label), 403, code)
    if entry.points is not None and not 0 <= entry.points <= item.max_points:
        most = format(item.max_points, "g")
        raise RoundError(
            _("“%(item)s”的分值应在 0 至 %(max)s 之间。", item=item.label, max=most), item=code
        )
    if len(entry.note) > NOTE_MAX:
        raise RoundError(_("说明不超过 %(n)s 字。", n=NOTE_MAX), item=code)


def save_scores(
    round_: StationRound,
    hall: Hall,
    member: RoundMember,
    entries: Mapping[str, Entry],
    *,
    actor: User,
    now: datetime,
) -> int:
    """Store the member's points for the station's items; return how many items changed.

    Every entry is checked before anything is written: one that does not fit raises
    RoundError (its item named) and nothing changes. A blank entry removes the member's
    earlier points for the item. Changes are audited in one entry, old and new points by item.
    """
    check_may_score(round_, hall, member, actor)
    scheme = scheme_of(round_)
    for code, entry in entries.items():
        _check_entry(scheme, member.role, code, entry)
    existing = member_scores(round_, hall, member)
    changed: dict[str, list[float | None]] = {}
    for code, entry in entries.items():
        note = entry.note.strip()
        row = existing.get(code)
        if entry.points is None:
            if row is not None:
                changed[code] = [row.points, None]
                db.session.delete(row)
            continue
        if row is None:
            db.session.add(
                RoundScore(
                    round_id=round_.id,
                    hall_id=hall.id,
                    member_id=member.id,
                    item=code,
                    points=entry.points,
                    note=note,
                    updated_at=now,
                )
            )
            changed[code] = [None, entry.points]
        elif (row.points, row.note) != (entry.points, note):
            if row.points != entry.points:
                changed[code] = [row.points, entry.points]
            else:  # the note alone changed: the points are the same before and after
                changed[code] = [row.points, row.points]
            row.points, row.note, row.updated_at = entry.points, note, now
    if changed:
        db.session.flush()
        audit.record(
            "station_round.score",
            actor=actor,
            target_type="station_round",
            target_id=round_.id,
            hall_id=None,
            detail={"station": hall.slug, "role": member.role, "items": changed},
        )
    return len(changed)


def _station_input(
    hall: Hall,
    members: Mapping[int, RoundMember],
    scores: Mapping[int, dict[str, float]],
    data: StationData,
) -> StationInput:
    home = {member.id: member.home_hall for member in members.values()}
    return StationInput(
        station_id=hall.slug,
        name=hall.name,
        members=tuple(
            MemberScore(
                member_id=str(member_id),
                role=cast(MemberRole, members[member_id].role),
                scores=given,
                home_station_id=home_hall.slug if (home_hall := home[member_id]) else None,
            )
            for member_id, given in sorted(scores.items())
        ),
        metrics=data.metrics,
        deductions=data.deductions,
    )


def live_result(round_: StationRound, now: datetime | None = None) -> RoundResult:
    """Return the round's result from the scores given so far and the stations' own data.

    Every point is explained; now (default: the clock's) decides which valid complaints are
    still 待定 (kiosk.services.round_data).
    """
    members = {member.id: member for member in round_.members}
    by_hall: dict[int, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for row in db.session.scalars(select(RoundScore).where(RoundScore.round_id == round_.id)):
        by_hall[row.hall_id][row.member_id][row.item] = row.points
    data = round_data(round_, now or clock.now()).stations
    stations = [
        _station_input(hall, members, by_hall[hall.id], data[hall.id])
        for hall in round_halls(round_)
    ]
    return evaluate_round(stations, scheme_of(round_))


def scored_counts(round_: StationRound, member: RoundMember) -> dict[int, int]:
    """Return how many items the member has scored, by station (hall id)."""
    counts: dict[int, int] = defaultdict(int)
    for hall_id in db.session.scalars(
        select(RoundScore.hall_id).where(
            RoundScore.round_id == round_.id, RoundScore.member_id == member.id
        )
    ):
        counts[hall_id] += 1
    return dict(counts)
