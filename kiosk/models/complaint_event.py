"""The timeline of a complaint: every workflow step, who took it and why."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.extensions import Model
from kiosk.models._types import utcnow
from kiosk.models.rating import Complaint
from kiosk.models.user import User

COMPLAINT_ACTIONS = (
    "created",  # 登记
    "verified",  # 核实 (to_status tells valid or invalid)
    "rectification_started",  # 开始整改
    "rectified",  # 整改完成
    "followed_up",  # 回访
    "closed",  # 办结
    "appealed",  # 申诉
    "appeal_upheld",  # 复核：维持
    "appeal_overturned",  # 复核：撤销
    "phone_revealed",  # 查看完整电话
    "contact_erased",  # 联系方式已删除
)
SEVERITIES = ("minor", "major", "severe")  # 一般 / 较重 / 严重
SATISFACTIONS = ("satisfied", "basically_satisfied", "dissatisfied")  # 满意 / 基本满意 / 不满意


class ComplaintEvent(Model):
    """One step in a complaint's handling; rows are only ever added."""

    __tablename__ = "complaint_event"
    __table_args__ = (Index("ix_complaint_event_complaint", "complaint_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"))
    # None for system steps (the erasure job, a resident's own submission).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")  # reason, rectification, call notes
    severity: Mapped[str | None] = mapped_column(String(10))
    satisfaction: Mapped[str | None] = mapped_column(String(20))  # the complainant's rating
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    complaint: Mapped[Complaint] = relationship()
    actor: Mapped[User | None] = relationship()
