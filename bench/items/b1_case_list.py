"""B1: a handler's case list, one page and its count, through the access gate, against raw SQL
reading the same page and count from the handler's grants."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection

from bench.harness import Measurement, Side, compare
from bench.items import Context, Item
from workflows.selectors import CaseFilters, case_list_for_user

PAGE = 50


def measure(context: Context, rounds: int) -> Measurement:
    user = get_user_model().objects.get(pk=context.handler_id)
    permission = Permission.objects.get(codename="view_case", content_type__app_label="cases")

    def through_gate(_: Any) -> tuple[int, int]:
        cases = case_list_for_user(user, CaseFilters.from_params({}))
        page = list(cases[:PAGE])
        return len(page), cases.count()

    def raw(_: Any) -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.id, c.reference, c.state, c.received_on, t.slug, t.workflow"
                " FROM permissions_caseuserpermission g"
                " JOIN cases_case c ON c.id = g.content_object_id"
                " JOIN cases_casetype t ON t.id = c.case_type_id"
                " WHERE g.user_id = %s AND g.permission_id = %s"
                " ORDER BY c.received_on DESC, c.reference LIMIT %s",
                [context.handler_id, permission.pk, PAGE],
            )
            page = cursor.fetchall()
            cursor.execute(
                "SELECT count(*) FROM permissions_caseuserpermission"
                " WHERE user_id = %s AND permission_id = %s",
                [context.handler_id, permission.pk],
            )
            (count,) = cursor.fetchone()
        return len(page), count

    _, gate_count = through_gate(None)
    _, raw_count = raw(None)
    if gate_count < raw_count:
        # The gate may show more (triage duty, team grants); never fewer than the grants.
        raise AssertionError(f"B1 sides disagree: gate {gate_count}, grants {raw_count}")
    return compare(
        item="B1",
        title=f"handler case list, page of {PAGE} + count ({context.handler_cases:,} of "
        f"{context.scale:,} cases)",
        target="≤1.5x",
        max_ratio=1.5,
        a=Side("gate", through_gate),
        b=Side("raw", raw),
        rounds=rounds,
    )


ITEM = Item("B1", "handler case list", measure)
