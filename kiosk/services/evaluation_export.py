"""The 考核结果汇总表 as XLSX and CSV, built from a period report (the same numbers as the pages).

One row per person; columns: rank, 工号, name, score, base, grade, one column per source, the
residents' figures, adjustments, one column per assessment source and leaf criterion, what
follows from the grade (结果运用: 绩效系数, 表彰, 培训, 诫勉谈话, as the scheme maps grades),
flags and the scheme version. Numbers keep the report's two-decimal rounding.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

import scoring
from kiosk.labels import explanation_text, flag_label, scheme_text
from kiosk.services.evaluation import PersonResult, Report, current_scheme
from kiosk.services.spreadsheet import neutralise

POINTS = "0.00"
RATE = "0.00%"
INTEGER = "0"
COEFFICIENT = "0.0#"
TEXT = "@"
# Cells starting with these are formulas to a spreadsheet (CSV injection); tab and CR too.


@dataclass(frozen=True)
class Column:
    """One column of the summary: header, how to read a row, and the number format."""

    header: str
    value: Callable[[PersonResult], Any]
    number_format: str = TEXT


def _criterion(row: PersonResult, source: str, code: str) -> float | None:
    src = row.result.source(source)
    if not src.present:
        return None
    found = next((c for c in src.criteria if c.code == code), None)
    return None if found is None else found.average


def _leaves(report: Report) -> list[tuple[str, str]]:
    """Return (code, label) of the leaf criteria the report's scheme used, in rubric order."""
    scheme = current_scheme()
    if report.result.scheme_version == scheme.version:
        return [(leaf.code, leaf.label) for leaf in scheme.leaves]
    seen: dict[str, str] = {}
    for row in report.rows:
        for src in row.result.sources:
            for crit in src.criteria:
                if crit.is_leaf:
                    seen.setdefault(crit.code, crit.label)
    return list(seen.items())


def _source_value(code: str) -> Callable[[PersonResult], float | None]:
    return lambda row: row.result.source(code).value


def _criterion_value(source: str, code: str) -> Callable[[PersonResult], float | None]:
    return lambda row: _criterion(row, source, code)


def columns(report: Report) -> list[Column]:
    """Return the summary's columns for a report."""
    cols = [
        Column(_("排名"), lambda r: r.result.rank, INTEGER),
        Column(_("工号"), lambda r: r.staff_no),
        Column(_("姓名"), lambda r: r.name),
        Column(_("最终得分"), lambda r: r.result.score, POINTS),
        Column(_("基础分"), lambda r: r.result.base_score, POINTS),
        Column(_("等级"), lambda r: scheme_text(r.result.grade) or ""),
    ]
    composed = next((row.result.parts for row in report.rows if row.result.parts), ())
    if composed:  # a period built from its parts (a year from its quarters)
        header = _("各季度平均") if "Q" in composed[0].period else _("各月平均")
        cols.append(Column(header, lambda r: r.result.parts_value, POINTS))
    for code in scoring.SOURCES:
        label = scheme_text(scoring.SOURCE_LABELS[code])
        cols.append(Column(label, _source_value(code), POINTS))
    cols += [
        Column(_("居民评价数"), lambda r: r.result.satisfaction.count, INTEGER),
        Column(_("原始均分"), lambda r: r.result.satisfaction.raw_mean, POINTS),
        Column(_("好评率"), lambda r: r.result.satisfaction.good_rate, RATE),
        Column(_("差评率"), lambda r: r.result.satisfaction.bad_rate, RATE),
        Column(_("加分（计入）"), lambda r: r.result.bonus_applied, POINTS),
        Column(_("扣分"), lambda r: r.result.deduction_total, POINTS),
    ]
    for source in ("self", "supervisor", "peer"):
        label = scheme_text(scoring.SOURCE_LABELS[source])
        for code, crit_label in _leaves(report):
            cols.append(
                Column(
                    f"{label}·{scheme_text(crit_label)}",
                    _criterion_value(source, code),
                    POINTS,
                )
            )
    consequences = current_scheme().consequences

    def consequence(row: PersonResult) -> scoring.Consequence | None:
        code = row.result.grade_code
        return consequences.get(code) if code is not None else None

    def yes(wanted: bool) -> str:
        return _("是") if wanted else ""

    cols += [
        Column(
            _("绩效系数"),
            lambda r: c.bonus_coefficient if (c := consequence(r)) else None,
            COEFFICIENT,
        ),
        Column(_("表彰"), lambda r: yes(bool((c := consequence(r)) and c.commendation))),
        Column(_("培训"), lambda r: yes(bool((c := consequence(r)) and c.training))),
        Column(_("诫勉谈话"), lambda r: yes(bool((c := consequence(r)) and c.talk))),
        Column(_("标志"), lambda r: "、".join(flag_label(f) for f in r.result.flags)),
        Column(_("考核方案版本"), lambda r: r.result.scheme_version),
    ]
    return cols


def sheet_title() -> str:
    """Return the summary sheet's title."""
    return _("考核结果汇总表")


def to_xlsx(report: Report) -> bytes:
    """Return the summary as an XLSX workbook: header row frozen, numbers formatted."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    cols = columns(report)
    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook's one (and active) sheet
    sheet.title = sheet_title()
    sheet.append([c.header for c in cols])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in report.rows:
        sheet.append([neutralise(c.value(row)) for c in cols])
    for index, col in enumerate(cols, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(8, min(24, 2 * len(col.header) + 2))
        for cell in sheet[letter][1:]:
            cell.number_format = col.number_format
    # The header row stays in view, and so do rank, 工号 and name when scrolling right.
    sheet.freeze_panes = "D2"

    notes = book.create_sheet(_("得分说明"))
    notes.append([_("工号"), _("姓名"), _("说明")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for row in report.rows:
        for line in row.result.explanation:
            indent = "    " * line.depth
            cells = (row.staff_no, row.name, indent + explanation_text(line))
            notes.append([neutralise(cell) for cell in cells])  # names can start with "="
    notes.column_dimensions["C"].width = 90
    notes.freeze_panes = "A2"

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(report: Report) -> bytes:
    """Return the summary as CSV in UTF-8 with a BOM (so Excel reads the Chinese)."""
    cols = columns(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(c.header) for c in cols])
    for row in report.rows:
        writer.writerow([_csv_cell(c.value(row), c.number_format) for c in cols])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(value: Any, number_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float) and number_format == POINTS:
        return f"{value:.2f}"
    if isinstance(value, int | float) and number_format == RATE:
        return f"{value * 100:.2f}%"
    if isinstance(value, int | float):
        return str(value)
    return str(neutralise(value))
