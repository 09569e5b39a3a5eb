"""The reports pages over HTTP: who reaches them, the form, the downloads, the audit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.urls import reverse

from permissions.models import StaffEvent
from permissions.predicates import may_see_reports
from reports.models import ReportPack
from reports.services import report_pack_generate
from tests.reports.helpers import category, trend_case, trend_type, unit

D = dt.date
QUARTER = {"grain": "quarter", "year": "2026", "number": "1", "case_type": "all", "unit": ""}


@pytest.fixture
def data(cast):
    kind = trend_type(name="Trends")
    bullying = category(kind, "bullying")
    north = unit("north")
    for day in range(1, 8):
        trend_case(kind, D(2026, 1, day), category=bullying, org_unit=north)
    return type("Data", (), {"kind": kind, "north": north})


def test_who_may_see_reports(cast):
    assert may_see_reports(cast.governance_lead)
    assert may_see_reports(cast.administrator)
    for person in (
        cast.assigned_handler,
        cast.triage_lead,
        cast.external_investigator,
        cast.superuser,
    ):
        assert not may_see_reports(person)
    cast.governance_lead.is_active = False
    assert not may_see_reports(cast.governance_lead)


def test_governance_leads_and_administrators_land_on_the_reports(cast, sign_in, client):
    for person in (cast.governance_lead, cast.administrator):
        sign_in(person)
        assert client.get(reverse("staff:home")).url == reverse("staff:reports")
    sign_in(cast.assigned_handler)
    assert client.get(reverse("staff:home")).url == reverse("staff:case_list")


def test_a_handler_gets_not_found_on_every_report_url(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    pack = ReportPack.objects.create(
        grain="quarter", period_start=D(2026, 1, 1), produced_on=D(2026, 4, 1), xlsx=b"x", csv=b"c"
    )
    for url in (
        reverse("staff:reports"),
        reverse("staff:report_download", args=["csv"]),
        reverse("staff:report_packs"),
        reverse("staff:report_pack_download", args=[pack.pk, "csv"]),
    ):
        assert client.get(url, QUARTER).status_code == 404, url
    assert not StaffEvent.objects.filter(code__startswith="report.").exists()


def test_a_governance_lead_gets_not_found_on_every_case_url(cast, sign_in, client):
    sign_in(cast.governance_lead)
    case = cast.case
    for name in ("case_detail", "case_history"):
        assert client.get(reverse(f"staff:{name}", args=[case.pk])).status_code == 404
    for name in ("case_transition", "case_message", "case_category", "case_assign"):
        assert client.post(reverse(f"staff:{name}", args=[case.pk]), {}).status_code == 404
    listed = client.get(reverse("staff:case_list"))
    assert case.reference not in listed.content.decode()


# Draws every chart (matplotlib): over the fast pass's half second.
@pytest.mark.slow
def test_the_report_page_shows_charts_tables_and_is_audited(data, cast, sign_in, client):
    sign_in(cast.governance_lead)
    page = client.get(reverse("staff:reports"), QUARTER)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Speak up report: Q1 2026, the whole organisation" in html
    assert "numbers below 5 are not shown" in html
    assert "<svg" in html and 'role="img"' in html
    assert "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "<style" not in html
    assert "Cases received: up from" not in html  # nothing before: too few to compare
    assert "Cases received: too few cases to compare on Q4 2025" in html
    event = StaffEvent.objects.get(code="report.run")
    assert event.actor == cast.governance_lead
    assert event.payload == {
        "period": "quarter-2026-01",
        "scope": "+".join(str(pk) for pk in sorted([cast.case_type.pk, data.kind.pk])),
        "unit": "all",
    }


def test_invalid_dates_are_a_form_error(cast, sign_in, client):
    sign_in(cast.governance_lead)
    for bad, message in (
        ({"number": "13", "grain": "month"}, "Enter the month as 1 to 12."),
        ({"number": "5"}, "Enter the quarter as 1 to 4."),
        ({"year": "twenty"}, "Enter a year, like 2026."),
        ({"year": "2999"}, "Enter a real year, like 2026."),
        ({"year": "2099"}, "That period has not started yet."),
        ({"grain": "week"}, "Choose a month, quarter or year."),
    ):
        page = client.get(reverse("staff:reports"), {**QUARTER, **bad})
        assert page.status_code == 400
        assert message in page.content.decode(), bad
    assert not StaffEvent.objects.filter(code__startswith="report.").exists()


def test_a_filter_that_leaves_only_hidden_numbers_says_too_few(data, cast, sign_in, client):
    south = unit("south")
    trend_case(data.kind, D(2026, 2, 3), org_unit=south)
    sign_in(cast.governance_lead)
    page = client.get(reverse("staff:reports"), {**QUARTER, "unit": str(south.pk)})
    assert "Too few cases to show." in page.content.decode()
    assert "<svg" not in page.content.decode()


def test_the_csv_neutralises_formulas_and_matches_the_page(data, cast, sign_in, client):
    data.kind.name = "=HYPERLINK(1)"
    data.kind.save()
    sign_in(cast.governance_lead)
    response = client.get(reverse("staff:report_download", args=["csv"]), QUARTER)
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Report", "Kind of report", "Table", "Row", "Column", "Value"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    received = [
        r
        for r in rows
        if len(r) > 3
        and r[1] == "'=HYPERLINK(1)"
        and r[3] == "Received"
        and r[2].endswith("cases this period, the one before and a year earlier")
    ]
    assert [r[5] for r in received] == ["5", "[c]", "[c]"]
    assert StaffEvent.objects.get(code="report.downloaded").payload["format"] == "csv"


# Draws every chart (matplotlib): over the fast pass's half second.
@pytest.mark.slow
def test_the_xlsx_holds_the_same_numbers_as_the_csv(data, cast, sign_in, client):
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    sign_in(cast.governance_lead)
    one_type = {**QUARTER, "case_type": str(data.kind.pk)}
    xlsx = client.get(reverse("staff:report_download", args=["xlsx"]), one_type).content
    page = client.get(reverse("staff:reports"), one_type).content.decode()
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">5</td>' in page
    book = load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames[0] == "Report"
    summary = book[book.sheetnames[1]]
    values = {row[0]: row[1:4] for row in summary.iter_rows(min_row=5, values_only=True)}
    assert values["Received"] == (5, "[c]", "[c]")
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("staff:report_download", args=["csv"]), one_type).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    from_csv = [
        r[5]
        for r in csv_rows
        if len(r) > 3 and r[3] == "Received" and r[2].endswith("a year earlier")
    ]
    assert from_csv == ["5", "[c]", "[c]"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith("=") for v in row)


@pytest.mark.slow
def test_the_pdf_renders_to_an_image(data, cast, sign_in, client, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed (Debian: poppler-utils)")
    sign_in(cast.governance_lead)
    response = client.get(reverse("staff:report_download", args=["pdf"]), QUARTER)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    (tmp_path / "report.pdf").write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", str(tmp_path / "report.pdf"), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 2
    assert pages[0].read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_the_quarterly_pack_is_stored_once_and_downloads(data, cast, sign_in, client):
    pack = report_pack_generate(grain="quarter", today=D(2026, 4, 1))
    assert (pack.grain, pack.period_start) == ("quarter", D(2026, 1, 1))
    assert report_pack_generate(grain="quarter", today=D(2026, 4, 2)).pk == pack.pk
    # The governance leads heard once, of the pack only (no case), with a link to the packs.
    from notifications.models import Notification

    told = Notification.objects.filter(kind="report_pack_ready")
    assert [(n.recipient_id, n.case_id) for n in told] == [(cast.governance_lead.pk, None)]
    sign_in(cast.governance_lead)
    listed = client.get(reverse("staff:notifications")).content.decode()
    assert f'href="{reverse("staff:report_packs")}">A new report pack is ready</a>' in listed
    assert "Q1 2026" in client.get(reverse("staff:report_packs")).content.decode()
    got = client.get(reverse("staff:report_pack_download", args=[pack.pk, "xlsx"]))
    assert got.content == bytes(pack.xlsx)
    assert (
        client.get(reverse("staff:report_pack_download", args=[pack.pk, "exe"])).status_code == 404
    )
    assert StaffEvent.objects.filter(code="report.pack_downloaded").count() == 1


# Draws every chart (matplotlib): over the fast pass's half second.
@pytest.mark.slow
def test_the_report_page_costs_the_same_queries_whatever_the_cases(cast, sign_in, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kind = trend_type()
    sign_in(cast.governance_lead)
    client.get(reverse("staff:reports"), QUARTER)  # the first request fills per-process caches
    counts = []
    for day in range(12):
        trend_case(kind, D(2026, 1, 1 + day))
        if day in (1, 11):  # with 2 cases, then with 12
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse("staff:reports"), QUARTER).status_code == 200
            counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    # Sign-in and session bookkeeping, the form's choices, about a dozen report queries, the
    # audit event: a bound, so a query per case or per row would show at once.
    assert counts[0] <= 41
