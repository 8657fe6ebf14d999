"""The demo's street office: the demo hall and three smaller stations, assessed in rounds.

幸福街道办事处 holds the demo hall and three 便民服务站, each with its own windows, staff, 90
days of ratings and complaints handled by its own supervisor (kiosk.services.demo_history, the
demo hall's own code, with a smaller size). Last quarter was assessed under the 2019 checklist
by a group of the district's assessor, a 居民代表 and two clerks of other stations (交叉考核),
each scoring every station but their own, and finalised by the district admin; this month a
spot check is under way, only some of its scores in. Everything is made once; each part has
its own random stream, so the demo hall's data are the same with the district as without it.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import District, Hall, Rating, RoundMember, Staff, StationRound, User, Window
from kiosk.services import districts, round_results, station_rounds
from kiosk.services.demo_history import (
    ensure_account,
    generate_ratings,
    handle_complaints,
    last_working_day,
    utc,
)
from kiosk.services.periods import Period, current_period
from kiosk.services.round_scores import Entry, items_for, save_scores, scheme_of

DISTRICT_SLUG = "xingfu"
DISTRICT_NAME = "幸福街道办事处"
ADMIN, ASSESSOR, RESIDENT = "district", "assessor", "resident"
CROSS_CLERK = "hepingli-clerk"  # the small station's clerk in the group (交叉考核)
CROSS_CLERK_STATION = "hepingli"
QUARTER_SCHEME = "2019"
SPOT_CHECK_SCHEME = "workstation"


@dataclass(frozen=True)
class StationPlan:
    """A small station: its windows, its staff (name, 工号, how well they serve), its size."""

    slug: str
    name: str
    windows: tuple[tuple[int, str, str], ...]
    staff: tuple[tuple[str, str, float], ...]
    per_window_day: tuple[int, int]  # ratings a window takes on a working day


STATIONS = (
    StationPlan(
        "hepingli",
        "和平里社区便民服务站",
        (
            (1, "综合受理", "居住证明、各类证明开具、咨询引导"),
            (2, "社保医保", "养老保险、医保参保缴费、待遇认证"),
            (3, "民政残联", "低保、临时救助、残疾人证办理"),
        ),
        (
            ("马晓燕", "HP001", 0.84),
            ("何军", "HP002", 0.71),
            ("郭佳", "HP003", 0.80),
            ("林涛", "HP004", 0.67),
        ),
        (5, 12),
    ),
    StationPlan(
        "dongyuan",
        "东苑社区便民服务站",
        (
            (1, "综合受理", "各类证明开具、咨询引导、代办服务"),
            (2, "社保民政", "医保参保缴费、高龄津贴、临时救助"),
        ),
        (("罗红", "DY001", 0.76), ("梁斌", "DY002", 0.62), ("宋雪", "DY003", 0.81)),
        (4, 9),
    ),
    StationPlan(
        "qinghe",
        "清河社区便民服务站",
        (
            (1, "综合受理", "居住证明、户籍证明、咨询引导"),
            (2, "就业服务", "失业登记、就业创业证、技能培训报名"),
        ),
        (("郑丽华", "QH001", 0.86), ("谢鹏", "QH002", 0.74), ("韩梅", "QH003", 0.79)),
        (3, 8),
    ),
)
# How well each station is kept (0..1): what the group's points are drawn around.
UPKEEP = {"xingfuli": 0.93, "hepingli": 0.89, "dongyuan": 0.78, "qinghe": 0.85}
# How much more kindly each kind of member scores than the district's assessor.
LENIENCE = {"district_assessor": 0.0, "cross_staff": 0.02, "resident_rep": 0.04}
# What a member wrote where a station lost points, by the item's last code part.
NOTES = {
    "visits": "入户走访记录不全，部分走访无居民签字。",
    "archives": "部分档案未按年度分类归档。",
    "ledger": "服务登记台账个别日期缺记。",
    "amenities": "老花镜、手机充电设施不全。",
    "accessibility": "无障碍通道有杂物堆放。",
    "self_service": "自助终端故障，未张贴报修告示。",
    "guide": "办事指南未及时更新。",
    "absence": "离岗告示牌未放置到位。",
    "agency": "代办服务台账登记不完整。",
    "dress": "个别工作人员未佩戴工作牌。",
    "meetings": "例会记录不完整。",
    "equipment": "叫号设备时有故障。",
    "site": "服务场所标识不够醒目。",
    "mediation": "调解记录缺少回访情况。",
}


@dataclass
class DistrictDemo:
    """The demo district as created or found, and what this run added to its stations."""

    district: District
    stations: list[Hall]  # every station, by slug
    ratings: int = 0
    complaints: int = 0


def create_district_demo(
    demo_hall: Hall, now: datetime, zone: ZoneInfo, passwords: dict[str, str]
) -> DistrictDemo:
    """Create the demo district around demo_hall, or complete it; add new passwords."""
    district = districts.district_by_slug(DISTRICT_SLUG)
    if district is None:
        district = districts.create_district(DISTRICT_SLUG, DISTRICT_NAME)
    admin = ensure_account(ADMIN, "district_admin", passwords, district=district)
    ensure_account(ASSESSOR, "district_assessor", passwords, district=district)
    ensure_account(RESIDENT, "resident_rep", passwords, district=district)
    if demo_hall.district_id is None:
        districts.attach_hall(district, demo_hall, actor=admin)
    made = DistrictDemo(district, [])
    today = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()
    for plan in STATIONS:
        station = _station(district, plan, admin)
        if station is not None:
            _history(station, plan, passwords, made, today, now, zone)
    made.stations = [row.hall for row in districts.stations(district.id)]
    if len(made.stations) == 1 + len(STATIONS):
        _quarter_round(
            district, made.stations, admin, current_period(now, "quarter").previous(), now
        )
        _spot_check(district, made.stations, admin, today, now, zone)
    return made


def _station(district: District, plan: StationPlan, admin: User) -> Hall | None:
    """Return the plan's station, creating it with its windows and staff; None if the slug is
    another district's hall (a real installation's, left alone)."""
    hall = districts.hall_by_slug(plan.slug)
    if hall is not None:
        return hall if hall.district_id == district.id else None
    hall = districts.create_station(district, slug=plan.slug, name=plan.name, actor=admin)
    for number, name, services in plan.windows:
        db.session.add(Window(hall=hall, number=number, name=name, services=services))
    for name, staff_no, _quality in plan.staff:
        db.session.add(Staff(hall=hall, name=name, staff_no=staff_no))
    db.session.flush()
    return hall


def _history(
    hall: Hall,
    plan: StationPlan,
    passwords: dict[str, str],
    made: DistrictDemo,
    today: date,
    now: datetime,
    zone: ZoneInfo,
) -> None:
    """Give the station its supervisor (and the first one its clerk), ratings and complaints."""
    windows = list(
        db.session.scalars(select(Window).where(Window.hall_id == hall.id).order_by(Window.number))
    )
    by_no = {
        s.staff_no: s for s in db.session.scalars(select(Staff).where(Staff.hall_id == hall.id))
    }
    roster = [by_no[no] for _n, no, _q in plan.staff if no in by_no]
    quality = {by_no[no].id: q for _n, no, q in plan.staff if no in by_no}
    supervisor = ensure_account(f"{plan.slug}-supervisor", "supervisor", passwords, hall=hall)
    if plan.slug == CROSS_CLERK_STATION:
        clerk_staff = by_no.get(plan.staff[0][1])
        ensure_account(CROSS_CLERK, "staff", passwords, hall=hall, staff=clerk_staff)
    if not windows or not roster:
        return
    if db.session.scalar(select(func.count(Rating.id)).where(Rating.hall_id == hall.id)):
        return
    rng = random.Random(f"demo-station-{plan.slug}")  # noqa: S311 - repeatable demo data
    ratings, complaints = generate_ratings(
        rng,
        hall,
        windows,
        roster,
        quality,
        today,
        now,
        zone,
        per_window_day=plan.per_window_day,
        roster_today=True,
    )
    handle_complaints(rng, hall, roster, quality, supervisor, now, zone)
    made.ratings += ratings
    made.complaints += complaints


def _members(round_: StationRound, admin: User, usernames: tuple[str, ...]) -> list[RoundMember]:
    """Name the round's group (those of usernames that exist), as the district admin does."""
    for username in usernames:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None and station_rounds.group_role(user, round_.district_id) is not None:
            station_rounds.add_member(round_, user, actor=admin)
    return list(round_.members)


