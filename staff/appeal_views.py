"""Appeals decided by an independent decision-maker (docs/decisions/0032-outcomes-and-appeal-
decision-makers.md): the triage team of a kind of report sees its cases waiting at an appeal
and gives someone from the pool of appeal decision-makers, who took no part in the case,
access to decide it until it is decided or a date.

Thin, like every staff view, and without case content: the triage team reaches these cases
through ``access.cases_for_triage`` (references, kinds and stages only; a triage lead does not
read a case being worked), the rule is the workflow's predicate, the grant comes from
``workflows.services.case_appoint_decider`` (through the one granting service), and a refusal
is the same recorded not-found as everywhere.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cases.exceptions import CaseNotFound, SpeakUpError
from permissions.access import case_for_triage
from permissions.selectors import case_holders
from staff.forms import DeciderForm
from workflows import registry
from workflows.predicates import may_appoint_decider
from workflows.selectors import appeals_for_triage
from workflows.services import case_appoint_decider


def _user(request: HttpRequest) -> User:
    # StaffSessionMiddleware lets only signed-in staff reach these views.
    if not isinstance(request.user, User):
        raise CaseNotFound()
    return request.user


@never_cache
@require_GET
def appeals_page(request: HttpRequest) -> HttpResponse:
    """The appeals waiting at the kinds of report the person triages, and whether each has
    a decision-maker. Empty for anyone who triages nothing."""
    rows = [
        (case, registry.state_label(case.case_type.workflow, case.state))
        for case in appeals_for_triage(_user(request))
    ]
    return render(request, "staff/appeals.html", {"rows": rows})


@never_cache
@require_http_methods(["GET", "POST"])
def case_decider_page(request: HttpRequest, case_id: str) -> HttpResponse:
    """Choose who decides the case's appeal: only people from the pool who took no part in
    the case are offered (and the service refuses anyone else, a forged choice included)."""
    user = _user(request)
    # Reaching the case is the gate's question (an outsider's attempt is recorded); whether it
    # has an appeal waiting now is the workflow's, and a no is a plain not-found (as for a
    # step's confirmation page).
    case = case_for_triage(user, case_id, action="appoint_decider")
    if not may_appoint_decider(user, case):
        raise CaseNotFound()
    form = DeciderForm(request.POST or None, case=case)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                case_appoint_decider(
                    case=case,
                    assignee=form.cleaned_data["decider"],
                    actor=user,
                    expires_on=form.cleaned_data["until"],
                )
            except SpeakUpError as error:
                form.add_error("decider", error.message)
            else:
                messages.success(
                    request,
                    f"Case {case.reference}: the appeal decision-maker can now see the case "
                    "and decide the appeal.",
                )
                return redirect("staff:appeals")
    holders = [h for h in case_holders(case) if h.until is not None and h.team_id is None]
    return render(
        request,
        "staff/appeal_decider.html",
        {
            "case": case,
            "state_label": registry.state_label(case.case_type.workflow, case.state),
            "form": form,
            "holders": holders,
        },
        status=status,
    )
