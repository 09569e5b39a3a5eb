"""The retention pages: policies, their proposals and the purge preview for administrators;
legal holds for governance leads.

Thin: every change goes through ``retention.services`` (the two-person rule and the role
checks live there and in ``permissions.predicates``), every read through
``retention.selectors``. The pages name cases by reference only and show no content; anyone
else gets not-found.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.exceptions import CaseNotFound, SpeakUpError
from cases.models import CaseType
from permissions.predicates import (
    may_confirm_retention_change,
    may_hold_cases,
    may_manage_retention,
)
from retention.events import audit_chain_links_due
from retention.models import LegalHold, PolicyChange
from retention.selectors import (
    audit_events_due,
    case_references,
    cases_due,
    cases_upcoming,
    deletion_records,
    holds_active,
    holds_overdue,
    policy_changes,
    policy_rows,
)
from retention.services import (
    MAX_DAYS,
    hold_lift,
    hold_place,
    hold_reason,
    hold_review,
    policy_change_close,
    policy_change_confirm,
    policy_propose,
)

_DAYS = {"invalid": "Give a whole number of days.", "required": "Give a number of days."}


class PolicyForm(forms.Form):
    content_days = forms.IntegerField(
        label="Delete the case's content this many days after it is closed",
        min_value=1,
        max_value=MAX_DAYS,
        error_messages={**_DAYS, "min_value": "A period must be at least one day."},
    )
    token_days = forms.IntegerField(
        label="The reporter's token stops opening the case this many days after it is closed",
        min_value=1,
        max_value=MAX_DAYS,
        error_messages={**_DAYS, "min_value": "A period must be at least one day."},
    )


class HoldForm(forms.Form):
    reference = forms.CharField(
        label="Case reference", max_length=20, error_messages={"required": "Give the reference."}
    )
    reason = forms.CharField(
        label="Why the case must be kept (sealed with the case)",
        max_length=2000,
        widget=forms.Textarea,
        error_messages={"required": "Give the reason for the hold."},
    )
    review_on = forms.DateField(
        label="Review the hold by",
        error_messages={"required": "Give a review date.", "invalid": "Give a date."},
    )


class ReviewForm(forms.Form):
    review_on = forms.DateField(
        error_messages={"required": "Give the next review date.", "invalid": "Give a date."}
    )


def _administrator(request: HttpRequest) -> User:
    if not isinstance(request.user, User) or not may_manage_retention(request.user):
        raise Http404()
    return request.user


def _governance(request: HttpRequest) -> User:
    if not isinstance(request.user, User) or not may_hold_cases(request.user):
        raise Http404()
    return request.user


def _found[M: Model](rows: QuerySet[M], pk: int) -> M:
    found = rows.filter(pk=pk).first()
    if found is None:
        raise Http404()
    return found


@never_cache
@require_GET
def retention_page(request: HttpRequest) -> HttpResponse:
    user = _administrator(request)
    pending = [
        (
            change,
            change.proposed_by_id == user.pk,
            may_confirm_retention_change(user, proposed_by_id=change.proposed_by_id),
        )
        for change in policy_changes(pending=True)
    ]
    return render(
        request,
        "staff/retention.html",
        {
            "policies": policy_rows(),
            "pending": pending,
            "decided": policy_changes(pending=False),
            "overdue": holds_overdue().order_by("review_on"),
            "records": deletion_records(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def retention_policy(request: HttpRequest, case_type_id: int) -> HttpResponse:
    user = _administrator(request)
    case_type: CaseType = _found(CaseType.objects.all(), case_type_id)
    current = getattr(case_type, "retention_policy", None)
    if request.method == "GET":
        initial = (
            {"content_days": current.content_days, "token_days": current.token_days}
            if current
            else {}
        )
        form = PolicyForm(initial=initial)
    else:
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                result = policy_propose(
                    actor=user,
                    case_type=case_type,
                    content_days=form.cleaned_data["content_days"],
                    token_days=form.cleaned_data["token_days"],
                )
            except SpeakUpError as error:
                form.add_error(None, error.message)
            else:
                if isinstance(result, PolicyChange):
                    messages.success(
                        request,
                        "Proposed. A shorter period takes effect when another administrator "
                        "confirms it.",
                    )
                else:
                    messages.success(request, "The retention policy is changed.")
                return redirect("staff:retention")
    status = 400 if form.is_bound else 200
    return render(
        request,
        "staff/retention_policy.html",
        {"case_type": case_type, "current": current, "form": form},
        status=status,
    )


@require_POST
def retention_change_confirm(request: HttpRequest, change_id: int) -> HttpResponse:
    user = _administrator(request)
    change: PolicyChange = _found(PolicyChange.objects.all(), change_id)
    try:
        policy_change_confirm(change=change, actor=user)
        messages.success(request, "Confirmed: the retention policy is changed.")
    except SpeakUpError as error:
        messages.error(request, error.message)
    return redirect("staff:retention")


@require_POST
def retention_change_close(request: HttpRequest, change_id: int) -> HttpResponse:
    user = _administrator(request)
    change: PolicyChange = _found(PolicyChange.objects.all(), change_id)
    try:
        change = policy_change_close(change=change, actor=user)
        messages.success(request, f"The proposal is {change.get_status_display().lower()}.")
    except SpeakUpError as error:
        messages.error(request, error.message)
    return redirect("staff:retention")


@never_cache
@require_GET
def retention_preview(request: HttpRequest) -> HttpResponse:
    """The dry run: exactly the cases the next purge takes, the next to fall due, and the
    purged cases whose audit events go."""
    _administrator(request)
    today = timezone.localdate()
    due = cases_due(today)
    stripped = audit_events_due()
    links = audit_chain_links_due()
    references = case_references(due + stripped)
    return render(
        request,
        "staff/retention_preview.html",
        {
            "due": [(case_id, references[case_id]) for case_id in due],
            "upcoming": cases_upcoming(today),
            "stripped": [(case_id, references[case_id]) for case_id in stripped],
            "audit_days": settings.SPEAKUP_AUDIT_RETENTION_DAYS,
            "refusals_due": links["refusals"],
            "staff_events_due": links["staff"],
            "today": today,
        },
    )


def _holds_page(request: HttpRequest, form: HoldForm, status: int = 200) -> HttpResponse:
    holds = [(hold, hold_reason(hold)) for hold in holds_active().order_by("review_on")]
    return render(
        request,
        "staff/holds.html",
        {"holds": holds, "form": form, "today": timezone.localdate()},
        status=status,
    )


@never_cache
@require_GET
def holds_page(request: HttpRequest) -> HttpResponse:
    _governance(request)
    return _holds_page(request, HoldForm())


@require_POST
def hold_place_view(request: HttpRequest) -> HttpResponse:
    user = _governance(request)
    form = HoldForm(request.POST)
    if form.is_valid():
        try:
            hold_place(
                actor=user,
                reference=form.cleaned_data["reference"],
                reason=form.cleaned_data["reason"],
                review_on=form.cleaned_data["review_on"],
            )
        except CaseNotFound:
            form.add_error("reference", "No case has that reference.")
        except SpeakUpError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "The hold is placed: the case will not be deleted.")
            return redirect("staff:holds")
    return _holds_page(request, form, status=400)


@require_POST
def hold_review_view(request: HttpRequest, hold_id: int) -> HttpResponse:
    user = _governance(request)
    hold: LegalHold = _found(holds_active(), hold_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the next review date as a date.")
        return redirect("staff:holds")
    try:
        hold_review(actor=user, hold=hold, review_on=form.cleaned_data["review_on"])
        messages.success(request, "The review is recorded.")
    except SpeakUpError as error:
        messages.error(request, error.message)
    return redirect("staff:holds")


@require_POST
def hold_lift_view(request: HttpRequest, hold_id: int) -> HttpResponse:
    user = _governance(request)
    hold: LegalHold = _found(holds_active(), hold_id)
    try:
        hold_lift(actor=user, hold=hold)
        messages.success(request, "The hold is lifted.")
    except SpeakUpError as error:
        messages.error(request, error.message)
    return redirect("staff:holds")
