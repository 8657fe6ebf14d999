"""What a signed-in user has to do, for the staff home page.

A supervisor answers every 差评 inside working-day deadlines, reviews the clerks' appeals
(申诉) and the quarantined ratings; a clerk owes a self assessment and the peer assessments
assigned to them each month. The home page counts these so that nobody has to open every
page to find their work.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from kiosk.extensions import db
from kiosk.models import Hall, User
from kiosk.services import assessments, complaints, people, periods, rating_review


@dataclass(frozen=True)
class ToDo:
    """Counts of open work; None where the work is not the user's."""

    new_complaints: int | None = None  # awaiting verification
    overdue_complaints: int | None = None
    appeals: int | None = None  # appeals (申诉) waiting for 复核
    quarantined_ratings: int | None = None
    assessments: int | None = None  # own self and peer assessments not submitted this month
    period_code: str = ""  # the month of assessments

    @property
    def shown(self) -> bool:
        """Return whether the user has any kind of work listed here."""
        counts = (
            self.new_complaints,
            self.overdue_complaints,
            self.appeals,
            self.quarantined_ratings,
            self.assessments,
        )
        return any(count is not None for count in counts)


def for_user(user: User, now: datetime) -> ToDo:
    """Return the open work of user in their hall at now."""
    hall = db.session.get(Hall, user.hall_id) if user.hall_id is not None else None
    if hall is None:
        return ToDo()
    supervisor = ToDo()
    if user.has_role("supervisor"):
        supervisor = ToDo(
            new_complaints=complaints.awaiting_verification_count(hall.id),
            overdue_complaints=complaints.overdue_count(hall.id, now),
            appeals=complaints.appeals_pending_count(hall.id),
            quarantined_ratings=rating_review.quarantined_count(hall.id),
        )
    own = people.hall_member(hall.id, user.staff_id) if user.staff_id else None
    if own is None or not own.active:
        return supervisor
    period = periods.current_period(now)
    given = assessments.assessments_by(hall, period, user)
    owed = [("self", own.id)] + [
        ("peer", link.subject_id)
        for link in assessments.peer_assignments(hall, period)
        if link.assessor_id == own.id
    ]
    open_count = sum(
        1 for key in owed if (done := given.get(key)) is None or not done.locked
    )  # not given, or reopened for changes
    return replace(supervisor, assessments=open_count, period_code=period.code)
