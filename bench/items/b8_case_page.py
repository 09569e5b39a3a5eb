"""B8: the case page through the access gate, with the view recorded in the case's history,
for a case with 5, 50 and 500 events (and as many messages), against the same page for the
same case after a plain assignment check, recording nothing.

Both sides call the page the same way (``staff.views``, from a request built in the process,
no middleware): A the view itself (``case_detail``: the gate, a refusal or a ``case.viewed``
event, then the page), B one ``EXISTS`` on the user's grant and one read of the case, then
the same ``case_page``. So the ratio is what the gate and the history cost on top of the page,
and the query counts must not grow with the events: the timeline and the messages come a page
at a time. The cases are filed and written to through the services (each message is a
message row and an event), untimed, before the rounds.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.base import SessionBase
from django.test import RequestFactory

from bench.harness import Measurement, Side, compare
from bench.items import Context, Item
from cases.models import Case, CaseType, MessageKind
from cases.services import message_add
from permissions.models import CaseUserPermission
from permissions.roles import CasePerm, Role
from staff.views import case_detail, case_page
from workflows.services import case_file

MAX_RATIO = 1.3
SIZES = (5, 50, 500)


def _page_case(user: Any, messages: int) -> Case:
    case_type = CaseType.objects.filter(is_active=True).order_by("position", "name").first()
    if case_type is None:
        raise AssertionError("B8 needs a case type (seed_demo makes them)")
    case, _ = case_file(
        case_type=case_type, answers={"what_happened": "Benchmark report."}, reporter_named=False
    )
    for n in range(messages):
        message_add(case=case, kind=MessageKind.INTERNAL_NOTE, body=f"Note {n}.", author=user)
    for codename in (CasePerm.VIEW, CasePerm.WORK):
        CaseUserPermission.objects.create(
            user=user,
            permission=Permission.objects.get(codename=codename, content_type__app_label="cases"),
            content_object=case,
        )
    return case


def _request(user: Any, case: Case) -> Any:
    request = RequestFactory().get(f"/staff/cases/{case.pk}/", SERVER_NAME="localhost")
    request.user = user
    request.session = SessionBase()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def _through_gate(user: Any, case: Case) -> int:
    answer = case_detail(_request(user, case), str(case.pk))
    if answer.status_code != 200:
        raise AssertionError(f"B8: the case page answered {answer.status_code}")
    return len(answer.content)


def _plain(user: Any, case: Case) -> int:
    if not CaseUserPermission.objects.filter(
        user=user, content_object_id=case.pk, permission__codename="view_case"
    ).exists():
        raise AssertionError("B8: the plain check found no assignment")
    found = Case.objects.select_related("case_type", "category", "org_unit").get(pk=case.pk)
    return len(case_page(_request(user, found), user, found).content)


def _one(user: Any, case: Case, events: int, rounds: int) -> Measurement:
    return compare(
        item="B8",
        title=f"case page with the gate and its history, {events} events",
        target=f"≤{MAX_RATIO}x; the same queries at {', '.join(map(str, SIZES))} messages",
        max_ratio=MAX_RATIO,
        a=Side("gate", lambda _: _through_gate(user, case)),
        b=Side("plain", lambda _: _plain(user, case)),
        rounds=rounds,
    )


def measure(context: Context, rounds: int) -> Measurement:
    user, _ = get_user_model().objects.get_or_create(username="bench-case-page")
    user.groups.add(Group.objects.get(name=Role.HANDLER))
    cases = {size: _page_case(user, size) for size in SIZES}
    try:
        results = {
            size: _one(user, case, case.events.count(), rounds) for size, case in cases.items()
        }
    finally:
        CaseUserPermission.objects.filter(user=user).delete()
    largest = results[SIZES[-1]]
    extra = {
        f"{size} messages": (
            m.ratio <= MAX_RATIO and m.a_queries == largest.a_queries,
            f"{size} messages: {m.ratio:.2f}x, {m.a_queries} queries",
        )
        for size, m in results.items()
        if size != SIZES[-1]
    }
    return dataclasses.replace(largest, extra=extra)


ITEM = Item("B8", "case page", measure)
