"""Station assessment rounds (考核轮次): opening one, naming its group, who may open what.

A district admin opens a round for a period (month, quarter, year) or a spot-check day, with
a shipped station scheme and some of the district's stations, then names the assessment
group: the district's assessors, the staff accounts of its stations (交叉考核) and its
residents' representatives. Naming a representative in a group is the invitation: a
representative scores in the rounds it is a member of and nowhere else. The group is refused
to nobody; what a member may not do is score their own station (kiosk.services.round_scores).
Each change is audited under no hall (it is the district's), like the district itself.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import (
    HALL_ROLES,
    ROUND_KINDS,
    District,
    Hall,
    RoundMember,
    RoundStation,
    StationRound,
    User,
)
from kiosk.services import audit
from kiosk.services.evaluation_error import EvaluationError
from kiosk.services.periods import parse_period
from scoring.station_scheme import SHIPPED

TITLE_MAX = 120
PERIOD_KINDS = ("month", "quarter", "year")


class RoundError(ValueError):
    """The round could not be changed; the message is for the user and nothing was written.

    status is the HTTP status a view answers with: 403 for what the account may never do
    (e.g. score its own station), 422 for what it may do, but not with these values.
    """

    def __init__(self, message: str, status: int = 422, item: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.item = item  # the checklist item (or the round's field) the message is about


@dataclass(frozen=True)
class Candidate:
    """An account the district admin may add to a round's group, with the role it would have."""

    user: User
    role: str
    home_hall: Hall | None


def require_admin(actor: User, district_id: int) -> None:
    """Raise RoundError (403) unless actor is the district's admin."""
    if actor.role != "district_admin" or actor.district_id != district_id:
        raise RoundError(_("只有本街道的管理员可以设置考核轮次。"), 403)


def open_round(
    district: District,
    *,
    title: str,
    kind: str,
    period: str | None,
    spot_check_on: date | None,
    scheme: str,
    hall_ids: list[int],
    actor: User,
) -> StationRound:
    """Open a round of district's stations; raise RoundError saying what does not fit.

    A month, quarter or year round takes a period code of its kind (2026-11, 2026Q4, 2026);
    a spot check (spot_check) takes its day. Every station must be one of the district's.
    """
    require_admin(actor, district.id)
    title = title.strip()
    if not title or len(title) > TITLE_MAX:
        raise RoundError(_("请填写考核轮次名称（不超过 %(n)s 字）。", n=TITLE_MAX), item="title")
    if kind not in ROUND_KINDS:
        raise RoundError(_("考核类型无法识别。"), item="kind")
    if scheme not in SHIPPED:
        raise RoundError(_("考核方案无法识别。"), item="scheme")
    code: str | None = None
    if kind in PERIOD_KINDS:
        try:
            parsed = parse_period(period or "")
        except EvaluationError as error:
            raise RoundError(str(error), item="period") from None
        if parsed.kind != kind:
            raise RoundError(_("考核期间与考核类型不一致。"), item="period")
        code, spot_check_on = parsed.code, None
    elif spot_check_on is None:
        raise RoundError(_("不定期抽查请填写抽查日期。"), item="spot_check_on")
    wanted = sorted(set(hall_ids))
    if not wanted:
        raise RoundError(_("请至少选择一个站点。"), item="stations")
    halls = list(db.session.scalars(select(Hall).where(Hall.id.in_(wanted)).order_by(Hall.slug)))
    if len(halls) != len(wanted) or any(hall.district_id != district.id for hall in halls):
        raise RoundError(_("只能考核本街道的站点。"), item="stations")
    round_ = StationRound(
        district=district,
        title=title,
        kind=kind,
        period=code,
        spot_check_on=spot_check_on,
        scheme=scheme,
        status="open",
        created_by=actor,
    )
    db.session.add(round_)
    round_.stations = [RoundStation(hall=hall) for hall in halls]
    db.session.flush()
    audit.record(
        "station_round.open",
        actor=actor,
        target_type="station_round",
        target_id=round_.id,
        hall_id=None,
        detail={
            "district": district.slug,
            "kind": kind,
            "period": code or (spot_check_on.isoformat() if spot_check_on else None),
            "scheme": scheme,
            "stations": [hall.slug for hall in halls],
        },
    )
    return round_


