"""Sharing with external investigators (docs/decisions/0024-investigator-sharing.md): a
handler chooses which messages, notes and evidence files the case's investigators see, with a
redacted copy where needed, and stops sharing them. One URL and one form per operation, each
through the gate and the checked services in ``workflows/services.py``; someone who may not
share, or an id that is not on the case, gets the same recorded not-found as everywhere."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cases.exceptions import CaseNotFound, SpeakUpError
from cases.models import Case, Evidence, Message
from cases.selectors import evidence_on_case, message_on_case
from permissions.access import case_for_user, case_refuse, parse_id
from permissions.predicates import may_share
from permissions.roles import CasePerm
from staff.forms import EvidenceShareForm, MessageShareForm, form_problem
from workflows.services import case_record_share, case_record_unshare


def _user(request: HttpRequest) -> User:
    # StaffSessionMiddleware lets only signed-in staff reach these views.
    if not isinstance(request.user, User):
        raise CaseNotFound()
    return request.user


def _sharing(request: HttpRequest, case_id: str, action: str) -> tuple[User, Case]:
    """The signed-in handler and the case they choose what to share of; anyone else who
    works the case (an investigator) is refused like an outsider, and recorded."""
    user = _user(request)
    case = case_for_user(user, case_id, CasePerm.WORK, action=action, audit=False)
    if not may_share(user, case):
        case_refuse(user, case.pk, action)
    return user, case


# What a share names: a message or note, or an evidence file (the other is None).
Item = tuple[Message | None, Evidence | None]


def _item(
    user: User, case: Case, action: str, *, message_id: str = "", evidence_id: str = ""
) -> Item:
    """The message or file the URL names, if it is on the case; else the recorded
    not-found."""
    message = message_on_case(case, parse_id(message_id)) if message_id else None
    evidence = evidence_on_case(case, parse_id(evidence_id)) if evidence_id else None
    if message is None and evidence is None:
        case_refuse(user, case.pk, action)
    return message, evidence


def _back(case: Case, item: Item) -> HttpResponse:
    message, _ = item
    response = redirect("staff:case_detail", case_id=case.pk)
    response["Location"] += f"#message-{message.pk}" if message else "#evidence"
    return response


def _share(request: HttpRequest, case_id: str, form: forms.Form, **named: str) -> HttpResponse:
    user, case = _sharing(request, case_id, "share")
    message, evidence = item = _item(user, case, "share", **named)
    if not form.is_valid():
        messages.error(request, form_problem(form))
        return _back(case, item)
    try:
        case_record_share(
            case=case,
            actor=user,
            message=message,
            evidence=evidence,
            redacted=form.cleaned_data["redacted"],
        )
        messages.success(request, "Shared with the investigators.")
    except SpeakUpError as error:
        messages.error(request, error.message)
    return _back(case, item)


def _unshare(request: HttpRequest, case_id: str, **named: str) -> HttpResponse:
    user, case = _sharing(request, case_id, "unshare")
    message, evidence = item = _item(user, case, "unshare", **named)
    if case_record_unshare(case=case, actor=user, message=message, evidence=evidence):
        messages.success(request, "The investigators no longer see it.")
    return _back(case, item)


@require_POST
def message_share_view(request: HttpRequest, case_id: str, message_id: str) -> HttpResponse:
    return _share(request, case_id, MessageShareForm(request.POST), message_id=message_id)


@require_POST
def message_unshare_view(request: HttpRequest, case_id: str, message_id: str) -> HttpResponse:
    return _unshare(request, case_id, message_id=message_id)


@require_POST
def evidence_share_view(request: HttpRequest, case_id: str, evidence_id: str) -> HttpResponse:
    return _share(request, case_id, EvidenceShareForm(request.POST), evidence_id=evidence_id)


@require_POST
def evidence_unshare_view(request: HttpRequest, case_id: str, evidence_id: str) -> HttpResponse:
    return _unshare(request, case_id, evidence_id=evidence_id)
