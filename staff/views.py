"""Staff pages. Thin: every case comes through ``permissions/access.py``, every change through
a service, and every refusal is the same not-found (raised as ``CaseNotFound``, rendered by
``staff.middleware.CaseAccessMiddleware``).

Sign-in with two factors is enforced for every ``/staff/`` path by ``StaffSessionMiddleware``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import Group, User
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cases.exceptions import CaseNotFound, InvalidTransition, SpeakUpError
from cases.models import Case, MessageKind
from cases.outcomes import outcome_label, outcome_offered, outcomes_offered
from cases.page_scope import page_scope
from cases.selectors import (
    case_actions,
    case_content,
    event_list_for_staff,
    evidence_for_staff,
    evidence_list_for_staff,
    evidence_read,
    message_list_for_staff,
    reporter_identity_of,
    reporter_identity_open,
)
from cases.services import message_add
from permissions.access import (
    case_for_triage,
    case_for_user,
    case_queryset_for_user,
    case_refuse,
    parse_id,
)
from permissions.models import CaseExclusion, ExclusionKind
from permissions.predicates import (
    may_assign,
    may_change_deadline,
    may_confirm_exclusion,
    may_link_from,
    may_redact,
    may_see_contact,
    may_see_identity,
    may_see_reports,
    may_share,
    may_steer,
    may_unassign,
    may_work,
    may_write_to_reporter,
    sees_redacted_only,
    sees_shared_only,
)
from permissions.roles import CasePerm
from permissions.selectors import (
    case_holders,
    people_named,
    people_working_on,
)
from permissions.services import (
    case_assign,
    case_recuse,
    case_unassign,
    exclusion_add,
    exclusion_confirm,
)
from staff.forms import (
    ActionDoneForm,
    ActionForm,
    AssignForm,
    AttentionDealtWithForm,
    CategoryForm,
    DeadlineForm,
    ExcludeForm,
    PoliceReferralForm,
    RecuseForm,
    RedactionForm,
    SupportForm,
    form_problem,
)
from staff.link_views import links_panel
from workflows import registry
from workflows.clocks import clock_extend, clock_pause, clock_resume, clocks_of
from workflows.predicates import appeal_open, steps_for
from workflows.services import (
    SUPPORT_PARTIES,
    case_record_action,
    case_record_action_done,
    case_record_attention_dealt_with,
    case_record_category,
    case_record_police_referral,
    case_record_redaction,
    case_record_support,
    case_transition,
)
from workflows.spec import Need

# How the reporter's answers are headed on the case page (the keys intake seals).
ANSWER_LABELS = {
    "what_happened": "What happened",
    "when": "When it happened",
    "people_involved": "Who was involved",
    "not_to_handle": "Must not handle the report (conflict of interest)",
    "name": "Reporter's name",
}


def _user(request: HttpRequest) -> User:
    # StaffSessionMiddleware lets only signed-in staff reach these views.
    if not isinstance(request.user, User):
        raise CaseNotFound()
    return request.user


def _state_label(case: Case) -> str:
    return registry.state_label(case.case_type.workflow, case.state)


@never_cache
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Where staff land after signing in: governance leads and administrators on the reports,
    everyone else on their case list."""
    if may_see_reports(_user(request)):
        return redirect("staff:reports")
    return redirect("staff:case_list")


@never_cache
@require_GET
def case_detail(request: HttpRequest, case_id: str) -> HttpResponse:
    user = _user(request)
    case = case_for_user(user, case_id, action="view")
    return case_page(request, user, case)


