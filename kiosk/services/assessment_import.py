"""Import of assessments from an uploaded XLSX or CSV file, all rows or none.

The file has a header row (期间, 类型, 被评人工号, 评价人 and one column per rubric leaf) and
one assessment per row. Every row is checked as a submitted assessment would be (who may
assess whom, the rubric's points) and every error is reported with its row number; a peer
row assigns the peer assessment too.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

import scoring
from kiosk.extensions import db
from kiosk.models import Hall, Staff, User
from kiosk.services import audit
from kiosk.services.assessments import (
    ScoresRejected,
    assessor_key,
    assign_peer,
    check_scores,
    find_assessment,
    is_assigned,
    may_assess,
    store_assessment,
)
from kiosk.services.evaluation_error import EvaluationError, refuse
from kiosk.services.periods import Period, not_begun, parse_period

MAX_IMPORT_ROWS = 1000

KIND_WORDS = {
    "自评": "self",
    "self": "self",
    "同事互评": "peer",
    "互评": "peer",
    "peer": "peer",
    "负责人评价": "supervisor",
    "负责人": "supervisor",
    "supervisor": "supervisor",
}
COL_KIND, COL_SUBJECT, COL_ASSESSOR, COL_PERIOD = "类型", "被评人工号", "评价人", "期间"


def template_headers(scheme: scoring.Scheme) -> list[str]:
    """Return the import file's header row for a scheme."""
    leaves = [f"{leaf.label}（{leaf.max_points:g}）" for leaf in scheme.leaves]
    return [COL_PERIOD, COL_KIND, COL_SUBJECT, COL_ASSESSOR, *leaves]


@dataclass(frozen=True)
class RowError:
    """A problem with one row (``row`` as numbered in the spreadsheet) of an import."""

    row: int
    column: str
    message: str


class ImportRejected(EvaluationError):
    """The file had errors; nothing was imported."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(_("导入失败：%(n)s 处错误，未导入任何数据。", n=len(errors)))
        self.errors = list(errors)


def read_table(filename: str, content: bytes) -> list[list[Any]]:
    """Return the rows of an uploaded XLSX or CSV file (first sheet), or raise EvaluationError."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        return _read_xlsx(content)
    if name.endswith(".csv") or name.endswith(".txt"):
        return _read_csv(content)
    raise EvaluationError(_("请上传 .xlsx 或 .csv 文件。"))


