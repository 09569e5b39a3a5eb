"""Appeals decided by an independent decision-maker (docs/decisions/0032-outcomes-and-appeal-
decision-makers.md): the case's triage team gives someone from the pool of appeal
decision-makers, who took no part in the case, access to decide its appeal until it is decided
or a date. Thin, like every staff view: the case comes through the gate's triage read, the
rule from the workflow's predicate, the grant from ``workflows.services.case_appoint_decider``
(through the one granting service); a refusal is the same recorded not-found as everywhere.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cases.exceptions import CaseNotFound, SpeakUpError
from permissions.access import case_for_triage, case_refuse
from staff.forms import DeciderForm, form_problem
from workflows.predicates import may_appoint_decider
from workflows.services import case_appoint_decider


def _user(request: HttpRequest) -> User:
    # StaffSessionMiddleware lets only signed-in staff reach these views.
    if not isinstance(request.user, User):
        raise CaseNotFound()
    return request.user


@require_POST
def case_decider_view(request: HttpRequest, case_id: str) -> HttpResponse:
    user = _user(request)
    case = case_for_triage(user, case_id, action="appoint_decider")
    # A case of theirs that has no appeal waiting: refused like an outsider, and recorded.
    if not may_appoint_decider(user, case):
        case_refuse(user, case.pk, "appoint_decider")
    form = DeciderForm(request.POST, case=case)
    if not form.is_valid():
        messages.error(request, form_problem(form))
        return redirect("staff:case_detail", case_id=case.pk)
    try:
        case_appoint_decider(
            case=case,
            assignee=form.cleaned_data["decider"],
            actor=user,
            expires_on=form.cleaned_data["until"],
        )
        messages.success(request, "The appeal decision-maker can now see the case and decide it.")
    except SpeakUpError as error:
        messages.error(request, error.message)
    return redirect("staff:case_detail", case_id=case.pk)
