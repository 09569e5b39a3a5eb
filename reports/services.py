"""Writes of the reports app: the audit of every report run and download, stored packs, and
the rebuild of the rollups (which only the database's triggers write otherwise).

A report reads counts only, yet who looked at which report, and when, is part of the record
(decision 0022): each run and each download writes one staff event (``permissions.audit``)
with identifiers only (the period, the case types, the unit, the format), in its own
transaction, before the response is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from cases.dbroles import connected_as_owner
from cases.models import CaseType
from notifications import kinds
from notifications.services import notify
from permissions.audit import staff_event_record, staff_event_register
from permissions.roles import Role
from permissions.selectors import people_with_role
from reports import downloads
from reports.aggregates import rollup_sources
from reports.models import ReportPack
from reports.rollups import ROLLUPS, rollup_differences
from reports.selectors import Period, report_build

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _scope(case_type_ids: Sequence[int]) -> str:
    return "+".join(str(pk) for pk in sorted(case_type_ids))[:64] or "none"


def report_run_record(
    *,
    actor: User,
    period: Period,
    case_type_ids: Sequence[int],
    unit_id: int | None,
    download: str | None = None,
) -> None:
    """Audit one report shown (``download`` ``None``) or downloaded as ``pdf``, ``xlsx`` or
    ``csv``."""
    payload: dict[str, str | int | bool | None] = {
        "period": period.slug,
        "scope": _scope(case_type_ids),
        "unit": unit_id if unit_id is not None else "all",
    }
    code = "report.run"
    if download:
        code = "report.downloaded"
        payload["format"] = download
    with transaction.atomic():
        staff_event_record(code=code, actor=actor, payload=payload)


# --- Stored packs -------------------------------------------------------------------------


def report_pack_generate(*, grain: str, today: dt.date | None = None) -> ReportPack:
    """Make and store the pack for the latest whole ``grain`` (month or quarter) before
    ``today``: every case type side by side, the whole organisation, as PDF, XLSX and CSV.
    Idempotent: a period already stored is returned as it is. Governance leads are notified
    once, when the pack is stored. Where WeasyPrint's system
    libraries are missing the pack is stored without its PDF (XLSX and CSV still made)."""
    period = Period.latest_complete(grain, today)  # type: ignore[arg-type]
    found = ReportPack.objects.filter(grain=grain, period_start=period.start).first()
    if found is not None:
        return found
    report = report_build(
        period=period, case_type_ids=list(CaseType.objects.values_list("pk", flat=True))
    )
    try:
        pdf: bytes | None = downloads.pdf_bytes(report)
    except downloads.PdfUnavailable:
        pdf = None
    try:
        with transaction.atomic():
            pack = ReportPack.objects.create(
                grain=grain,
                period_start=period.start,
                produced_on=report.produced_on,
                pdf=pdf,
                xlsx=downloads.xlsx_bytes(report),
                csv=downloads.csv_bytes(report),
            )
            # Only the run that stored the pack tells the governance leads, in its
            # transaction: "a new report pack is ready", nothing more.
            notify(people_with_role(Role.GOVERNANCE_LEAD), kinds.REPORT_PACK_READY)
            return pack
    except IntegrityError:  # made by a task running at the same time
        return ReportPack.objects.get(grain=grain, period_start=period.start)


def report_pack_download_record(*, actor: User, pack: ReportPack, fmt: str) -> None:
    with transaction.atomic():
        staff_event_record(
            code="report.pack_downloaded", actor=actor, payload={"pack": f"{pack.pk}:{fmt}"}
        )


# --- The rollups ---------------------------------------------------------------------------

staff_event_register(
    "report.rollups_rebuilt",
    _("The operator rebuilt the reports' counts from the cases ({corrected} count(s) were wrong)."),
    "corrected",
)


def rollups_rebuild() -> int:
    """Write every rollup afresh from plain GROUP BYs over the case and clock rows
    (``reports.aggregates.rollup_sources``), as the owner of the tables, the only role that
    may write them, with the rows' tables locked against writes meanwhile; audited as
    ``report.rollups_rebuilt``. Returns how many counts were wrong before (0 when the
    triggers had kept them exact, as they should)."""
    with connected_as_owner() as owner, transaction.atomic(using=owner.alias):
        with owner.cursor() as cursor:
            if owner.vendor == "postgresql":
                cursor.execute("LOCK TABLE cases_case, workflows_clock IN SHARE MODE")
            corrected = sum(len(found) for found in rollup_differences().values())
            for table in ROLLUPS:
                cursor.execute(f"DELETE FROM {owner.ops.quote_name(table)}")  # noqa: S608
            for table, rows in rollup_sources():
                model = ROLLUPS[table]
                columns = ", ".join(
                    owner.ops.quote_name(f.attname) for f in model._meta.concrete_fields
                )
                sql, params = rows.query.sql_with_params()
                # Names from the models, values as parameters.
                cursor.execute(
                    f"INSERT INTO {owner.ops.quote_name(table)} ({columns}) {sql}",
                    params,
                )
        staff_event_record(
            code="report.rollups_rebuilt", actor=None, payload={"corrected": corrected}
        )
    return corrected
