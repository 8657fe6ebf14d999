"""A complainant's contact details: the call-back number and phone numbers typed into the text.

Staff see both masked (kiosk.services.privacy finds the numbers in the text): a supervisor as
138****5678 until a logged reveal (complaints.reveal_phone), the clerk concerned only as stars.
Both are erased together, by the retention job (complaints.erase_contacts) or by a supervisor at
the resident's request (complaints.erase_contact): the number is dropped and each number in the
text becomes privacy.ERASED.
"""

from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from kiosk.models import Complaint
from kiosk.services.privacy import (
    erase_phone_numbers,
    has_phone_number,
    hide_phone_numbers,
    mask_phone_numbers,
)


def has_contact(complaint: Complaint) -> bool:
    """Return whether the complaint still holds a way to reach the complainant."""
    return bool(complaint.contact_phone) or has_phone_number(complaint.text)


def may_hold_contact() -> ColumnElement[bool]:
    """Return a SQL condition true of every complaint has_contact may be true of.

    Numbers in the text are found in Python (one rule on every database); a complaint whose
    contact was erased once holds none, as its text never changes afterwards.
    """
    return or_(
        Complaint.contact_phone.is_not(None),
        and_(Complaint.contact_erased_at.is_(None), Complaint.text != ""),
    )


def staff_text(complaint: Complaint, *, supervisor: bool, revealed: bool = False) -> str:
    """Return the complaint's text as a staff member may see it.

    A supervisor sees numbers masked, or whole just after a logged reveal; anyone else (the
    clerk concerned) sees them as stars.
    """
    if not supervisor:
        return hide_phone_numbers(complaint.text)
    return complaint.text if revealed else mask_phone_numbers(complaint.text)


def scrub(complaint: Complaint, now: datetime) -> None:
    """Erase the call-back number and every number in the text; the caller records the step."""
    complaint.contact_phone = None
    complaint.text = erase_phone_numbers(complaint.text)
    complaint.contact_erased_at = now