def _score(
    rng: random.Random,
    round_: StationRound,
    hall: Hall,
    member: RoundMember,
    at: datetime,
    share: float = 1.0,
) -> None:
    """Have member score the station on the items their role scores (the first share of them).

    Points are drawn around how well the station is kept, a little kinder from residents and
    other stations' clerks, in half points; a station that lost points on an item is told why.
    """
    items = items_for(scheme_of(round_), member.role)
    level = UPKEEP.get(hall.slug, 0.85) + LENIENCE.get(member.role, 0.0)
    entries = {}
    for leaf in items[: round(len(items) * share)]:
        raw = leaf.max_points * min(1.0, level + rng.uniform(-0.12, 0.06))
        points = round(max(0.0, raw) * 2) / 2
        note = ""
        if points < leaf.max_points * 0.7:
            note = NOTES.get(leaf.code.rsplit(".", 1)[-1], "")
        entries[leaf.code] = Entry(points, note)
    save_scores(round_, hall, member, entries, actor=member.user, now=at)


def _quarter_round(
    district: District, stations: list[Hall], admin: User, quarter: Period, now: datetime
) -> None:
    """Assess every station for quarter under the 2019 checklist and finalise it (once)."""
    exists = db.session.scalar(
        select(StationRound.id).where(
            StationRound.district_id == district.id,
            StationRound.kind == "quarter",
            StationRound.period == quarter.code,
        )
    )
    if exists is not None:
        return
    round_ = station_rounds.open_round(
        district,
        title=f"{quarter.year}年第{quarter.number}季度便民服务站考核",
        kind="quarter",
        period=quarter.code,
        spot_check_on=None,
        scheme=QUARTER_SCHEME,
        hall_ids=[hall.id for hall in stations],
        actor=admin,
    )
    members = _members(round_, admin, (ASSESSOR, RESIDENT, "clerk", CROSS_CLERK))
    rng = random.Random(f"demo-round-{quarter.code}")  # noqa: S311 - repeatable demo data
    # Scored in the first fortnight after the quarter, finalised a few days later.
    first = datetime.combine(quarter.end, time(2, 0))
    for day, member in enumerate(members):
        for hall in station_rounds.stations_to_score(round_, member):
            _score(rng, round_, hall, member, min(now, first + timedelta(days=3 + day)))
    finalised = min(now, first + timedelta(days=12))
    round_results.finalise_round(round_, actor=admin, now=finalised)


