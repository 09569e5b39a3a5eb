"""Linking cases (docs/decisions/0033-linked-cases.md): a page to link the case to another by
typing its reference, and a button to remove a link. Both through the gate (someone who does
not work the case gets its recorded not-found) and the checked services of
``permissions/links.py``, which answer a reference the person cannot see exactly as one that
does not exist."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cases.exceptions import CaseNotFound, LinkRefused
from cases.links import MAX_NOTE_CHARS
from cases.models import Case, LinkKind
from cases.selectors import link_notes_open
from permissions.access import case_for_user, case_refuse
from permissions.links import NOT_FOUND, case_link, case_unlink, link_list_for_user
from permissions.predicates import may_work
from permissions.roles import CasePerm
from workflows import registry


def _user(request: HttpRequest) -> User:
    # StaffSessionMiddleware lets only signed-in staff reach these views.
    if not isinstance(request.user, User):
        raise CaseNotFound()
    return request.user


def links_panel(user: User, case: Case, *, shared_only: bool) -> list[dict[str, Any]]:
    """The case page's "Linked cases": the links to cases ``user`` may see too (filtered by the
    gate in SQL, one query), each with the other case's stage in staff's words and the link's
    note (only their own notes for someone who sees only what is shared)."""
    links = list(link_list_for_user(user, case))
    notes = link_notes_open(case, links, own_only_for=user.pk if shared_only else None)
    return [
        {
            "link": link,
            "stage": registry.state_label(link.other.case_type.workflow, link.other.state),
            "note": notes.get(link.pk),
        }
        for link in links
    ]


class LinkForm(forms.Form):
    reference = forms.CharField(
        label="Reference of the other case",
        help_text="As it is shown at the top of that case's page, for example 7KQM-3XTP.",
        max_length=40,
        error_messages={
            "required": "Enter the reference of the case to link.",
            "max_length": NOT_FOUND,
        },
    )
    kind = forms.ChoiceField(
        label="What do the cases have in common?",
        choices=LinkKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what the cases have in common.",
            "invalid_choice": "Choose what the cases have in common.",
        },
    )
    note = forms.CharField(
        label="Note (optional)",
        help_text="Why they are linked. Only people who can open both cases read it.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_NOTE_CHARS,
        required=False,
        error_messages={"max_length": f"Write at most {MAX_NOTE_CHARS:,} characters."},
    )


def _back(case: Case) -> HttpResponse:
    response = redirect("staff:case_detail", case_id=case.pk)
    response["Location"] += "#links"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def case_link_view(request: HttpRequest, case_id: str) -> HttpResponse:
    """Link the case to another. A refusal shows the page again (400) with the error linked
    to its field and what was typed kept."""
    user = _user(request)
    # Reaching the case is the gate's question (an outsider's attempt is recorded); someone
    # who sees it but does not work it (a triage lead) gets a plain not-found for the page,
    # as a GET writes nothing, and a recorded refusal for a POST.
    case = case_for_user(user, case_id, action="link", audit=False)
    if not may_work(user, case):
        if request.method == "POST":
            case_refuse(user, case.pk, "link")
        raise CaseNotFound()
    form = LinkForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case_link(
                case=case,
                reference=data["reference"],
                kind=data["kind"],
                note=data["note"],
                actor=user,
            )
        except LinkRefused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            messages.success(request, "The cases are linked.")
            return _back(case)
    status = 400 if form.is_bound else 200
    return render(request, "staff/case/link.html", {"case": case, "form": form}, status=status)


@require_POST
def case_unlink_view(request: HttpRequest, case_id: str, link_id: str) -> HttpResponse:
    """Remove a link shown on the case page."""
    user = _user(request)
    case = case_for_user(user, case_id, CasePerm.WORK, action="unlink", audit=False)
    try:
        if case_unlink(case=case, link_id=link_id, actor=user):
            messages.success(request, "The link is removed.")
    except LinkRefused as refusal:
        messages.error(request, refusal.message)
    return _back(case)
