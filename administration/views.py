"""The settings area: where administrators configure the organisation's kinds of report,
categories, units, deadlines, branding, support and campaigns, on GOV.UK-pattern pages.

Administrators only: anyone else gets the staff side's not-found, as for any missing page.
The pages show configuration and the record of its changes, never a case. Thin: every change
goes through ``permissions.settings_changes`` (one audited change each; a weakening one waits
for a second administrator), every check of what was typed is a form in ``forms.py``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from administration.forms import (
    BrandingForm,
    CampaignForm,
    CaseTypeForm,
    CategoryForm,
    CheckinForm,
    ClocksForm,
    MonitoringQuestionForm,
    NetworksForm,
    ReportingLevelsForm,
    SupportForm,
    UnitForm,
    stage_choices,
)
from administration.reminders import RemindersForm, reminder_rows
from cases.models import CaseType, Category, OrganisationalUnit
from intake.models import Branding, Campaign, SupportResource
from intake.views import start_page
from permissions.models import SettingsChange, SettingsStatus
from permissions.predicates import may_configure, may_confirm_settings_change
from permissions.settings_changes import (
    SettingsRefused,
    settings_change_close,
    settings_change_confirm,
    settings_change_make,
    settings_change_weakens,
)
from reports.models import MonitoringQuestion
from retention.models import RetentionPolicy
from workflows.registry import spec_of, state_label

PREVIEW_KEY = "settings_branding_draft"
# The reporting levels in the words of their form.
LEVEL_WORDS: dict[str, str] = {
    str(value): str(label)
    for value, label in ReportingLevelsForm.base_fields["reporting_levels"].choices  # type: ignore[attr-defined]
}


def _administrator(request: HttpRequest) -> User:
    # The area does not exist for anyone else (the same answer as any missing page).
    if not isinstance(request.user, User) or not may_configure(request.user):
        raise Http404()
    return request.user


def _found[M: Model](rows: QuerySet[M], pk: int) -> M:
    found = rows.filter(pk=pk).first()
    if found is None:
        raise Http404()
    return found


# What each kind of setting is called on the pages.
SUBJECT_NAMES = {
    "case_type": "Kind of report",
    "reporting_levels": "Reporting levels of a kind of report",
    "clocks": "Deadlines of a kind of report",
    "checkin": "Check-in after closure of a kind of report",
    "reminders": "Reminders of a kind of report",
    "category": "Category",
    "outcome": "Outcome",
    "unit": "Unit",
    "branding": "Branding",
    "networks": "Corporate network ranges",
    "support": "Support resource",
    "campaign": "Campaign",
    "monitoring": "Equality monitoring question",
}


def _made(request: HttpRequest, change: SettingsChange) -> None:
    if change.status == SettingsStatus.PENDING:
        messages.info(
            request,
            f"Proposed: {settings_change_weakens(change)} A second administrator must confirm "
            "it on the settings page before it takes effect.",
        )
    else:
        messages.success(request, "Saved.")


def _form_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    title: str,
    button: str,
    back: str,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    return render(
        request,
        "administration/form.html",
        {"form": form, "title": title, "button": button, "back": back, **extra},
        status=status,
    )


def _edit(
    request: HttpRequest,
    make_form: Callable[..., Any],
    *,
    initial: dict[str, Any],
    subject: str,
    target_id: int | None,
    title: str,
    back: str,
    done: Callable[[SettingsChange], str] | None = None,
    **extra: Any,
) -> HttpResponse:
    """A settings form page: shown with ``initial``; posted, checked, then one change through
    ``settings_change_make`` (its refusal is put on the form, which keeps what was typed),
    and back to ``back`` (or where ``done`` says)."""
    page = {"title": title, "button": "Save", "back": back, **extra}
    if request.method == "GET":
        return _form_page(request, make_form(initial=initial), **page)
    form = make_form(request.POST)
    if form.is_valid():
        try:
            change = settings_change_make(
                actor=_administrator(request),
                subject=subject,
                target_id=target_id,
                after=form.values(),
            )
        except SettingsRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            _made(request, change)
            return redirect(done(change) if done else back)
    return _form_page(request, form, status=400, **page)


# --- The index and the record of changes ---------------------------------------------------------


def _shown(key: str, value: Any) -> str:
    if key == "reporting_levels":
        return LEVEL_WORDS.get(value, str(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "answers" and isinstance(value, list):
        value = ", ".join(str(pair[1]) for pair in value if isinstance(pair, list) and pair[1:])
    if key == "answers_cy" and isinstance(value, dict):
        value = ", ".join(str(label) for label in value.values())
    if key == "logo":
        return f"a picture of {len(value) * 3 // 4 // 1000} KB" if value else "none"
    if value in (None, "", [], {}):
        return "none"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def change_lines(change: SettingsChange) -> list[tuple[str, str, str]]:
    """What a change changed, as (setting, before, after), for the record on the page."""
    return [
        (key, _shown(key, change.before.get(key)), _shown(key, value))
        for key, value in change.after.items()
        if change.before.get(key) != value
    ]


@never_cache
@require_GET
def settings_index(request: HttpRequest) -> HttpResponse:
    user = _administrator(request)
    changes = SettingsChange.objects.select_related("proposed_by", "closed_by")
    pending = [
        (
            change,
            SUBJECT_NAMES.get(change.subject, change.subject),
            change_lines(change),
            settings_change_weakens(change),
            may_confirm_settings_change(user, proposed_by_id=change.proposed_by_id),
        )
        for change in changes.filter(status=SettingsStatus.PENDING)
    ]
    recent = [
        (change, SUBJECT_NAMES.get(change.subject, change.subject), change_lines(change))
        for change in changes.exclude(status=SettingsStatus.PENDING)[:20]
    ]
    return render(
        request,
        "administration/index.html",
        {
            "case_types": CaseType.objects.order_by("position", "name"),
            "pending": pending,
            "recent": recent,
        },
    )


def _decide(
    request: HttpRequest, change_id: int, decide: Callable[..., SettingsChange], done: str
) -> HttpResponse:
    user = _administrator(request)
    change = _found(SettingsChange.objects.all(), change_id)
    try:
        decide(change=change, actor=user)
        messages.success(request, done)
    except SettingsRefused as refusal:
        messages.error(request, refusal.message)
    return redirect("administration:index")


@require_POST
def change_confirm(request: HttpRequest, change_id: int) -> HttpResponse:
    return _decide(request, change_id, settings_change_confirm, "The change was confirmed.")


@require_POST
def change_close(request: HttpRequest, change_id: int) -> HttpResponse:
    return _decide(request, change_id, settings_change_close, "The proposal was closed.")


# --- Kinds of report ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def case_type_edit(request: HttpRequest, case_type_id: int | None = None) -> HttpResponse:
    _administrator(request)
    case_type = _found(CaseType.objects.all(), case_type_id) if case_type_id else None
    initial: dict[str, Any] = {"is_active": "yes"}
    if case_type is not None:
        initial = {
            "name": case_type.name,
            "name_cy": case_type.name_cy,
            "description": case_type.description,
            "description_cy": case_type.description_cy,
            "workflow": case_type.workflow,
            "is_active": "yes" if case_type.is_active else "no",
            "position": case_type.position,
        }
    return _edit(
        request,
        lambda *a, **k: CaseTypeForm(*a, case_type=case_type, **k),
        initial=initial,
        subject="case_type",
        target_id=case_type_id,
        title=f"Change {case_type.name}" if case_type else "Add a kind of report",
        back=_back(case_type),
        done=lambda change: reverse("administration:case_type", args=[change.target_id]),
    )


def _kind_setting(
    request: HttpRequest,
    case_type_id: int,
    *,
    subject: str,
    title: str,
    make_form: Callable[[CaseType], Callable[..., Any]],
    initial: Callable[[CaseType], dict[str, Any]],
    intro: str,
) -> HttpResponse:
    """A setting of one kind of report (its reporting levels, deadlines, reminders): its form
    page, one change of ``subject`` with the kind as its row, then back to the kind's page."""
    _administrator(request)
    case_type = _found(CaseType.objects.all(), case_type_id)
    return _edit(
        request,
        make_form(case_type),
        initial=initial(case_type),
        subject=subject,
        target_id=case_type.pk,
        title=f"{title} for {case_type.name}",
        back=_back(case_type),
        intro=intro,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def levels_edit(request: HttpRequest, case_type_id: int) -> HttpResponse:
    """The reporting levels of a kind of report: offering confidential or named reporting
    where it was not waits for a second administrator; taking a level away is made at once."""
    return _kind_setting(
        request,
        case_type_id,
        subject="reporting_levels",
        title="Reporting levels",
        make_form=lambda case_type: ReportingLevelsForm,
        initial=lambda case_type: {"reporting_levels": case_type.reporting_levels},
        intro=(
            "Anonymous: nobody knows who the reporter is. In confidence: only the confidential "
            "contact sees their name. Openly: those handling the report see it. Offering "
            "confidential or named reporting where it was not waits for a second "
            "administrator; taking a level away is made at once. A report for trends only is "
            "always anonymous."
        ),
    )


def _back(case_type: CaseType | None) -> str:
    if case_type is None:
        return reverse("administration:index")
    return reverse("administration:case_type", args=[case_type.pk])


def clock_rows(case_type: CaseType) -> list[tuple[str, str]]:
    """The case type's deadlines in words, for its page."""
    kind = "working days" if case_type.deadlines_in_working_days else "calendar days"
    rows = [
        (
            "Acknowledge receipt",
            f"{case_type.acknowledge_within_days} {kind}"
            if case_type.acknowledge_within_days
            else "No deadline",
        )
    ]
    if case_type.feedback_within_months:
        feedback = f"{case_type.feedback_within_months} calendar months"
    elif case_type.feedback_within_days:
        feedback = f"{case_type.feedback_within_days} {kind}"
    else:
        feedback = "No deadline"
    rows.append(("Give feedback", feedback))
    for stage, limit in (case_type.stage_limits or {}).items():
        if isinstance(limit, dict) and limit.get("days"):
            days = "working days" if limit.get("working") else "calendar days"
            rows.append(
                (f"Finish “{state_label(case_type.workflow, stage)}”", f"{limit['days']} {days}")
            )
    return rows


@never_cache
@require_GET
def case_type_page(request: HttpRequest, case_type_id: int) -> HttpResponse:
    _administrator(request)
    case_type = _found(CaseType.objects.all(), case_type_id)
    return render(
        request,
        "administration/case_type.html",
        {
            "case_type": case_type,
            "process": spec_of(case_type.workflow).label,
            "categories": Category.objects.filter(case_type=case_type).order_by("name"),
            "clocks": clock_rows(case_type),
            "levels": LEVEL_WORDS.get(case_type.reporting_levels, case_type.reporting_levels),
            "reminders": reminder_rows(case_type),
            "checkin": checkin_rows(case_type),
            "retention": RetentionPolicy.objects.filter(case_type=case_type).first(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def category_edit(
    request: HttpRequest, case_type_id: int, category_id: int | None = None
) -> HttpResponse:
    _administrator(request)
    case_type = _found(CaseType.objects.all(), case_type_id)
    category = (
        _found(Category.objects.filter(case_type=case_type), category_id) if category_id else None
    )
    return _edit(
        request,
        lambda *a, **k: CategoryForm(*a, case_type=case_type, category=category, **k),
        initial={"name": category.name, "name_cy": category.name_cy} if category else {},
        subject="category",
        target_id=category_id,
        title=f"Rename {category.name}" if category else f"Add a category to {case_type.name}",
        back=_back(case_type),
    )


@require_POST
def category_retire(request: HttpRequest, case_type_id: int, category_id: int) -> HttpResponse:
    """Retire a category (no new report can choose it; its cases keep it) or bring it back.
    A category is never deleted: cases and reports name it."""
    user = _administrator(request)
    category = _found(Category.objects.filter(case_type_id=case_type_id), category_id)
    values = {
        "case_type": category.case_type_id,
        "slug": category.slug,
        "name": category.name,
        "name_cy": category.name_cy,
        "is_active": not category.is_active,
    }
    try:
        change = settings_change_make(
            actor=user, subject="category", target_id=category.pk, after=values
        )
        _made(request, change)
    except SettingsRefused as refusal:
        messages.error(request, refusal.message)
    return redirect("administration:case_type", case_type_id)


@never_cache
@require_http_methods(["GET", "POST"])
def clocks_edit(request: HttpRequest, case_type_id: int) -> HttpResponse:
    return _kind_setting(
        request,
        case_type_id,
        subject="clocks",
        title="Deadlines",
        make_form=lambda case_type: lambda *a, **k: ClocksForm(*a, case_type=case_type, **k),
        initial=ClocksForm.initial_for,
        intro=(
            "A longer deadline, a deadline removed, or a change of calendar waits for a second "
            "administrator: it gives reporters a longer wait. Working days skip weekends and "
            "bank holidays."
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def reminders_edit(request: HttpRequest, case_type_id: int) -> HttpResponse:
    return _kind_setting(
        request,
        case_type_id,
        subject="reminders",
        title="Reminders",
        make_form=lambda case_type: RemindersForm,
        initial=RemindersForm.initial_for,
        intro=(
            "Those working a case are reminded of its deadlines and actions; long overdue, the "
            "triage leads and then the escalation contact are told. A later or missing "
            "reminder or escalation, or another escalation contact, waits for a second "
            "administrator."
        ),
    )


def checkin_rows(case_type: CaseType) -> list[tuple[str, str]]:
    """The check-in after closure in words, for the kind's page."""
    weeks = case_type.checkin_after_weeks
    return [
        ("Asked", f"{weeks} weeks after closure" if weeks else "Never"),
        (
            "When the reporter answers yes",
            "A new case of this kind is opened"
            if case_type.checkin_yes_opens_case
            else "The closed case is marked as needing attention",
        ),
    ]


@never_cache
@require_http_methods(["GET", "POST"])
def checkin_edit(request: HttpRequest, case_type_id: int) -> HttpResponse:
    """The reporter's check-in after closure (decision 0020): switching it off or asking later
    waits for a second administrator; switching it on or asking sooner is made at once."""
    return _kind_setting(
        request,
        case_type_id,
        subject="checkin",
        title="Check-in after closure",
        make_form=lambda case_type: CheckinForm,
        initial=CheckinForm.initial_for,
        intro=(
            "Some weeks after a case closes, its reporter's follow-up page asks whether anyone "
            "has treated them worse because of their report. Switching it off, or asking "
            "later, waits for a second administrator."
        ),
    )


# --- Units ------------------------------------------------------------------------------------


def unit_tree() -> list[tuple[OrganisationalUnit, list[str]]]:
    """Every unit with the names of the units it sits in (outermost first), each under its
    parent, alphabetical at each level."""
    units = list(OrganisationalUnit.objects.order_by("name"))
    children: dict[int | None, list[OrganisationalUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    found: list[tuple[OrganisationalUnit, list[str]]] = []
    seen: set[int] = set()

    def walk(parent: int | None, within: list[str]) -> None:
        for unit in children.get(parent, []):
            if unit.pk not in seen:
                seen.add(unit.pk)
                found.append((unit, within))
                walk(unit.pk, [*within, unit.name])

    walk(None, [])
    return found


@never_cache
@require_GET
def units_page(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    return render(request, "administration/units.html", {"units": unit_tree()})


@never_cache
@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, unit_id: int | None = None) -> HttpResponse:
    _administrator(request)
    unit = _found(OrganisationalUnit.objects.all(), unit_id) if unit_id else None
    initial: dict[str, Any] = {"is_active": "yes"}
    if unit is not None:
        initial = {
            "name": unit.name,
            "name_cy": unit.name_cy,
            "parent": str(unit.parent_id or ""),
            "is_active": "yes" if unit.is_active else "no",
        }
    return _edit(
        request,
        lambda *a, **k: UnitForm(*a, unit=unit, **k),
        initial=initial,
        subject="unit",
        target_id=unit_id,
        title=f"Change {unit.name}" if unit else "Add a unit",
        back=reverse("administration:units"),
    )


# --- Branding, with a preview of the start page before it is saved ------------------------------


def _branding_initial(brand: Branding) -> dict[str, Any]:
    return {
        "organisation_name": brand.organisation_name,
        "organisation_name_cy": brand.organisation_name_cy,
        "welcome": brand.welcome,
        "welcome_cy": brand.welcome_cy,
        "colour": brand.colour,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def branding_edit(request: HttpRequest) -> HttpResponse:
    """The branding form. "Preview" keeps what was typed (in the staff session only) and
    shows the start page with it; nothing is saved until "Save" on the preview."""
    _administrator(request)
    brand = Branding.objects.order_by("pk").first() or Branding()
    title = "Branding"
    back = reverse("administration:index")
    page: dict[str, Any] = {
        "title": title,
        "button": "Preview the start page",
        "back": back,
        "brand": brand,
    }
    if request.method == "GET":
        draft = request.session.get(PREVIEW_KEY)
        initial = {**_branding_initial(brand), **(draft or {})}
        initial.pop("logo", None)
        return _form_page(request, BrandingForm(initial=initial), **page)
    form = BrandingForm(request.POST, request.FILES)
    if not form.is_valid():
        return _form_page(request, form, status=400, **page)
    data = form.cleaned_data
    logo = data["logo"]
    if logo is not None:
        logo_b64, logo_type = base64.b64encode(logo[0]).decode(), logo[1]
    elif data["remove_logo"] or not brand.logo:
        logo_b64, logo_type = "", ""
    else:
        logo_b64, logo_type = base64.b64encode(bytes(brand.logo)).decode(), brand.logo_type
    request.session[PREVIEW_KEY] = {
        "organisation_name": data["organisation_name"],
        "organisation_name_cy": data["organisation_name_cy"],
        "welcome": data["welcome"],
        "welcome_cy": data["welcome_cy"],
        "colour": data["colour"],
        "logo": logo_b64,
        "logo_type": logo_type,
    }
    return redirect("administration:branding_preview")


def _draft(request: HttpRequest) -> dict[str, Any]:
    draft = request.session.get(PREVIEW_KEY)
    if not isinstance(draft, dict):
        raise Http404()
    return draft


def _draft_brand(draft: dict[str, Any]) -> Branding:
    current = Branding.objects.order_by("pk").first()
    brand = Branding(
        corporate_networks=current.corporate_networks if current else "",
        **{k: v for k, v in draft.items() if k != "logo"},
    )
    try:
        brand.logo = base64.b64decode(draft["logo"]) if draft.get("logo") else None
    except (binascii.Error, TypeError):
        brand.logo = None
    return brand


@never_cache
@require_GET
def branding_preview(request: HttpRequest) -> HttpResponse:
    """The reporter start page as it will look with the draft branding."""
    _administrator(request)
    brand = _draft_brand(_draft(request))
    return start_page(
        request,
        brand,
        preview={
            "banner": "administration/_preview_banner.html",
            "css_url": reverse("administration:branding_preview_css"),
            "logo_url": reverse("administration:branding_preview_logo"),
        },
    )


@never_cache
@require_GET
def branding_preview_css(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    colour = _draft_brand(_draft(request)).colour
    css = f".speakup-header{{background-color:{colour};border-bottom-color:{colour}}}\n"
    return HttpResponse(css, content_type="text/css")


@never_cache
@require_GET
def branding_preview_logo(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    brand = _draft_brand(_draft(request))
    if not brand.logo:
        raise Http404()
    response = HttpResponse(bytes(brand.logo), content_type=brand.logo_type or "image/png")
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_POST
def branding_save(request: HttpRequest) -> HttpResponse:
    user = _administrator(request)
    draft = _draft(request)
    brand = Branding.objects.order_by("pk").first()
    try:
        change = settings_change_make(
            actor=user, subject="branding", target_id=brand.pk if brand else None, after=draft
        )
    except SettingsRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("administration:branding")
    del request.session[PREVIEW_KEY]
    _made(request, change)
    return redirect("administration:index")


@never_cache
@require_http_methods(["GET", "POST"])
def networks_edit(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    brand = Branding.objects.order_by("pk").first()
    return _edit(
        request,
        NetworksForm,
        initial={"corporate_networks": brand.corporate_networks if brand else ""},
        subject="networks",
        target_id=brand.pk if brand else None,
        title="Corporate network ranges",
        back=reverse("administration:index"),
        intro="Removing a range waits for a second administrator: reporters on it would no "
        "longer be warned.",
    )


# --- Support and campaigns --------------------------------------------------------------------


@never_cache
@require_GET
def support_page(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    stages = dict(stage_choices())
    resources = [
        (
            resource,
            [f"{c.case_type.name}: {c.name}" for c in resource.categories.all()],
            [stages.get(s, s) for s in resource.stages or []],
        )
        for resource in SupportResource.objects.prefetch_related("categories__case_type")
    ]
    return render(request, "administration/support.html", {"resources": resources})


@never_cache
@require_http_methods(["GET", "POST"])
def support_edit(request: HttpRequest, resource_id: int | None = None) -> HttpResponse:
    _administrator(request)
    resource = _found(SupportResource.objects.all(), resource_id) if resource_id else None
    initial: dict[str, Any] = {"is_active": "yes"}
    if resource is not None:
        initial = {
            "title": resource.title,
            "title_cy": resource.title_cy,
            "description": resource.description,
            "description_cy": resource.description_cy,
            "link": resource.link,
            "phone": resource.phone,
            "categories": [str(pk) for pk in resource.categories.values_list("pk", flat=True)],
            "stages": resource.stages,
            "position": resource.position,
            "is_active": "yes" if resource.is_active else "no",
        }
    return _edit(
        request,
        SupportForm,
        initial=initial,
        subject="support",
        target_id=resource_id,
        title=f"Change {resource.title}" if resource else "Add a support resource",
        back=reverse("administration:support"),
    )


@never_cache
@require_GET
def campaigns_page(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    return render(
        request,
        "administration/campaigns.html",
        {"campaigns": Campaign.objects.order_by("-starts_on", "title")},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, campaign_id: int | None = None) -> HttpResponse:
    _administrator(request)
    campaign = _found(Campaign.objects.all(), campaign_id) if campaign_id else None
    initial: dict[str, Any] = {}
    if campaign is not None:
        initial = {
            "title": campaign.title,
            "title_cy": campaign.title_cy,
            "message": campaign.message,
            "message_cy": campaign.message_cy,
            "starts_on": campaign.starts_on.isoformat(),
            "ends_on": campaign.ends_on.isoformat(),
        }
    return _edit(
        request,
        CampaignForm,
        initial=initial,
        subject="campaign",
        target_id=campaign_id,
        title=f"Change {campaign.title}" if campaign else "Add a campaign",
        back=reverse("administration:campaigns"),
    )


# --- Equality monitoring questions ------------------------------------------------------------


@never_cache
@require_GET
def monitoring_page(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    return render(
        request,
        "administration/monitoring.html",
        {"questions": MonitoringQuestion.objects.order_by("position", "slug")},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def monitoring_edit(request: HttpRequest, question_id: int | None = None) -> HttpResponse:
    """An equality monitoring question: asking one, rewording it, or adding or renaming an
    answer waits for a second administrator (its answers could say more about who gave them);
    retiring it, taking an answer away, a hint or its place are made at once."""
    _administrator(request)
    question = _found(MonitoringQuestion.objects.all(), question_id) if question_id else None
    return _edit(
        request,
        lambda *a, **k: MonitoringQuestionForm(*a, question=question, **k),
        initial=MonitoringQuestionForm.initial_for(question) if question else {"is_active": "yes"},
        subject="monitoring",
        target_id=question_id,
        title=f"Change “{question.text}”" if question else "Add an equality monitoring question",
        back=reverse("administration:monitoring"),
        intro=(
            "Asked on the report form and counted apart from the report, never with it. Asking "
            "a question, rewording it, or adding or renaming an answer waits for a second "
            "administrator: the more an answer says, the nearer a count comes to a person."
        ),
    )