def _spot_check(
    district: District,
    stations: list[Hall],
    admin: User,
    today: date,
    now: datetime,
    zone: ZoneInfo,
) -> None:
    """Open this month's spot check of two stations, with only some of its scores in (once)."""
    month_start = today.replace(day=1)
    exists = db.session.scalar(
        select(StationRound.id).where(
            StationRound.district_id == district.id,
            StationRound.kind == "spot_check",
            StationRound.spot_check_on >= month_start,
            StationRound.spot_check_on <= today,
        )
    )
    if exists is not None:
        return
    day = max(month_start, last_working_day(today))
    visited = [hall for hall in stations if hall.slug in ("dongyuan", "hepingli")]
    round_ = station_rounds.open_round(
        district,
        title=f"{day.month}月不定期抽查",
        kind="spot_check",
        period=None,
        spot_check_on=day,
        scheme=SPOT_CHECK_SCHEME,
        hall_ids=[hall.id for hall in visited],
        actor=admin,
    )
    members = {m.role: m for m in _members(round_, admin, (ASSESSOR, RESIDENT, "clerk"))}
    rng = random.Random(f"demo-spot-check-{day.isoformat()}")  # noqa: S311 - repeatable demo data
    at = min(now, utc(day, time(16, 30), zone))
    # The assessor has scored both stations, the resident half of the first; the clerk (the
    # demo hall's, in the group as cross_staff) has not started.
    if "district_assessor" in members:
        for hall in visited:
            _score(rng, round_, hall, members["district_assessor"], at)
    if "resident_rep" in members:
        _score(rng, round_, visited[0], members["resident_rep"], at, share=0.5)
