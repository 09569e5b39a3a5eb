"""The outcomes page of the settings area: each kind of report's outcomes, which handlers
choose from when a step records one and which the reports count by
(docs/decisions/0032-outcomes-and-appeal-decision-makers.md).

Administrators only, like every settings page. An outcome is added, relabelled, reordered,
retired and brought back, each one audited change through ``permissions.settings_changes``
(``workflows.outcome_settings`` says which changes wait for a second administrator and which
cannot be made); an outcome is never deleted, because cases and reports name it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from administration.outcome_forms import OutcomeForm, outcome_values
from administration.views import _administrator, _edit, _found, _made
from cases.models import DEFAULT_OUTCOMES, CaseType, OutcomeCode
from permissions.settings_changes import SettingsRefused, settings_change_make
from workflows.outcome_settings import records_outcomes


def _back(case_type: CaseType) -> str:
    return reverse("administration:outcomes") + f"#kind-{case_type.pk}"


@never_cache
@require_GET
def outcomes_page(request: HttpRequest) -> HttpResponse:
    """Every kind of report with its outcomes, retired ones included: two queries."""
    _administrator(request)
    kinds = list(CaseType.objects.order_by("position", "name"))
    by_kind: dict[int, list[OutcomeCode]] = {kind.pk: [] for kind in kinds}
    for outcome in OutcomeCode.objects.order_by("position", "label"):
        by_kind.setdefault(outcome.case_type_id, []).append(outcome)
    return render(
        request,
        "administration/outcomes.html",
        {"kinds": [(kind, by_kind[kind.pk], records_outcomes(kind)) for kind in kinds]},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def outcome_edit(
    request: HttpRequest, case_type_id: int, outcome_id: int | None = None
) -> HttpResponse:
    _administrator(request)
    case_type = _found(CaseType.objects.all(), case_type_id)
    outcome = (
        _found(OutcomeCode.objects.filter(case_type=case_type), outcome_id) if outcome_id else None
    )
    initial: dict[str, Any] = {"substantiated": "no"}
    if outcome is not None:
        initial = {
            "label": outcome.label,
            "substantiated": "yes" if outcome.substantiated else "no",
            "position": outcome.position,
        }
    return _edit(
        request,
        lambda *a, **k: OutcomeForm(*a, case_type=case_type, outcome=outcome, **k),
        initial=initial,
        subject="outcome",
        target_id=outcome_id,
        title=f"Change the outcome {outcome.label}"
        if outcome
        else f"Add an outcome to {case_type.name}",
        back=_back(case_type),
        intro="Changing whether an outcome that cases already have counts as substantiated "
        "waits for a second administrator: it changes what past reports say.",
    )


@require_POST
def outcome_retire(request: HttpRequest, case_type_id: int, outcome_id: int) -> HttpResponse:
    """Retire an outcome (no step can record it any more; cases that have it keep it, and
    reports still name and count them) or bring it back."""
    user = _administrator(request)
    case_type = _found(CaseType.objects.all(), case_type_id)
    outcome = _found(OutcomeCode.objects.filter(case_type=case_type), outcome_id)
    try:
        change = settings_change_make(
            actor=user,
            subject="outcome",
            target_id=outcome.pk,
            after=outcome_values(outcome, is_active=not outcome.is_active),
        )
        _made(request, change)
    except SettingsRefused as refusal:
        messages.error(request, refusal.message)
    return redirect(_back(case_type))


@require_POST
def outcomes_usual(request: HttpRequest, case_type_id: int) -> HttpResponse:
    """Add the usual outcomes a kind of report does not have yet (a new kind starts with
    none): one recorded change each."""
    user = _administrator(request)
    case_type = _found(CaseType.objects.all(), case_type_id)
    have = set(OutcomeCode.objects.filter(case_type=case_type).values_list("code", flat=True))
    labels = {
        label.lower()
        for label in OutcomeCode.objects.filter(case_type=case_type).values_list("label", flat=True)
    }
    added = 0
    for position, (code, label, substantiated) in enumerate(DEFAULT_OUTCOMES, start=1):
        if code in have or label.lower() in labels:
            continue
        try:
            settings_change_make(
                actor=user,
                subject="outcome",
                target_id=None,
                after={
                    "case_type": case_type.pk,
                    "code": code,
                    "label": label,
                    "substantiated": substantiated,
                    "is_active": True,
                    "position": position,
                },
            )
        except SettingsRefused as refusal:  # pragma: no cover  (checked above; a race)
            messages.error(request, refusal.message)
            break
        added += 1
    if added:
        messages.success(request, f"{added} outcomes added.")
    else:
        messages.info(request, "This kind of report has the usual outcomes already.")
    return redirect(_back(case_type))