def case_page(
    request: HttpRequest,
    user: User,
    case: Case,
    *,
    step_problem: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The case page of a case the gate has let ``user`` open (and the view recorded); with
    ``step_problem``, again after a refused step, its error shown and its input kept.

    Put together and rendered in a page scope (``cases.page_scope``): the viewer's roles,
    their permissions on the case and its cipher are each read once, however many of the
    page's parts ask. The page only reads; any change the request made is done by now."""
    with page_scope():
        return _case_page(request, user, case, step_problem=step_problem, status=status)


def _case_page(
    request: HttpRequest,
    user: User,
    case: Case,
    *,
    step_problem: dict[str, Any] | None,
    status: int,
) -> HttpResponse:
    content = case_content(case)
    redacted_only = sees_redacted_only(user)
    answers = content.answers
    if redacted_only:
        # An external investigator reads the version a handler saved for investigators, and
        # nothing of the report until there is one (decision 0024).
        answers = content.redacted_answers or {}
    can_triage = may_assign(user, case)
    available = steps_for(user, case)
    # The first step on the normal course is the page's primary button; leaving steps are
    # apart, each confirmed on a page of its own.
    primary = next((step.name for step in available if not step.leaving), None)
    steps = [
        {
            "name": step.name,
            "label": step.label,
            "needs": step.needs,
            "leaving": step.leaving,
            "primary": step.name == primary,
        }
        for step in available
    ]
    # An external investigator sees only what a handler shared, and their own notes (0024).
    shared_only = sees_shared_only(user)
    can_steer = may_steer(user, case)
    can_work = may_work(user, case)
    # A confidential reporter's identity: only once shared, to those who may see how to
    # contact the reporter (and to the confidential contact), decision 0031.
    identity_row = reporter_identity_of(case)
    identity = (
        reporter_identity_open(case, identity_row)
        if identity_row is not None and may_see_identity(user, case, shared=identity_row.shared)
        else None
    )
    context: dict[str, Any] = {
        "case": case,
        "state_label": _state_label(case),
        "answers": {
            ANSWER_LABELS.get(key, key.replace("_", " ").capitalize()): value
            for key, value in answers.items()
        },
        "redaction": [
            (
                key,
                ANSWER_LABELS.get(key, key),
                (content.redacted_answers or content.answers).get(key, ""),
            )
            for key in content.answers
        ]
        if may_redact(user, case)
        else None,
        "redacted": content.redacted_answers is not None,
        "investigator_only": redacted_only,
        "categories": case.case_type.categories.filter(is_active=True),
        "actions": case_actions(case) if can_steer else [],
        # Only the people working the case, never every member of staff.
        "owners": people_working_on(case),
        "holders": case_holders(case),
        "can_unassign": can_triage and may_unassign(user, case),
        "support_parties": SUPPORT_PARTIES,
        "contact": content.reporter_contact if may_see_contact(user, case) else None,
        "identity_row": identity_row,
        "identity": identity,
        "messages_": message_list_for_staff(
            case, request.GET.get("messages"), shared_only_for=user.pk if shared_only else None
        ),
        "evidence": evidence_list_for_staff(case, shared_only=shared_only),
        "shared_only": shared_only,
        "can_triage": can_triage,
        "recuse_form": RecuseForm(),
        "can_work": can_work,
        "can_steer": can_steer,
        "can_share": may_share(user, case),
        "can_write_to_reporter": may_write_to_reporter(user, case),
        "can_change_deadline": may_change_deadline(user, case),
        # Linked cases (decision 0033): only those the user may see too, filtered in SQL.
        "links": links_panel(user, case, shared_only=shared_only),
        "can_link": may_link_from(user, case),
        "steps": steps,
        # The triage team chooses who decides an appeal, on a page of its own (decision 0032).
        "appeal_open": appeal_open(case),
        "leaving_steps": any(step["leaving"] for step in steps),
        # The active outcomes of the case's type, read only when a step offered records one.
        "outcomes": outcomes_offered(case.case_type_id)
        if any(Need.OUTCOME in step.needs for step in available)
        else [],
        "outcome_label": outcome_label(case),
        "clocks": clocks_of(case),
        "today": timezone.localdate(),
        "step_problem": step_problem,
    }
    if can_triage:
        context["assign_form"] = AssignForm(case=case)
        context["exclude_form"] = ExcludeForm(case=case)
        context["exclusions"] = [
            (exclusion, may_confirm_exclusion(user, exclusion))
            for exclusion in CaseExclusion.objects.filter(case=case).select_related(
                "case__case_type", "user", "proposed_by", "confirmed_by"
            )
        ]
    return render(request, "staff/case_detail.html", context, status=status)


@require_POST
def case_transition_view(request: HttpRequest, case_id: str) -> HttpResponse:
    """Take a step. On success, back to the case page with a message. When the step is refused
    the page is shown again at once (400), the error linked to the field it is about and what
    was typed kept: the step's confirmation page for a leaving step, else the case page."""
    user = _user(request)
    name = request.POST.get("step", "")[:64]
    outcome = request.POST.get("outcome", "")[:32]
    consent = request.POST.get("consent") == "yes"
    reason = request.POST.get("reason", "")[:2000]
    typed: dict[str, Any] = {"outcome": outcome, "consent": consent, "reason": reason}
    # The service obtains the case through the gate, under its lock, in one read; a case
    # the user may not work is the same not-found as everywhere (CaseNotFound).
    try:
        case_transition(
            case=case_id,
            name=name,
            actor=user,
            expected_state=request.POST.get("expected_state", "")[:32],
            outcome=outcome,
            consent=consent,
            reason=reason,
        )
    except InvalidTransition as error:
        perm = registry.step_perm(name)  # an appeal's decision: the decision-maker's grant
        case = case_for_user(user, case_id, perm, action="step", audit=False)
        step = next(
            (s for s in registry.spec_of(case.case_type.workflow).steps if s.name == name), None
        )
        problem = {
            "step": name,
            "message": error.message,
            "field": _step_field(step, typed, case.case_type_id),
            "typed": typed,
        }
        if step is not None and step.leaving and request.POST.get("confirmed") == "yes":
            return _step_confirm_page(request, case, step, problem, status=400)
        return case_page(request, user, case, step_problem=problem, status=400)
    if registry.step_perm(name) == CasePerm.DECIDE_APPEAL:
        # The decision-maker's access ended with the appeal (decision 0032): to their list.
        messages.success(request, "The appeal is decided. Your access to the case has ended.")
        return redirect("staff:case_list")
    messages.success(request, "The case has moved on.")
    return redirect("staff:case_detail", case_id=parse_id(case_id))


def _step_field(step: Any, typed: dict[str, Any], case_type_id: int) -> str | None:
    """The field a refused step's error is about: the first thing it needs that is missing
    (an outcome not offered for the case, retired or forged, is missing too)."""
    if step is None:
        return None
    if Need.OUTCOME in step.needs and not (
        typed["outcome"] and outcome_offered(case_type_id, typed["outcome"])
    ):
        return "outcome"
    if Need.CONSENT in step.needs and not typed["consent"]:
        return "consent"
    if Need.REASON in step.needs and not typed["reason"].strip():
        return "reason"
    return None


@never_cache
@require_GET
def case_step_confirm(request: HttpRequest, case_id: str, step_name: str) -> HttpResponse:
    """Are you sure? A step that ends the case without its normal course (withdraw, not in
    scope, refer elsewhere) is confirmed on a page of its own, with its reason."""
    user = _user(request)
    # Reaching the case is the gate's question (an outsider's attempt is recorded); whether
    # this person may take this step now is the workflow's, and a no is a plain not-found.
    case = case_for_user(user, case_id, action="step", audit=False)
    step = next((s for s in steps_for(user, case) if s.name == step_name and s.leaving), None)
    if step is None:
        raise CaseNotFound()
    return _step_confirm_page(request, case, step, None)


def _step_confirm_page(
    request: HttpRequest, case: Case, step: Any, problem: dict[str, Any] | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "staff/case/step_confirm.html",
        {"case": case, "step": step, "problem": problem, "needs_reason": Need.REASON in step.needs},
        status=status,
    )


@require_POST
def case_message_view(request: HttpRequest, case_id: str) -> HttpResponse:
    user = _user(request)
    case = case_for_user(user, case_id, CasePerm.WORK, action="message", audit=False)
    kind = request.POST.get("kind")
    if kind not in (MessageKind.TO_REPORTER, MessageKind.INTERNAL_NOTE):
        raise CaseNotFound()
    if kind == MessageKind.TO_REPORTER and not may_write_to_reporter(user, case):
        case_refuse(user, case.pk, "message")
    try:
        message_add(
            case=case, kind=MessageKind(kind), body=request.POST.get("body", ""), author=user
        )
        messages.success(
            request,
            "Message sent to the reporter." if kind == MessageKind.TO_REPORTER else "Note added.",
        )
    except SpeakUpError as error:
        messages.error(request, error.message)
    return _back(case)


# --- Recording on a case: one URL and one form per operation --------------------------------
# Each view binds its form, calls its service (which checks the gate and the rule again) and
# answers with a message on the case page.


def _record(
    request: HttpRequest,
    case_id: str,
    *,
    action: str,
    form_for: Callable[[Case], forms.Form],
    save: Callable[[Any, User, Case], str],
    allowed: Callable[[User, Case], bool] = may_steer,
) -> HttpResponse:
    user = _user(request)
    case = case_for_user(user, case_id, CasePerm.WORK, action=action, audit=False)
    # Someone who works the case but whose role may not do this (an external investigator
    # changing the category or a deadline) is refused like an outsider, and recorded.
    if not allowed(user, case):
        case_refuse(user, case.pk, action)
    form = form_for(case)
    if not form.is_valid():
        messages.error(request, form_problem(form))
        return _back(case)
    try:
        messages.success(request, save(form, user, case))
    except SpeakUpError as error:
        messages.error(request, error.message)
    return _back(case)


@require_POST
def case_category_view(request: HttpRequest, case_id: str) -> HttpResponse:
    def save(form: CategoryForm, user: User, case: Case) -> str:
        case_record_category(case=case, actor=user, category=form.cleaned_data["category"])
        return "The category is saved."

    return _record(
        request,
        case_id,
        action="category",
        form_for=lambda case: CategoryForm(request.POST, case=case),
        save=save,
    )


@require_POST
def case_redaction_view(request: HttpRequest, case_id: str) -> HttpResponse:
    def save(form: RedactionForm, user: User, case: Case) -> str:
        case_record_redaction(case=case, actor=user, answers=form.answers())
        return "The redacted version is saved; external investigators see it instead of the report."

    return _record(
        request,
        case_id,
        action="redaction",
        allowed=may_redact,
        form_for=lambda case: RedactionForm(request.POST, keys=case_content(case).answers),
        save=save,
    )


@require_POST
def case_action_add_view(request: HttpRequest, case_id: str) -> HttpResponse:
    def save(form: ActionForm, user: User, case: Case) -> str:
        data = form.cleaned_data
        case_record_action(
            case=case, actor=user, title=data["title"], owner=data["owner"], due_on=data["due_on"]
        )
        return "The action is added."

    return _record(
        request,
        case_id,
        action="action",
        form_for=lambda case: ActionForm(request.POST, case=case),
        save=save,
    )


@require_POST
def case_action_done_view(request: HttpRequest, case_id: str) -> HttpResponse:
    def save(form: ActionDoneForm, user: User, case: Case) -> str:
        case_record_action_done(case=case, actor=user, action_id=form.cleaned_data["action"])
        return "The action is done."

    return _record(
        request,
        case_id,
        action="action_done",
        form_for=lambda case: ActionDoneForm(request.POST),
        save=save,
    )


@require_POST
def case_deadline_view(request: HttpRequest, case_id: str) -> HttpResponse:
    def save(form: DeadlineForm, user: User, case: Case) -> str:
        data = form.cleaned_data
        clock, reason = data["clock"], data["reason"]
        if data["change"] == "pause":
            clock_pause(clock=clock, actor=user, reason=reason)
        elif data["change"] == "resume":
            clock_resume(clock=clock, actor=user)
        else:
            clock_extend(clock=clock, actor=user, days=data["days"] or 0, reason=reason)
        return "The deadline is changed."

    return _record(
        request,
        case_id,
        action="deadline",
        allowed=may_change_deadline,
        form_for=lambda case: DeadlineForm(request.POST, case=case),
        save=save,
    )


@require_POST
def case_police_view(request: HttpRequest, case_id: str) -> HttpResponse:
    def save(form: PoliceReferralForm, user: User, case: Case) -> str:
        case_record_police_referral(case=case, actor=user, on=form.cleaned_data["on"])
        return "The police referral is recorded."

    return _record(
        request,
        case_id,
        action="police",
        form_for=lambda case: PoliceReferralForm(request.POST),
        save=save,
    )


@require_POST
def case_attention_view(request: HttpRequest, case_id: str) -> HttpResponse:
    def save(form: AttentionDealtWithForm, user: User, case: Case) -> str:
        case_record_attention_dealt_with(case=case, actor=user)
        return "Recorded: the reporter's check-in has been dealt with."

    return _record(
        request,
        case_id,
        action="attention",
        form_for=lambda case: AttentionDealtWithForm(request.POST),
        save=save,
    )


@require_POST
def case_support_view(request: HttpRequest, case_id: str) -> HttpResponse:
    def save(form: SupportForm, user: User, case: Case) -> str:
        case_record_support(case=case, actor=user, party=form.cleaned_data["party"])
        return "The offer of support is recorded."

    return _record(
        request,
        case_id,
        action="support",
        form_for=lambda case: SupportForm(request.POST),
        save=save,
    )


def _int(value: object) -> int | None:
    text = str(value)
    return int(text) if re.fullmatch(r"[0-9]{1,12}", text) else None


@never_cache
@require_GET
def case_history(request: HttpRequest, case_id: str) -> HttpResponse:
    case = case_for_user(_user(request), case_id, action="history")
    changes_only = request.GET.get("changes") == "1"
    workflow = case.case_type.workflow
    timeline = event_list_for_staff(
        case,
        request.GET.get("page"),
        changes_only=changes_only,
        people=people_named,
        state_words=lambda state: registry.state_label(workflow, state),
        # Links to cases the reader cannot see are left out (decision 0033).
        others_seen=case_queryset_for_user(request.user),
    )
    return render(
        request,
        "staff/case_history.html",
        {"case": case, "timeline": timeline, "changes_only": changes_only},
    )


@never_cache
@require_GET
def evidence_download(
    request: HttpRequest, case_id: str, evidence_id: str
) -> StreamingHttpResponse:
    user = _user(request)
    case = case_for_user(user, case_id, action="download")
    # A file that is not on the case, or (for an investigator) not shared: the same
    # not-found, recorded like every refusal.
    view = evidence_for_staff(case, parse_id(evidence_id), shared_only=sees_shared_only(user))
    if view is None:
        case_refuse(user, case.pk, "download")
    evidence = view.evidence
    safe_name = re.sub(r"[^\w.\- ]", "_", view.name)[:100] or "evidence"
    response = StreamingHttpResponse(evidence_read(evidence), content_type=evidence.content_type)
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response["Content-Length"] = str(evidence.size)
    return response


def _back(case: Case) -> HttpResponse:
    return redirect("staff:case_detail", case_id=case.pk)


@require_POST
def case_assign_view(request: HttpRequest, case_id: str) -> HttpResponse:
    user = _user(request)
    case = case_for_triage(user, case_id, action="assign")
    form = AssignForm(request.POST, case=case)
    if form.is_valid():
        try:
            case_assign(
                case=case,
                assignee=form.cleaned_data["assignee"],
                actor=user,
                expires_on=form.cleaned_data["expires_on"],
            )
            messages.success(request, "The case has been assigned.")
        except SpeakUpError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "Choose someone to assign, and an end date for an investigator.")
    return _back(case)


