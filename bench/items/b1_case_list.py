"""B1: a handler's case list, one page and its count, through the access gate, against raw SQL
reading the same page and count from the handler's grants; for two handlers: the generator's
(about 1,000 cases, whatever the scale) and one granted a tenth of all cases, made here.

The row's ratio is the first handler's; the tenth's must meet the same target (an extra
result of the row). Before timing, the tables the two sides read are vacuumed and analysed,
as autovacuum would have done on a live database (the bench's server runs without it), so
both sides are planned from statistics; and the gate's page must be the raw page.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection

from bench.data import granted_handler
from bench.harness import Measurement, Side, compare
from bench.items import Context, Item
from cases.dbroles import connected_as_owner
from permissions.models import CaseUserPermission
from staff.list_views import case_list_page

PAGE = 50
MAX_RATIO = 1.5
TENTH = "bench-handler-tenth"  # granted every tenth case, for the second shape
# What the two sides read, vacuumed and analysed before timing.
TABLES = (
    "cases_case",
    "cases_casetype",
    "cases_category",
    "workflows_clock",
    "permissions_caseuserpermission",
    "permissions_casegrouppermission",
    "permissions_caseexclusion",
    "auth_user_groups",
)


def analyse() -> None:
    """Planner statistics and a visibility map for what B1 reads, as autovacuum keeps them on
    a live database (only the tables' owner may); on SQLite, statistics."""
    with connected_as_owner() as owner, owner.cursor() as cursor:
        vacuum = "VACUUM " if owner.vendor == "postgresql" else ""
        for table in TABLES:
            cursor.execute(f"{vacuum}ANALYZE {table}")


def _shape(user: Any, rounds: int, scale: int) -> Measurement:
    permission = Permission.objects.get(codename="view_case", content_type__app_label="cases")

    def through_gate(_: Any) -> tuple[list[str], int]:
        # As the list page reads it (staff.list_views.case_list): its columns, its count.
        page = case_list_page(user, {}, per_page=PAGE)
        return [case.reference for case in page.object_list], page.paginator.count

    def raw(_: Any) -> tuple[list[str], int]:
        with connection.cursor() as cursor:
            # The columns the page shows, its deadline column included (the earliest due day
            # of the case's running clocks).
            cursor.execute(
                "SELECT c.id, c.reference, c.state, c.received_on, c.attention_since,"
                " t.name, t.workflow, k.name,"
                " (SELECT min(w.due_on) FROM workflows_clock w WHERE w.case_id = c.id"
                " AND w.stopped_on IS NULL AND w.paused_on IS NULL)"
                " FROM permissions_caseuserpermission g"
                " JOIN cases_case c ON c.id = g.content_object_id"
                " JOIN cases_casetype t ON t.id = c.case_type_id"
                " LEFT JOIN cases_category k ON k.id = c.category_id"
                " WHERE g.user_id = %s AND g.permission_id = %s"
                " ORDER BY c.received_on DESC, c.reference LIMIT %s",
                [user.pk, permission.pk, PAGE],
            )
            page = [row[1] for row in cursor.fetchall()]
            cursor.execute(
                "SELECT count(*) FROM permissions_caseuserpermission"
                " WHERE user_id = %s AND permission_id = %s",
                [user.pk, permission.pk],
            )
            (count,) = cursor.fetchone()
        return page, count

    gate_page, gate_count = through_gate(None)
    raw_page, raw_count = raw(None)
    # The gate may show more (triage duty, team grants); never fewer than the grants, and a
    # handler with grants only sees exactly the raw page.
    if gate_count < raw_count or (gate_count == raw_count and gate_page != raw_page):
        raise AssertionError(f"B1 sides disagree: gate {gate_count}, grants {raw_count}")
    return compare(
        item="B1",
        title=f"handler case list, page of {PAGE} + count ({gate_count:,} of {scale:,} cases)",
        target=f"≤{MAX_RATIO}x",
        max_ratio=MAX_RATIO,
        a=Side("gate", through_gate),
        b=Side("raw", raw),
        rounds=rounds,
    )


def measure(context: Context, rounds: int) -> Measurement:
    handler = get_user_model().objects.get(pk=context.handler_id)
    tenth = granted_handler(TENTH, 10)
    try:
        analyse()
        tenth_cases = CaseUserPermission.objects.filter(user=tenth).count()
        few = _shape(handler, rounds, context.scale)
        many = _shape(tenth, rounds, context.scale)
    finally:
        CaseUserPermission.objects.filter(user=tenth).delete()
    low, high = many.spread
    extra = {
        "tenth": (
            many.ratio <= MAX_RATIO,
            f"a tenth of the cases ({tenth_cases:,}): {many.ratio:.2f}x ({low:.2f} to "
            f"{high:.2f}), {many.a_median * 1000:.1f} ms to {many.b_median * 1000:.1f} ms",
        )
    }
    return dataclasses.replace(few, extra=extra)


ITEM = Item("B1", "handler case list", measure)