def _read_xlsx(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        book.close()
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise EvaluationError(_("无法读取这个 Excel 文件，请确认是 .xlsx 格式。")) from error
    return rows


def _read_csv(content: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise EvaluationError(_("无法识别 CSV 文件的编码，请另存为 UTF-8。"))
    try:
        return [list(row) for row in csv.reader(io.StringIO(text))]
    except csv.Error as error:
        raise EvaluationError(_("CSV 文件格式有误：%(e)s", e=str(error))) from error


def _header_key(value: Any) -> str:
    text = str(value or "").strip().replace(" ", "")
    return re.sub(r"[（(][^）)]*[）)]$", "", text)


def _blank(value: Any) -> bool:
    return value is None or str(value).strip() == ""


def _number(value: Any) -> float | None:
    """Return a cell's number, or None if it holds none (blank, text, TRUE/FALSE, not finite)."""
    if _blank(value) or isinstance(value, bool):
        return None
    try:
        points = float(str(value).strip())
    except ValueError:
        return None
    return points if math.isfinite(points) else None


def _score_error(number: int, leaf: scoring.Criterion, missing: bool) -> RowError:
    if missing:
        return RowError(number, leaf.label, _("应填写数字。"))
    return RowError(number, leaf.label, _("应在 0 到 %(max)s 之间。", max=f"{leaf.max_points:g}"))


def _refusal(kind: str) -> str:
    """Say why a row's assessor may not give its kind of assessment of its subject."""
    if kind == "supervisor":
        reason: str = _("负责人不能评价自己。")
    elif kind == "self":
        reason = _("自评的评价人应与被评人相同。")
    else:
        reason = _("同事互评不能评价自己。")
    return reason


@dataclass(frozen=True)
class ImportOutcome:
    """How many assessments an import created and replaced."""

    created: int
    updated: int


def import_assessments(
    hall: Hall,
    period: Period,
    table: list[list[Any]],
    *,
    actor: User,
    now: datetime,
    scheme: scoring.Scheme,
) -> ImportOutcome:
    """Import assessments from a table (header row first), all or nothing.

    Raises ImportRejected listing every row's errors; then nothing was written.
    """
    refuse(not_begun(period, now))
    if not table or all(_blank(v) for v in table[0]):
        raise ImportRejected([RowError(1, "", _("第一行应为表头。"))])
    header = [_header_key(v) for v in table[0]]
    leaves = scheme.leaves
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        if name in (COL_KIND, COL_SUBJECT, COL_ASSESSOR, COL_PERIOD):
            columns[name] = index
            continue
        for leaf in leaves:
            if name in (leaf.label, leaf.code):
                columns[leaf.code] = index
    errors: list[RowError] = []
    for needed in (COL_KIND, COL_SUBJECT, COL_ASSESSOR):
        if needed not in columns:
            errors.append(RowError(1, needed, _("缺少这一列。")))
    for leaf in leaves:
        if leaf.code not in columns:
            errors.append(RowError(1, leaf.label, _("缺少这一列。")))
    if errors:
        raise ImportRejected(errors)
    body = [(n, row) for n, row in enumerate(table[1:], start=2) if not all(_blank(v) for v in row)]
    if not body:
        raise ImportRejected([RowError(2, "", _("文件中没有数据行。"))])
    if len(body) > MAX_IMPORT_ROWS:
        raise ImportRejected(
            [RowError(MAX_IMPORT_ROWS + 2, "", _("一次最多导入 %(n)s 行。", n=MAX_IMPORT_ROWS))]
        )

    staff_by_no = {
        s.staff_no: s for s in db.session.scalars(select(Staff).where(Staff.hall_id == hall.id))
    }
    users = {
        u.username: u
        for u in db.session.scalars(
            select(User).where(User.hall_id == hall.id, User.active.is_(True))
        )
    }

    def cell(row: list[Any], column: str) -> Any:
        index = columns[column]
        return row[index] if index < len(row) else None

    planned: list[tuple[str, Staff, User | Staff, str, dict[str, float]]] = []
    seen: dict[tuple[str, int, str], int] = {}
    for number, row in body:
        row_errors: list[RowError] = []
        if COL_PERIOD in columns and not _blank(cell(row, COL_PERIOD)):
            try:
                given = parse_period(str(cell(row, COL_PERIOD)).strip())
            except EvaluationError:
                given = None
            if given != period:
                row_errors.append(
                    RowError(number, COL_PERIOD, _("期间应为 %(p)s。", p=period.code))
                )
        kind = KIND_WORDS.get(str(cell(row, COL_KIND) or "").strip().lower())
        if kind is None:
            row_errors.append(
                RowError(number, COL_KIND, _("类型应为 自评、同事互评 或 负责人评价。"))
            )
        subject = staff_by_no.get(str(cell(row, COL_SUBJECT) or "").strip())
        if subject is None:
            row_errors.append(RowError(number, COL_SUBJECT, _("本中心没有这个工号。")))
        who = str(cell(row, COL_ASSESSOR) or "").strip()
        assessor: User | Staff | None = None
        if kind == "supervisor":
            user = users.get(who)
            if user is None or not user.has_role("supervisor"):
                row_errors.append(
                    RowError(number, COL_ASSESSOR, _("负责人评价的评价人应为负责人的用户名。"))
                )
            else:
                assessor = user
        elif kind is not None:
            assessor = staff_by_no.get(who)
            if assessor is None:
                row_errors.append(RowError(number, COL_ASSESSOR, _("本中心没有这个工号。")))
        if (
            kind is not None
            and subject is not None
            and assessor is not None
            and not may_assess(assessor, period, subject, kind, assigning=True)
        ):
            row_errors.append(RowError(number, COL_ASSESSOR, _refusal(kind)))
        scores: dict[str, float] = {}
        try:
            scores = check_scores(
                {leaf.code: _number(cell(row, leaf.code)) for leaf in leaves}, scheme
            )
        except ScoresRejected as rejected:
            row_errors.extend(
                _score_error(number, problem.leaf, problem.missing) for problem in rejected.problems
            )
        key = None
        if kind is not None and subject is not None and assessor is not None and not row_errors:
            key = assessor_key(kind, assessor)
            earlier = seen.get((kind, subject.id, key))
            if earlier is not None:
                row_errors.append(RowError(number, "", _("与第 %(n)s 行重复。", n=earlier)))
            else:
                seen[(kind, subject.id, key)] = number
                existing = find_assessment(hall, period, subject, kind, key)
                if existing is not None and existing.locked:
                    row_errors.append(
                        RowError(number, "", _("这份评价已提交并锁定；如需修改，请负责人先退回。"))
                    )
        if row_errors:
            errors.extend(row_errors)
            continue
        assert kind is not None and subject is not None and assessor is not None  # noqa: S101
        assert key is not None  # noqa: S101 - set above for a row without errors
        planned.append((kind, subject, assessor, key, scores))
    if errors:
        raise ImportRejected(errors)

    created = updated = 0
    with db.session.begin_nested():
        for kind, subject, assessor, key, scores in planned:
            staff = assessor if isinstance(assessor, Staff) else None
            user = assessor if isinstance(assessor, User) else None
            existing = find_assessment(hall, period, subject, kind, key)
            if (
                kind == "peer"
                and staff is not None
                and not is_assigned(period, staff.id, subject.id)
            ):
                assign_peer(hall, period, staff, subject, actor=actor, now=now)
            store_assessment(
                existing,
                hall,
                period,
                subject,
                kind,
                key,
                user,
                scores,
                now,
                "import",
                assessor_staff=staff,
            )
            if existing is None:
                created += 1
            else:
                updated += 1
    audit.record(
        "assessment.import",
        actor=actor,
        target_type="period",
        target_id=None,
        hall_id=hall.id,
        detail={"period": period.code, "created": created, "updated": updated},
    )
    return ImportOutcome(created, updated)