@require_POST
def case_unassign_view(request: HttpRequest, case_id: str) -> HttpResponse:
    user = _user(request)
    case = case_for_triage(user, case_id, action="unassign")
    wanted, wanted_team = _int(request.POST.get("user", "")), _int(request.POST.get("team", ""))
    assignee = User.objects.filter(pk=wanted).first() if wanted else None
    team = Group.objects.filter(pk=wanted_team).first() if wanted_team and not assignee else None
    if assignee is not None or team is not None:
        try:
            case_unassign(case=case, user=assignee, team=team, actor=user)
            messages.success(request, "The assignment has been removed.")
        except SpeakUpError as error:
            messages.error(request, error.message)
    return _back(case)


@require_POST
def case_exclude_view(request: HttpRequest, case_id: str) -> HttpResponse:
    user = _user(request)
    case = case_for_triage(user, case_id, action="exclude")
    form = ExcludeForm(request.POST, case=case)
    if form.is_valid():
        try:
            exclusion_add(
                case=case,
                user=form.cleaned_data["user"],
                kind=ExclusionKind(form.cleaned_data["kind"]),
                actor=user,
            )
            messages.success(request, "That person is now excluded from the case.")
        except SpeakUpError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "Choose the person to exclude and why.")
    return _back(case)


@require_POST
def exclusion_confirm_view(request: HttpRequest, case_id: str, exclusion_id: int) -> HttpResponse:
    user = _user(request)
    case = case_for_triage(user, case_id, action="confirm_exclusion")
    exclusion = CaseExclusion.objects.filter(case=case, pk=exclusion_id).first()
    if exclusion is None:
        raise CaseNotFound()
    try:
        exclusion_confirm(exclusion=exclusion, actor=user)
        messages.success(request, "The exclusion is confirmed.")
    except SpeakUpError as error:
        messages.error(request, error.message)
    return _back(case)


@require_POST
def case_recuse_view(request: HttpRequest, case_id: str) -> HttpResponse:
    user = _user(request)
    case = case_for_user(user, case_id, action="recuse", audit=False)
    form = RecuseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for stepping aside.")
        return _back(case)
    case_recuse(case=case, actor=user, reason=form.cleaned_data["reason"])
    messages.success(request, "You have stepped aside from the case.")
    return redirect("staff:case_list")


@never_cache
@require_GET
def workflows_page(request: HttpRequest) -> HttpResponse:
    """Each case type's process, read from the code: states, steps, who takes them, what they
    need. For administrators and auditors; shows no case."""
    machines = []
    for spec in registry.specs():
        rows = [
            {
                "step": step.label,
                "source": spec.state(source).staff,  # type: ignore[union-attr]
                "target": spec.state(step.target).staff,  # type: ignore[union-attr]
                "roles": ", ".join(sorted(role.value for role in step.roles)),
                "needs": ", ".join(sorted(step.needs)),
                "independent": step.independent,
            }
            for step in spec.steps
            for source in step.sources
        ]
        machines.append(
            {"name": spec.label, "states": [s.staff for s in spec.states], "rows": rows}
        )
    return render(request, "staff/workflows.html", {"machines": machines})
