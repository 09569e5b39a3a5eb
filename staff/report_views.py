"""The reports pages: the report, its downloads and the stored packs.

Governance leads and administrators only (``may_see_reports``); anyone else gets not-found.
The pages show counts that ``reports.disclosure`` has published and link to no case. Every
run and download is audited (``reports.services.report_run_record``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from permissions.predicates import may_see_reports
from reports import downloads
from reports.charts import chart_svg
from reports.models import ReportPack
from reports.selectors import Period, Report, report_build
from reports.services import report_pack_download_record, report_run_record
from staff.report_forms import ReportForm, default_data


def _lead(request: HttpRequest) -> User:
    if not isinstance(request.user, User) or not may_see_reports(request.user):
        raise Http404()
    return request.user


def _report(request: HttpRequest) -> tuple[ReportForm, Report | None]:
    form = ReportForm(request.GET if "grain" in request.GET else default_data())
    if not form.is_valid():
        return form, None
    return form, report_build(
        period=form.cleaned_data["period"],
        case_type_ids=form.case_type_ids(),
        unit_id=form.unit_id(),
    )


def charts_of(report: Report) -> dict[int, str]:
    """Each chart as inline SVG, keyed by ``id()`` of its view, labelled by its finding."""
    found: dict[int, str] = {}
    for view in report.views():
        if view.chart == "none" or view.table.nothing_to_show:
            continue
        svg = chart_svg(view.table)
        label = escape(view.finding or view.title)
        # Our own SVG: matplotlib escapes every text it writes, and the label is escaped here.
        found[id(view)] = mark_safe(  # noqa: S308
            svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
        )
    return found


@never_cache
@require_GET
def reports_page(request: HttpRequest) -> HttpResponse:
    user = _lead(request)
    form, report = _report(request)
    context: dict[str, Any] = {"form": form, "report": report}
    if report is not None:
        report_run_record(
            actor=user,
            period=report.period,
            case_type_ids=form.case_type_ids(),
            unit_id=form.unit_id(),
        )
        charts = charts_of(report)
        context["sections"] = [
            (
                section,
                [(view, charts.get(id(view), "")) for view in section.views],
            )
            for section in report.sections
        ]
        context["monitoring"] = [(view, charts.get(id(view), "")) for view in report.monitoring]
        if report.side_by_side:
            context["side"] = (
                report.side_by_side,
                charts.get(id(report.side_by_side), ""),
            )
        context["query"] = request.GET.urlencode() or _query(form)
    return render(request, "staff/reports/report.html", context, status=200 if report else 400)


def _query(form: ReportForm) -> str:
    from urllib.parse import urlencode

    return urlencode(form.data)


@never_cache
@require_GET
def report_download(request: HttpRequest, fmt: str) -> HttpResponse:
    user = _lead(request)
    if fmt not in downloads.FORMATS:
        raise Http404()
    form, report = _report(request)
    if report is None:
        return render(request, "staff/reports/report.html", {"form": form}, status=400)
    report_run_record(
        actor=user,
        period=report.period,
        case_type_ids=form.case_type_ids(),
        unit_id=form.unit_id(),
        download=fmt,
    )
    body, content_type = downloads.render(report, fmt)
    response = HttpResponse(body, content_type=content_type)
    name = f"speak-up-report-{report.period.slug}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@require_GET
def report_packs(request: HttpRequest) -> HttpResponse:
    _lead(request)
    packs = ReportPack.objects.defer("pdf", "xlsx", "csv")
    rows = [(pack, Period(pack.grain, pack.period_start).label) for pack in packs]  # type: ignore[arg-type]
    return render(request, "staff/reports/packs.html", {"rows": rows})


@never_cache
@require_GET
def report_pack_download(request: HttpRequest, pack_id: int, fmt: str) -> HttpResponse:
    user = _lead(request)
    pack = ReportPack.objects.filter(pk=pack_id).first()
    body = getattr(pack, fmt, None) if pack is not None and fmt in downloads.FORMATS else None
    if pack is None or body is None:
        raise Http404()
    report_pack_download_record(actor=user, pack=pack, fmt=fmt)
    response = HttpResponse(bytes(body), content_type=downloads.FORMATS[fmt])
    name = f"speak-up-report-{pack.grain}-{pack.period_start:%Y-%m}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
