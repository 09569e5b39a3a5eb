"""Recording a report that arrived by phone, in person or by post (issue 15, section 4).

A member of the team that triages a kind of report asks the reporter the form's questions and
writes the answers; the report is filed through ``workflows.on_behalf`` from the day it was
received, and the response shows the reporter's token on a receipt to print or read out. The
token is in that one response only: never in an address, a redirect, the session or a log, and
the page is not cached. Anyone outside every triage team gets not-found.

The kind of report is chosen first (on its own page, when the person records more than one),
because it decides which questions are asked, by the rule the reporter's form follows
(decision 0034): a kind whose process does not investigate (a report for trends only) is asked
no contact details, no name and nobody who must not handle it; nobody will contact its
reporter. Those fields do not exist on its form, so a value posted for one is dropped.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases.models import CaseType, Category, Channel, OrganisationalUnit, ReportingLevel
from cases.services import Confidential, InvalidReport
from cases.tokens import token_display
from permissions.selectors import case_types_recordable_by
from staff.views import _user  # the signed-in member of staff, as every staff page reads them
from workflows.on_behalf import (
    ASKED_WHEN_INVESTIGATED,
    OTHER_CHANNELS,
    MayNotRecord,
    report_record_on_behalf,
)
from workflows.registry import spec_of
from workflows.spec import ClockKind

# How the receipt says it came: "received by phone on ...".
CHANNEL_WORDS = {Channel.PHONE: "by phone", Channel.IN_PERSON: "in person", Channel.POST: "by post"}
# Why a reporting level the kind of report does not offer is refused.
LEVEL_REFUSALS = {
    ReportingLevel.ANONYMOUS: "This kind of report cannot be made anonymously.",
    ReportingLevel.CONFIDENTIAL: "This kind of report cannot be made in confidence.",
    ReportingLevel.NAMED: "This kind of report cannot be made with the name given openly.",
}


class RecordForm(forms.Form):
    case_type = forms.ModelChoiceField(
        queryset=CaseType.objects.none(),
        label="Kind of report",
        empty_label="Choose the kind of report",
        error_messages={"required": "Choose the kind of report."},
    )
    channel = forms.ChoiceField(
        label="How was the report received?",
        choices=[(c.value, c.label) for c in OTHER_CHANNELS],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the report was received."},
    )
    received_on = forms.DateField(
        label="Day it was received",
        help_text="Its deadlines run from this day.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Give the day the report was received.",
            "invalid": "Give the day as a real date.",
        },
    )
    what_happened = forms.CharField(
        label="What happened?",
        help_text="In the reporter's words.",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=10_000,
        error_messages={"required": "Write what happened."},
    )
    when = forms.CharField(label="When did it happen? (optional)", max_length=200, required=False)
    where = forms.ModelChoiceField(
        queryset=OrganisationalUnit.objects.filter(is_active=True).order_by("name"),
        label="Where did it happen? (optional)",
        empty_label="Not said",
        required=False,
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        label="What kind of concern is it? (optional)",
        empty_label="Not said",
        required=False,
    )
    people_involved = forms.CharField(
        label="Who was involved? (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2_000,
        required=False,
    )
    not_to_handle = forms.CharField(
        label="Is there anyone who must not handle the report? (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1_000,
        required=False,
    )
    identity = forms.ChoiceField(
        label="Does the reporter want to give their name?",
        help_text=(
            "In confidence: only the confidential contact sees their name and contact details, "
            "not those handling the report (decision 0031). Ask which the kind of report allows."
        ),
        choices=[
            (ReportingLevel.ANONYMOUS.value, "No, they stay anonymous"),
            (ReportingLevel.CONFIDENTIAL.value, "Yes, in confidence"),
            (ReportingLevel.NAMED.value, "Yes, openly"),
        ],
        initial=ReportingLevel.ANONYMOUS.value,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose whether they stay anonymous or give their name."},
    )
    name = forms.CharField(
        label="Their name (only if they want to give it)", max_length=200, required=False
    )
    contact = forms.CharField(
        label="How can we contact them? (optional)",
        help_text="Only if they want us to. They can always use their case token instead.",
        max_length=300,
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        case_types: QuerySet[CaseType],
        kind: CaseType | None = None,
        **kwargs: Any,
    ) -> None:
        """``kind``: the kind of report chosen (its questions only, the kind carried in a hidden
        field); ``None`` when the posted kind is not one the person records, so that the form
        comes back with every answer kept and the kind to choose again."""
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["case_type"].queryset = case_types  # type: ignore[attr-defined]
        categories = Category.objects.filter(case_type__in=case_types, is_active=True)
        if kind is not None:
            self.fields["case_type"].widget = forms.HiddenInput()
            self.fields["case_type"].initial = kind.pk
            categories = categories.filter(case_type=kind)
            if not self.investigated:
                for name in ASKED_WHEN_INVESTIGATED:
                    del self.fields[name]
        self.fields["category"].queryset = categories.order_by(  # type: ignore[attr-defined]
            "case_type__name", "name"
        )
        self.fields["category"].label_from_instance = (  # type: ignore[attr-defined]
            lambda c: f"{c.case_type.name}: {c.name}"
        )

    @property
    def investigated(self) -> bool:
        """Whether someone looks into reports of the chosen kind and may contact the reporter
        (the process says: ``WorkflowSpec.investigates``)."""
        return self.kind is None or spec_of(self.kind.workflow).investigates

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        case_type, category = data.get("case_type"), data.get("category")
        if case_type and category and category.case_type_id != case_type.pk:
            self.add_error("category", "Choose a concern of this kind of report.")
        level = data.get("identity") or ReportingLevel.ANONYMOUS
        if level != ReportingLevel.ANONYMOUS and not (data.get("name") or "").strip():
            self.add_error("name", "Give their name, or record the report as anonymous.")
        if case_type and not case_type.allows(level):
            self.add_error("identity", LEVEL_REFUSALS[level])
        received = data.get("received_on")
        if received and received > timezone.localdate():
            self.add_error("received_on", "The day it was received cannot be in the future.")
        return data

    def answers(self) -> dict[str, str]:
        """The sealed answers, under the keys the report form uses."""
        data = self.cleaned_data
        answers = {
            "what_happened": data["what_happened"],
            "when": data.get("when", ""),
            "people_involved": data.get("people_involved", ""),
            "not_to_handle": data.get("not_to_handle", ""),
        }
        if not self.investigated:
            del answers["not_to_handle"]
        if data.get("identity") == ReportingLevel.NAMED:
            answers["name"] = data["name"].strip()
        return answers

    def confidential(self) -> Confidential | None:
        """The name and contact details of a reporter who gives their name in confidence,
        sealed apart from the answers (never in them)."""
        data = self.cleaned_data
        if data.get("identity") != ReportingLevel.CONFIDENTIAL:
            return None
        return Confidential(name=data["name"].strip(), contact=data.get("contact", ""))


class KindForm(forms.Form):
    """The first question, on its own page: which kind of report it is."""

    kind = forms.ModelChoiceField(
        queryset=CaseType.objects.none(),
        label="Kind of report",
        help_text="It decides which questions the next page asks.",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the kind of report.",
            "invalid_choice": "Choose the kind of report.",
        },
    )

    def __init__(self, *args: Any, case_types: QuerySet[CaseType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = case_types  # type: ignore[attr-defined]


def _kind(case_types: QuerySet[CaseType], chosen: str | None) -> CaseType | None:
    """The kind of report ``chosen`` names, if the person records it; else ``None``."""
    if not chosen or not chosen.isdigit():
        return None
    return case_types.filter(pk=int(chosen)).first()


@never_cache
@require_http_methods(["GET", "POST"])
def report_record(request: HttpRequest) -> HttpResponse:
    """GET: the kind of report to choose (``?kind=`` chosen, or the only one the person
    records), then its questions. POST: the answers, filed; the receipt with the token."""
    user = _user(request)
    case_types = case_types_recordable_by(user)
    if not case_types.exists():
        raise Http404()
    several = case_types.count() > 1
    if request.method == "GET":
        chosen = request.GET.get("kind")
        kind = _kind(case_types, chosen) if several or chosen else case_types.first()
        if kind is None:
            choice = KindForm(request.GET or None, case_types=case_types)
            status = 400 if choice.is_bound else 200
            if choice.is_bound:
                choice.is_valid()  # its errors, for the summary
            return render(request, "staff/record_kind.html", {"form": choice}, status=status)
        form = RecordForm(case_types=case_types, kind=kind)
        return render(request, "staff/record.html", {"form": form, "several": several})
    kind = _kind(case_types, request.POST.get("case_type"))
    form = RecordForm(request.POST, case_types=case_types, kind=kind)
    if form.is_valid():
        data = form.cleaned_data
        try:
            recorded = report_record_on_behalf(
                actor=user,
                case_type=data["case_type"],
                channel=data["channel"],
                received_on=data["received_on"],
                answers=form.answers(),
                category=data.get("category"),
                org_unit=data.get("where"),
                reporter_named=data.get("identity") == ReportingLevel.NAMED,
                reporter_contact=data.get("contact", "") if form.confidential() is None else "",
                confidential=form.confidential(),
            )
        except MayNotRecord:
            raise Http404() from None
        except InvalidReport as error:
            form.add_error(None, str(error))
        else:
            return _receipt(request, recorded.case, recorded.token, recorded.clocks)
    return render(request, "staff/record.html", {"form": form, "several": several}, status=400)


def _receipt(request: HttpRequest, case: Any, token: str, clocks: Any) -> HttpResponse:
    labels = dict(ClockKind.choices)
    return render(
        request,
        "staff/record_receipt.html",
        {
            "case": case,
            "token": token_display(token),
            "channel_label": CHANNEL_WORDS.get(case.channel, ""),
            "follow_up_url": request.build_absolute_uri(reverse("intake:follow_up")),
            "clocks": [
                {"label": labels.get(c.kind, c.kind), "due_on": c.due_on}
                for c in sorted(clocks, key=lambda c: (c.due_on, c.kind))
            ],
        },
    )