def district_rounds(district_id: int) -> list[StationRound]:
    """Return the district's rounds, newest first."""
    return list(
        db.session.scalars(
            select(StationRound)
            .where(StationRound.district_id == district_id)
            .order_by(StationRound.created_at.desc(), StationRound.id.desc())
        )
    )


def round_in_district(district_id: int, round_id: int) -> StationRound | None:
    """Return the round if it is the district's, else None."""
    round_ = db.session.get(StationRound, round_id)
    return round_ if round_ is not None and round_.district_id == district_id else None


def round_halls(round_: StationRound) -> list[Hall]:
    """Return the round's stations by slug."""
    return sorted((station.hall for station in round_.stations), key=lambda hall: hall.slug)


def group_role(user: User, district_id: int) -> str | None:
    """Return the role the account would have in a group of the district, or None if none.

    The district's assessors and residents' representatives sit as themselves; any active
    hall account of one of its stations sits as cross_staff (交叉考核).
    """
    if not user.active:
        return None
    if user.role in ("district_assessor", "resident_rep"):
        return user.role if user.district_id == district_id else None
    if user.role in HALL_ROLES and user.hall is not None:
        return "cross_staff" if user.hall.district_id == district_id else None
    return None


def candidates(round_: StationRound) -> list[Candidate]:
    """Return the accounts that may still join the round's group, assessors first."""
    taken = {member.user_id for member in round_.members}
    district_accounts = select(User).where(
        User.district_id == round_.district_id,
        User.role.in_(("district_assessor", "resident_rep")),
    )
    hall_accounts = (
        select(User)
        .join(Hall, User.hall_id == Hall.id)
        .where(Hall.district_id == round_.district_id, User.role.in_(HALL_ROLES))
    )
    order = {"district_assessor": 0, "cross_staff": 1, "resident_rep": 2}
    found = []
    for query in (district_accounts, hall_accounts):
        for user in db.session.scalars(query):
            role = group_role(user, round_.district_id)
            if role is not None and user.id not in taken:
                found.append(Candidate(user, role, user.hall if role == "cross_staff" else None))
    return sorted(found, key=lambda c: (order[c.role], c.user.username))


def add_member(round_: StationRound, user: User, *, actor: User) -> RoundMember:
    """Add an account to the round's group; raise RoundError if it cannot sit in it."""
    require_admin(actor, round_.district_id)
    if round_.status != "open":
        raise RoundError(_("这一轮考核已定稿，不能再修改考核组。"))
    role = group_role(user, round_.district_id)
    if role is None:
        raise RoundError(_("这个账户不能加入本街道的考核组。"))
    if any(member.user_id == user.id for member in round_.members):
        raise RoundError(_("这个账户已在考核组中。"))
    member = RoundMember(
        round=round_,
        user=user,
        role=role,
        home_hall_id=user.hall_id if role == "cross_staff" else None,
        added_by_id=actor.id,
    )
    db.session.add(member)
    db.session.flush()
    audit.record(
        "station_round.add_member",
        actor=actor,
        target_type="station_round",
        target_id=round_.id,
        hall_id=None,
        detail={
            "user": user.username,
            "role": role,
            "home_station": user.hall.slug if role == "cross_staff" and user.hall else None,
        },
    )
    return member


def membership(round_: StationRound, user: User) -> RoundMember | None:
    """Return the account's place in the round's group, or None."""
    return db.session.scalar(
        select(RoundMember).where(RoundMember.round_id == round_.id, RoundMember.user_id == user.id)
    )


def member_rounds(user: User, district_id: int) -> list[tuple[StationRound, RoundMember]]:
    """Return the district's rounds the account is a member of, newest first."""
    rows = db.session.execute(
        select(StationRound, RoundMember)
        .join(RoundMember, RoundMember.round_id == StationRound.id)
        .where(RoundMember.user_id == user.id, StationRound.district_id == district_id)
        .order_by(StationRound.created_at.desc(), StationRound.id.desc())
    )
    return [(round_, member) for round_, member in rows]


def is_member_in_district(user: User, district_id: int) -> bool:
    """Return whether the account sits in any of the district's rounds."""
    return bool(member_rounds(user, district_id))


def stations_to_score(round_: StationRound, member: RoundMember) -> list[Hall]:
    """Return the round's stations the member scores: all but their own, by slug."""
    return [hall for hall in round_halls(round_) if hall.id != member.home_hall_id]
