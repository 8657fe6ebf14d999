"""A district's assessment rounds of its stations: the stations, the group, each item's points.

A round (考核轮次) applies a station scheme (scoring/station_*.toml, by key) to some of the
district's stations for a period or a spot-check day. Its group members score each station
but their own; every point a member gives is a row of its own, so who scored what is kept.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.extensions import Model
from kiosk.models._types import utcnow
from kiosk.models.district import District
from kiosk.models.hall import Hall
from kiosk.models.user import User

ROUND_KINDS = ("month", "quarter", "year", "spot_check")
ROUND_STATUSES = ("open", "finalised")
# The scoring package's names for who sits in a group (scoring.station_scheme.ROLES):
# cross_staff is the staff of another station (交叉考核).
MEMBER_ROLES = ("district_assessor", "cross_staff", "resident_rep")


class StationRound(Model):
    """One assessment round of a district's stations."""

    __tablename__ = "station_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(12))  # one of ROUND_KINDS
    # A month, quarter or year round names its period (2026-11, 2026Q4, 2026); a spot check
    # (不定期抽查) its day instead.
    period: Mapped[str | None] = mapped_column(String(10))
    spot_check_on: Mapped[date | None]
    scheme: Mapped[str] = mapped_column(String(20))  # a key of scoring.station_scheme.SHIPPED
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    district: Mapped[District] = relationship()
    created_by: Mapped[User | None] = relationship()
    stations: Mapped[list["RoundStation"]] = relationship(
        back_populates="round", order_by="RoundStation.id"
    )
    members: Mapped[list["RoundMember"]] = relationship(
        back_populates="round", order_by="RoundMember.id"
    )


class RoundStation(Model):
    """A station (hall) assessed in a round."""

    __tablename__ = "station_round_station"
    __table_args__ = (UniqueConstraint("round_id", "hall_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("station_round.id"))
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))

    round: Mapped[StationRound] = relationship(back_populates="stations")
    hall: Mapped[Hall] = relationship()


class RoundMember(Model):
    """A member of a round's assessment group.

    home_hall_id is the station a cross_staff member works at (their account's hall), copied
    when they join so that it stays the station they may not score.
    """

    __tablename__ = "station_round_member"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("station_round.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # one of MEMBER_ROLES
    home_hall_id: Mapped[int | None] = mapped_column(ForeignKey("hall.id"))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[StationRound] = relationship(back_populates="members")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    home_hall: Mapped[Hall | None] = relationship()


class RoundScore(Model):
    """The points one member gives one station on one checklist item, with a note."""

    __tablename__ = "station_round_score"
    __table_args__ = (UniqueConstraint("round_id", "hall_id", "member_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("station_round.id"))
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("station_round_member.id"), index=True)
    item: Mapped[str] = mapped_column(String(80))  # a leaf item's dotted code
    points: Mapped[float]
    note: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[RoundMember] = relationship()


class RoundEvidence(Model):
    """A photo or PDF a member attached to their scoring of a station (佐证材料).

    The file is stored under the instance folder (never under static/), by stored_name, a
    random name; file_name is the name it was uploaded with, shown and offered on download.
    """

    __tablename__ = "station_round_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("station_round.id"), index=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("station_round_member.id"))
    item: Mapped[str | None] = mapped_column(String(80))  # the leaf item it is for, if one
    file_name: Mapped[str] = mapped_column(String(120))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[RoundMember] = relationship()


class RoundSnapshot(Model):
    """A finalised round's results, frozen: later changes to scores or data do not move them.

    ``results`` is scoring.round_to_dict of the round's result when it was finalised, every
    point explained; ``finalised_by`` is the district admin who finalised it.
    """

    __tablename__ = "station_round_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("station_round.id"), unique=True)
    results: Mapped[dict[str, Any]] = mapped_column(JSON)
    finalised_at: Mapped[datetime] = mapped_column(default=utcnow)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    round: Mapped[StationRound] = relationship()
    finalised_by: Mapped[User | None] = relationship()
