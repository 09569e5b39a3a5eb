"""The access page: who holds which role and team, which team triages each case type, the
changes waiting for a second administrator, and the record of every step.

Administrators only (anyone else gets not-found). Thin: every change goes through
``permissions.services`` (the two-person rule lives there), every read through
``permissions.selectors``. The page shows no case and links to none.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import Group, User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cases.exceptions import SpeakUpError
from cases.models import CaseType
from permissions.audit import staff_event_sentence
from permissions.models import AccessChange, ChangeKind
from permissions.predicates import may_confirm_access_change
from permissions.roles import Role, may_manage_access
from permissions.selectors import (
    access_changes,
    role_holders,
    staff_events_recent,
    team_rows,
    teams,
)
from permissions.services import (
    access_change_close,
    access_change_confirm,
    access_change_propose,
    team_create,
)


class ProposeForm(forms.Form):
    """One form for every kind of proposal; the service decides what makes sense."""

    kind = forms.ChoiceField(choices=ChangeKind.choices)
    user = forms.ModelChoiceField(queryset=User.objects.order_by("username"), required=False)
    role = forms.ChoiceField(choices=[(role.name, role.value) for role in Role], required=False)
    team = forms.ModelChoiceField(queryset=Group.objects.none(), required=False)
    case_type = forms.ModelChoiceField(queryset=CaseType.objects.order_by("name"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams()  # type: ignore[attr-defined]


def _administrator(request: HttpRequest) -> User:
    # The page does not exist for anyone else (the same answer as any missing page).
    if not isinstance(request.user, User) or not may_manage_access(request.user):
        raise Http404()
    return request.user


def _change(change_id: int) -> AccessChange:
    change = AccessChange.objects.filter(pk=change_id).first()
    if change is None:
        raise Http404()
    return change


@never_cache
@require_GET
def access_page(request: HttpRequest) -> HttpResponse:
    user = _administrator(request)
    pending = [
        (change, change.proposed_by_id == user.pk, may_confirm_access_change(user, change))
        for change in access_changes(pending=True)
    ]
    return render(
        request,
        "staff/access.html",
        {
            "roles": role_holders(),
            "teams": team_rows(),
            "case_types": CaseType.objects.select_related("triage_team").order_by("name"),
            "pending": pending,
            "decided": access_changes(pending=False),
            "events": [(e, staff_event_sentence(e)) for e in staff_events_recent()],
            "people": User.objects.order_by("username"),
            "team_choices": teams(),
            "role_choices": [(role.name, role.value) for role in Role],
            "kinds": ChangeKind,
        },
    )


@require_POST
def access_propose(request: HttpRequest) -> HttpResponse:
    user = _administrator(request)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to change, and for whom.")
        return redirect("staff:access")
    data = form.cleaned_data
    kind = ChangeKind(data["kind"])
    if kind == ChangeKind.ROLE_GRANT and request.POST.get("remove") == "yes":
        kind = ChangeKind.ROLE_REMOVE
    if kind == ChangeKind.TEAM_JOIN and request.POST.get("remove") == "yes":
        kind = ChangeKind.TEAM_LEAVE
    try:
        access_change_propose(
            actor=user,
            kind=kind,
            user=data["user"],
            role=Role[data["role"]] if data["role"] else None,
            team=data["team"],
            case_type=data["case_type"],
        )
        messages.success(
            request, "Proposed. It takes effect when another administrator confirms it."
        )
    except SpeakUpError as error:
        messages.error(request, error.message)
    return redirect("staff:access")


@require_POST
def access_confirm(request: HttpRequest, change_id: int) -> HttpResponse:
    user = _administrator(request)
    try:
        access_change_confirm(change=_change(change_id), actor=user)
        messages.success(request, "Confirmed: the change is made.")
    except SpeakUpError as error:
        messages.error(request, error.message)
    return redirect("staff:access")


@require_POST
def access_close(request: HttpRequest, change_id: int) -> HttpResponse:
    user = _administrator(request)
    try:
        change = access_change_close(change=_change(change_id), actor=user)
        messages.success(request, f"The proposal is {change.get_status_display().lower()}.")
    except SpeakUpError as error:
        messages.error(request, error.message)
    return redirect("staff:access")


@require_POST
def access_team_create(request: HttpRequest) -> HttpResponse:
    user = _administrator(request)
    try:
        team = team_create(actor=user, name=request.POST.get("name", ""))
        messages.success(request, f"The team {team.name} is created. It has no members yet.")
    except SpeakUpError as error:
        messages.error(request, error.message)
    return redirect("staff:access")
