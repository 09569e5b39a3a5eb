"""The confidential contact's pages (docs/decisions/0031-confidential-reporting.md): the
cases whose reporter gave their name in confidence, each reporter's identity, and revealing it
to those working the case with a reason. Every case comes through the gate's own function for
the contact (``permissions.access.case_for_confidential_contact``): anyone else, and the
contact on a case they are excluded from, gets the recorded not-found. The contact is shown
the identity and the case's reference, type and stage, never the report."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cases.exceptions import CaseNotFound
from cases.models import Case
from cases.selectors import reporter_identity_open, reveal_reason_open
from permissions.access import case_for_confidential_contact, cases_for_confidential_contact
from permissions.predicates import is_confidential_contact, may_reveal_identity
from permissions.services import RevealRefused, case_identity_reveal
from workflows import registry


class RevealForm(forms.Form):
    reason = forms.CharField(
        label="Why are you revealing the reporter's identity?",
        help_text=(
            "Those working the case will see the reporter's name and contact details. The "
            "reporter is told on their follow-up page, with this reason."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={"required": "Enter why you are revealing the reporter's identity"},
    )


def _user(request: HttpRequest) -> User:
    # StaffSessionMiddleware lets only signed-in staff reach these views.
    if not isinstance(request.user, User):
        raise CaseNotFound()
    return request.user


@never_cache
@require_GET
def confidential_list(request: HttpRequest) -> HttpResponse:
    """The cases with a confidential reporter the signed-in contact is shown: reference,
    type, stage, received, and whether the identity is shared. Anyone else: not found."""
    user = _user(request)
    if not is_confidential_contact(user):
        raise CaseNotFound()
    cases = (
        cases_for_confidential_contact(user)
        .select_related("case_type", "reporter_identity")
        .order_by("-received_on", "reference")
    )
    rows = [
        (case, registry.state_label(case.case_type.workflow, case.state), case.reporter_identity)
        for case in cases
    ]
    return render(request, "staff/confidential_list.html", {"rows": rows})


def _page(
    request: HttpRequest, user: User, case: Case, form: RevealForm, status: int = 200
) -> HttpResponse:
    row = case.reporter_identity
    return render(
        request,
        "staff/confidential_case.html",
        {
            "case": case,
            "state_label": registry.state_label(case.case_type.workflow, case.state),
            "row": row,
            "identity": reporter_identity_open(case, row),
            "reason": reveal_reason_open(case, row),
            "can_reveal": may_reveal_identity(user, case, shared=row.shared),
            "form": form,
        },
        status=status,
    )


@never_cache
@require_GET
def confidential_case(request: HttpRequest, case_id: str) -> HttpResponse:
    """One confidential reporter's identity, for the contact (each look audited as
    ``case.identity_viewed``), with the reveal form while it is not shared."""
    user = _user(request)
    case = case_for_confidential_contact(user, case_id, action="identity")
    return _page(request, user, case, RevealForm())


@require_POST
def confidential_reveal(request: HttpRequest, case_id: str) -> HttpResponse:
    """Reveal the identity with a reason (``permissions.services.case_identity_reveal``).
    Without a reason, the page again (400) with the error linked to the box; for anyone but
    the contact, the gate's recorded not-found."""
    user = _user(request)
    form = RevealForm(request.POST)
    if form.is_valid():
        try:
            case_identity_reveal(actor=user, case_id=case_id, reason=form.cleaned_data["reason"])
        except RevealRefused as error:
            form.add_error("reason", error.message)
        else:
            messages.success(
                request, "The reporter's identity is now shown to those working the case."
            )
            return redirect("staff:confidential_case", case_id=case_id)
    # Read again after the attempt: the identity may have been shared meanwhile.
    case = case_for_confidential_contact(user, case_id, action="reveal_identity", audit=False)
    return _page(request, user, case, form, status=400)
