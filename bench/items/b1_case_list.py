"""B1: a handler's case list as the list page reads it (``staff.list_views.case_list``): the
people its "held by" menu offers, every filter's counts with the list's own, and a page of 50,
through the access gate; against raw SQL doing the same reads from the handler's grants. For
two handlers: the generator's (about 1,000 cases, whatever the scale) and one granted a tenth
of all cases, made here; and the tenth's list sorted by deadline.

The row's ratio is the first handler's; the tenth's, and the tenth's sorted by deadline, must
meet the same target (extra results of the row; the sorted list also says how its time
compares with the default order's). Before timing, the tables the two sides read are vacuumed
and analysed, as autovacuum would have done on a live database (the bench's server runs without
it), so both sides are planned from statistics; and the two sides must agree: the same page,
the same people offered, and every count the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from bench.data import granted_handler
from bench.harness import Measurement, Side, compare
from bench.items import Context, Item
from cases.dbroles import connected_as_owner
from permissions.access import case_queryset_for_user
from permissions.models import CaseUserPermission
from permissions.roles import ROLE_NAMES
from permissions.selectors import people_holding, person_label
from staff.list_views import case_list_page
from workflows.selectors import (
    CaseCounts,
    CaseFilters,
    CaseGroup,
    case_counts_fold,
    case_counts_for_user,
    case_filters_checked,
)

PAGE = 50
MAX_RATIO = 1.5
TENTH = "bench-handler-tenth"  # granted every tenth case, for the second shape
# What the two sides read, vacuumed and analysed before timing.
TABLES = (
    "cases_case",
    "cases_casetype",
    "cases_category",
    "cases_organisationalunit",
    "workflows_clock",
    "permissions_caseuserpermission",
    "permissions_casegrouppermission",
    "permissions_caseexclusion",
    "auth_user",
    "auth_user_groups",
)
# The raw page's order for each sort the shapes use.
ORDERS = {
    "newest": "c.received_on DESC, c.reference",
    "deadline": "c.next_due IS NULL, c.next_due, c.reference",
}

Read = tuple[list[str], list[tuple[int, str]], CaseCounts]


def analyse() -> None:
    """Planner statistics and a visibility map for what B1 reads, as autovacuum keeps them on
    a live database (only the tables' owner may); on SQLite, statistics."""
    with connected_as_owner() as owner, owner.cursor() as cursor:
        vacuum = "VACUUM " if owner.vendor == "postgresql" else ""
        for table in TABLES:
            cursor.execute(f"{vacuum}ANALYZE {table}")


def _permission(codename: str) -> int:
    return Permission.objects.get(codename=codename, content_type__app_label="cases").pk


def through_gate(user: Any, sort: str) -> Read:
    """As the list page reads it (``staff.list_views.case_list``), with nothing asked but the
    order: the gate (its teams, once), the people offered, the counts, the page."""
    seen = case_queryset_for_user(user)
    people = people_holding(seen)
    filters = case_filters_checked(user, CaseFilters(sort=sort), people)
    counts = case_counts_for_user(user, filters, seen=seen)
    page = case_list_page(
        user, {}, per_page=PAGE, filters=filters, seen=seen, count=lambda: counts.total
    )
    return [case.reference for case in page.object_list], people, counts


# The handler's live grants to view the cases (``g``), and a live grant to work one (``w``).
MINE = "g.user_id = %s AND g.permission_id = %s AND (g.expires_on IS NULL OR g.expires_on >= %s)"
LIVE = "w.permission_id = %s AND (w.expires_on IS NULL OR w.expires_on >= %s)"
# The live grants to work the handler's cases, whoever holds them.
HOLDERS = (
    "permissions_caseuserpermission w JOIN permissions_caseuserpermission g"
    f" ON g.content_object_id = w.content_object_id WHERE {MINE} AND {LIVE}"
)


def raw(user: Any, sort: str) -> Callable[[Any], Read]:
    """The same reads in plain SQL driven by the handler's grants (the ids and days known)."""
    view, work = _permission("view_case"), _permission("change_case")
    today = timezone.localdate()
    week = today + dt.timedelta(days=7)
    mine = [user.pk, view, today]
    roles = ", ".join(["%s"] * len(ROLE_NAMES))
    pg = connection.vendor == "postgresql"
    joined = "string_agg(r.name, E'\\n')" if pg else "group_concat(r.name, char(10))"
    people_sql = (
        "SELECT u.id, u.username, u.first_name, u.last_name,"  # noqa: S608 (no input in the text)
        f" (SELECT {joined} FROM auth_user_groups m JOIN auth_group r ON r.id = m.group_id"
        f" WHERE m.user_id = u.id AND r.name IN ({roles}))"
        f" FROM auth_user u WHERE u.is_active AND u.id IN (SELECT w.user_id FROM {HOLDERS})"
    )
    groups_sql = (
        "SELECT t.slug, c.state, k.slug, u.slug,"  # noqa: S608 (no input in the text)
        " CASE WHEN c.next_due < %s THEN 'overdue' WHEN c.next_due <= %s THEN 'due' ELSE '' END,"
        " c.attention_since IS NOT NULL, count(DISTINCT c.id),"
        " count(DISTINCT CASE WHEN w.id IS NOT NULL OR h.id IS NOT NULL THEN c.id END)"
        " FROM permissions_caseuserpermission g"
        " JOIN cases_case c ON c.id = g.content_object_id"
        " JOIN cases_casetype t ON t.id = c.case_type_id"
        " LEFT JOIN cases_category k ON k.id = c.category_id"
        " LEFT JOIN cases_organisationalunit u ON u.id = c.org_unit_id"
        f" LEFT JOIN permissions_caseuserpermission w ON w.content_object_id = c.id AND {LIVE}"
        " LEFT JOIN permissions_casegrouppermission h ON h.content_object_id = c.id"
        f" AND h.permission_id = %s WHERE {MINE} GROUP BY 1, 2, 3, 4, 5, 6"
    )
    held_sql = f"SELECT w.user_id, count(*) FROM {HOLDERS} GROUP BY w.user_id"  # noqa: S608
    page_sql = (
        "SELECT c.id, c.reference, c.state, c.received_on, c.attention_since, c.next_due,"  # noqa: S608 (no input in the text)
        " t.name, t.workflow, k.name FROM permissions_caseuserpermission g"
        " JOIN cases_case c ON c.id = g.content_object_id"
        " JOIN cases_casetype t ON t.id = c.case_type_id"
        " LEFT JOIN cases_category k ON k.id = c.category_id"
        f" WHERE {MINE} ORDER BY {ORDERS[sort]} LIMIT %s"
    )
    model = get_user_model()

    def run(_: Any) -> Read:
        with connection.cursor() as cursor:
            # The people offered: active, holding a live grant to work one of the cases.
            cursor.execute(people_sql, [*ROLE_NAMES, *mine, work, today])
            labelled = [
                (pk, person_label(model(username=name, first_name=first, last_name=last),
                                  (names or "").split("\n")))
                for pk, name, first, last, names in cursor.fetchall()
            ]  # fmt: skip
            people = sorted(labelled, key=lambda pair: (pair[1].casefold(), pair[0]))
            # The counts: the cases grouped by every filter with counts, with how many of each
            # group someone holds (a person or a team); then how many each person holds.
            cursor.execute(groups_sql, [today, week, work, today, work, *mine])
            groups = [
                CaseGroup(
                    case_type=kind, stage=stage, category=category or "", unit=unit or "",
                    deadline=deadline, attention=bool(attention), n=n, held=held, asked=0,
                )
                for kind, stage, category, unit, deadline, attention, n, held in cursor.fetchall()
            ]  # fmt: skip
            cursor.execute(held_sql, [*mine, work, today])
            counts = case_counts_fold(
                groups, dict(cursor.fetchall()), CaseFilters(sort=sort), me=user.pk
            )
            # The page: the columns it shows, in the order asked.
            cursor.execute(page_sql, [*mine, PAGE])
            page = [row[1] for row in cursor.fetchall()]
        return page, people, counts

    return run


def _shape(user: Any, rounds: int, scale: int, sort: str = "newest") -> Measurement:
    plain = raw(user, sort)
    gate, baseline = through_gate(user, sort), plain(None)
    # Both sides must read the same: the page, the people offered, every count.
    if gate != baseline:
        raise AssertionError(f"B1 sides disagree ({sort}): gate {gate}, raw {baseline}")
    title = "" if sort == "newest" else f", sorted by {sort}"
    return compare(
        item="B1",
        title=(
            f"handler case list as the page reads it: people offered, every filter's counts,"
            f" page of {PAGE}{title} ({gate[2].total:,} of {scale:,} cases)"
        ),
        target=f"≤{MAX_RATIO}x",
        max_ratio=MAX_RATIO,
        a=Side("gate", lambda _: through_gate(user, sort)),
        b=Side("raw", plain),
        rounds=rounds,
    )


def _words(shape: Measurement) -> str:
    low, high = shape.spread
    return (
        f"{shape.ratio:.2f}x ({low:.2f} to {high:.2f}), {shape.a_median * 1000:.1f} ms to"
        f" {shape.b_median * 1000:.1f} ms"
    )


def measure(context: Context, rounds: int) -> Measurement:
    handler = get_user_model().objects.get(pk=context.handler_id)
    tenth = granted_handler(TENTH, 10)
    try:
        analyse()
        tenth_cases = CaseUserPermission.objects.filter(user=tenth).count()
        few = _shape(handler, rounds, context.scale)
        many = _shape(tenth, rounds, context.scale)
        by_deadline = _shape(tenth, rounds, context.scale, sort="deadline")
    finally:
        CaseUserPermission.objects.filter(user=tenth).delete()
    extra = {
        "tenth": (
            many.ratio <= MAX_RATIO,
            f"a tenth of the cases ({tenth_cases:,}): {_words(many)}",
        ),
        "deadline": (
            by_deadline.ratio <= MAX_RATIO,
            f"the tenth's sorted by deadline: {_words(by_deadline)}"
            f" ({by_deadline.a_median / many.a_median:.2f} times the default order's)",
        ),
    }
    return dataclasses.replace(few, extra=extra)


ITEM = Item("B1", "handler case list", measure)
