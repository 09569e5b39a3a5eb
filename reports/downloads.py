"""A report as a file to take away: PDF (WeasyPrint), XLSX (XlsxWriter) and CSV.

All three hold the same published numbers as the page, and nothing else: hidden numbers are
written "[c]", never as a number. No cell of the XLSX or CSV is ever taken as a formula: the
XLSX is written with ``strings_to_formulas=False`` (a label typed as "=1+1" by an
administrator stays text) and every CSV value that a spreadsheet would run ("=", "+", "-",
"@", tab, carriage return) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from django.template.loader import render_to_string
from PIL import ImageFile

from cases.exceptions import SpeakUpError
from reports.charts import chart_svg
from reports.selectors import Report, View

FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
HIDDEN = "[c]"


class PdfUnavailable(SpeakUpError):
    message = (
        "The PDF cannot be made on this server: WeasyPrint needs the Pango library "
        "(Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 "
        "fonts-dejavu-core). The XLSX and CSV downloads still work."
    )


def render(report: Report, fmt: str) -> tuple[bytes, str]:
    maker = {"pdf": pdf_bytes, "xlsx": xlsx_bytes, "csv": csv_bytes}[fmt]
    return maker(report), FORMATS[fmt]


def _labelled(report: Report) -> Iterator[tuple[str, View]]:
    if report.side_by_side:
        yield "All kinds", report.side_by_side
    for section in report.sections:
        for view in section.views:
            yield section.case_type, view
    for view in report.monitoring:
        yield "Equality monitoring", view


def _rows(view: View) -> Iterator[tuple[str, str, int | float | None]]:
    table = view.table
    for r, row in enumerate(table.rows):
        for c, column in enumerate(table.columns):
            yield row, column, table.cells[r][c]
        if view.totals:
            yield row, "Total", table.row_totals[r]
    if view.totals:
        for c, column in enumerate(table.columns):
            yield "Total", column, table.column_totals[c]
        yield "Total", "Total", table.total


# --- CSV ----------------------------------------------------------------------------------

_FORMULA = re.compile(r"^[=+\-@\t\r]")


def neutral(value: object) -> str:
    """A CSV value no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if _FORMULA.match(text) else text


def csv_bytes(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Report", "Kind of report", "Table", "Row", "Column", "Value"])
    for section, view in _labelled(report):
        for row, column, value in _rows(view):
            writer.writerow(
                [
                    neutral(report.title),
                    neutral(section),
                    neutral(view.title),
                    neutral(row),
                    neutral(column),
                    HIDDEN if value is None else neutral(value),
                ]
            )
    writer.writerow([])
    writer.writerow([neutral(report.rule_words)])
    return out.getvalue().encode("utf-8-sig")


# --- XLSX ---------------------------------------------------------------------------------


def xlsx_bytes(report: Report) -> bytes:
    import xlsxwriter  # type: ignore[import-untyped]

    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    bold = book.add_format({"bold": True})
    cover = book.add_worksheet("Report")
    cover.set_column(0, 0, 110)
    lines = [
        report.title,
        f"Produced on {report.produced_on:%d %B %Y}",
        "",
        *[s for section in report.sections for s in section.sentences],
        "",
        report.rule_words,
    ]
    for i, line in enumerate(lines):
        cover.write_string(i, 0, line, bold if i == 0 else None)
    used: set[str] = {"Report"}
    for n, (section, view) in enumerate(_labelled(report), 1):
        name = _sheet_name(f"{n} {section} {view.key}", used)
        sheet = book.add_worksheet(name)
        table = view.table
        sheet.write_string(0, 0, view.title, bold)
        sheet.write_string(1, 0, view.finding or "")
        sheet.set_column(0, 0, 40)
        header = 3
        columns = list(table.columns) + (["Total"] if view.totals else [])
        sheet.write_string(header, 0, "", bold)
        for c, column in enumerate(columns, 1):
            sheet.write_string(header, c, column, bold)
        body = [
            (row, [*table.cells[r], *([table.row_totals[r]] if view.totals else [])])
            for r, row in enumerate(table.rows)
        ]
        if view.totals:
            body.append(("Total", [*table.column_totals, table.total]))
        for r, (row, values) in enumerate(body, header + 1):
            sheet.write_string(r, 0, row)
            for c, value in enumerate(values, 1):
                if value is None:
                    sheet.write_string(r, c, HIDDEN)
                else:
                    sheet.write_number(r, c, value)
        if view.chart != "none" and not table.nothing_to_show and table.rows:
            chart = book.add_chart({"type": "bar"})
            last = header + len(table.rows)
            for c in range(1, len(table.columns) + 1):
                chart.add_series(
                    {
                        "name": [name, header, c],
                        "categories": [name, header + 1, 0, last, 0],
                        "values": [name, header + 1, c, last, c],
                    }
                )
            chart.set_title({"name": view.title[:80]})
            chart.set_y_axis({"reverse": True})
            sheet.insert_chart(header + len(body) + 2, 0, chart)
    book.close()
    return out.getvalue()


def _sheet_name(wanted: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", " ", wanted)[:31].strip() or "Sheet"
    name, n = base, 1
    while name.lower() in {u.lower() for u in used}:
        n += 1
        name = f"{base[:27]} {n}"
    used.add(name)
    return name


# --- PDF ----------------------------------------------------------------------------------


def pdf_bytes(report: Report) -> bytes:
    """The report as a PDF: a cover, the summary sentences, each chart beside its table, the
    rule, and the period and day it was produced. Raises ``PdfUnavailable`` when WeasyPrint's
    system libraries are missing."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]

        # WeasyPrint turns on Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported; the
        # evidence checks rely on it being off (intake/cleaning/images.py keeps it off too).
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    except (ImportError, OSError) as missing:  # OSError: the Pango library is not installed
        raise PdfUnavailable() from missing
    charts = {
        id(view): chart_svg(view.table)
        for _, view in _labelled(report)
        if view.chart != "none" and not view.table.nothing_to_show
    }
    html = render_to_string(
        "reports/pdf.html",
        {
            "report": report,
            "views": [
                (section, view, charts.get(id(view), "")) for section, view in _labelled(report)
            ],
        },
    )
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]
