"""Reporter forms. Every label and message is plain, translatable and safe to show."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cases.models import CaseType, Category, CheckinAnswer, OrganisationalUnit, ReportingLevel
from cases.services import Confidential
from intake.configuration import configuration
from intake.language import org_text, org_words
from reports.models import PREFER_NOT_TO_SAY
from workflows.registry import spec_of

WHEN_CHOICES = [
    ("this-month", _("This month")),
    ("last-month", _("Last month")),
    ("2-6-months", _("2 to 6 months ago")),
    ("6-12-months", _("6 to 12 months ago")),
    ("over-a-year", _("More than a year ago")),
    ("not-sure", _("I'd rather not say or I'm not sure")),
]
NOT_SAY = "not-say"
MONITORING_PREFIX = "monitoring_"

# The reporting levels in plain words (docs/decisions/0031-confidential-reporting.md): what
# the radio says, and the hint under it saying who will see what.
LEVEL_LABELS = {
    ReportingLevel.ANONYMOUS: _("Stay anonymous"),
    ReportingLevel.CONFIDENTIAL: _("Give your name in confidence"),
    ReportingLevel.NAMED: _("Give your name openly"),
}
LEVEL_HINTS = {
    ReportingLevel.ANONYMOUS: _(
        "Nobody will know who you are. Leave out anything in your report that would identify you."
    ),
    ReportingLevel.CONFIDENTIAL: _(
        "Only our confidential contact (for example a Freedom to Speak Up Guardian) will see "
        "your name and any contact details you give. The people handling your report will not "
        "see them unless you agree, or unless the confidential contact has to tell them; if "
        "that happens, we will tell you why on your follow-up page."
    ),
    ReportingLevel.NAMED: _(
        "The people handling your report will see your name with your report. It can help "
        "them look into it."
    ),
}
# The "Your name" box each level asks, shown under its radio (a conditional reveal: shown to
# everyone without JavaScript, and read only for the level chosen).
NAME_FIELDS = {ReportingLevel.CONFIDENTIAL: "confidential_name", ReportingLevel.NAMED: "name"}
LEVEL_ERROR = _("Select whether you want to stay anonymous or give your name")
# Questions that only make sense when someone handles the report and may write back: a kind
# whose process does not investigate (a report for trends only, where nobody will contact the
# reporter) does not ask them, nor who the reporter is.
ASKED_WHEN_INVESTIGATED = ("not_to_handle", "contact")


class ReportForm(forms.Form):
    """The questions of a report. Its cleaned data becomes the sealed answers of the case."""

    what_happened = forms.CharField(
        label=_("What happened?"),
        help_text=_(
            "Say what happened in your own words. Leave out anything that would identify you "
            "if you want to stay anonymous."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=10_000,
        error_messages={"required": _("Enter what happened")},
    )
    when = forms.ChoiceField(
        label=_("When did it happen?"),
        choices=WHEN_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select when it happened")},
    )
    where = forms.ChoiceField(
        label=_("Where did it happen?"),
        help_text=_("The part of the organisation, if you want to say."),
        error_messages={"required": _("Select where it happened")},
    )
    category = forms.ChoiceField(
        label=_("What kind of concern is it?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Select what kind of concern it is")},
    )
    people_involved = forms.CharField(
        label=_("Who was involved? (optional)"),
        help_text=_("Names or roles of the people involved, and of anyone who saw it."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2_000,
        required=False,
    )
    not_to_handle = forms.CharField(
        label=_("Is there anyone who must not handle your report? (optional)"),
        help_text=_(
            "For example someone involved, or someone close to them. They will not be able to "
            "see your report."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1_000,
        required=False,
    )
    identity = forms.ChoiceField(
        label=_("Do you want to tell us who you are?"),
        help_text=_(
            "Choose who can see your name. If you give it in confidence, you can agree later "
            "to share it with the people handling your report."
        ),
        choices=[],
        initial=ReportingLevel.ANONYMOUS.value,
        widget=forms.RadioSelect,
        error_messages={"required": LEVEL_ERROR, "invalid_choice": LEVEL_ERROR},
    )
    confidential_name = forms.CharField(
        label=_("Your name"),
        help_text=_("Only the confidential contact will see it."),
        max_length=200,
        required=False,
    )
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    contact = forms.CharField(
        label=_("How can we contact you? (optional)"),
        help_text=_(
            "Only if you want us to. An email address or phone number that is not your work "
            "one is safest. You can always use your case token instead. A work email address "
            "can be seen by your employer. If you give an email address, we only ever send it "
            "\u201cthere is news on your report\u201d: no link, no details and never your case "
            "token."
        ),
        max_length=300,
        required=False,
    )

    def __init__(self, *args: Any, case_type: CaseType, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case_type = case_type
        # The choices come from the configuration kept in the cache (intake/configuration.py).
        kept = configuration()
        self.categories = {str(c.pk): c for c in kept.categories.get(case_type.pk, [])}
        self.units = {str(u.pk): u for u in kept.units}
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            (k, org_text(c, "name")) for k, c in self.categories.items()
        ]
        self.fields["where"].choices = [  # type: ignore[attr-defined]
            ("", _("Select a part of the organisation")),
            *[(k, org_text(u, "name")) for k, u in self.units.items()],
            (NOT_SAY, _("I'd rather not say")),
        ]
        # Whether someone looks into reports of this kind and may write back (the process
        # says); if not, the questions about handling and contact are not asked.
        self.investigated = spec_of(case_type.workflow).investigates
        levels = case_type.levels if self.investigated else (ReportingLevel.ANONYMOUS,)
        if not self.investigated:
            for name in ASKED_WHEN_INVESTIGATED:
                del self.fields[name]
        if len(levels) < 2:
            # Anonymous only: nothing to choose.
            for name in ("identity", *NAME_FIELDS.values()):
                del self.fields[name]
        else:
            self.fields["identity"].choices = [  # type: ignore[attr-defined]
                (level.value, LEVEL_LABELS[level]) for level in levels
            ]
            for level, name in NAME_FIELDS.items():
                if level not in levels:
                    del self.fields[name]
        if not self.categories:
            del self.fields["category"]
        # Optional equality monitoring, counted apart from the report (reports/monitoring.py).
        for asked in kept.questions:
            self.fields[f"{MONITORING_PREFIX}{asked.slug}"] = forms.ChoiceField(
                label=org_text(asked, "text"),
                help_text=org_text(asked, "hint")
                if asked.hint
                else _(
                    "Optional. Counted for equality monitoring only, never kept with your report."
                ),
                choices=[
                    (
                        value,
                        _("Prefer not to say")
                        if value == PREFER_NOT_TO_SAY
                        else org_words(label, asked.answers_cy.get(value, "")),
                    )
                    for value, label in asked.choices
                ],
                initial=PREFER_NOT_TO_SAY,
                required=False,
                widget=forms.RadioSelect,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        asked = NAME_FIELDS.get(data.get("identity", ""))
        if asked is not None and not data.get(asked, "").strip():
            self.add_error(asked, _("Enter your name, or choose to stay anonymous"))
        return data

    @property
    def level(self) -> str:
        return str(self.cleaned_data.get("identity") or ReportingLevel.ANONYMOUS)

    @property
    def named(self) -> bool:
        return self.level == ReportingLevel.NAMED

    def confidential(self) -> Confidential | None:
        """A confidential reporter's name and contact details, sealed apart from the report."""
        if self.level != ReportingLevel.CONFIDENTIAL:
            return None
        return Confidential(
            name=self.cleaned_data["confidential_name"].strip(),
            contact=self.cleaned_data.get("contact", ""),
        )

    def kept_contact(self) -> str:
        """The contact details kept with the report: none for a confidential report, whose
        details go with the name (``confidential``)."""
        if self.level == ReportingLevel.CONFIDENTIAL:
            return ""
        return str(self.cleaned_data.get("contact", ""))

    def _unasked(self) -> set[str]:
        """The name boxes of the levels not chosen: what they hold is never kept or carried."""
        chosen = NAME_FIELDS.get(self.data.get("identity", ""))
        return set(NAME_FIELDS.values()) - {chosen}

    def carried(self) -> dict[str, str]:
        """The answers check-your-answers carries on to "Send" (and back to "Change")."""
        unasked = self._unasked()
        return {k: v for k, v in self.data.items() if k in self.fields and k not in unasked}

    def level_options(self) -> list[dict[str, Any]]:
        """The reporting levels as the page shows them: each radio with its hint and the name
        box it reveals."""
        field = self["identity"]
        current = str(field.value() or "")
        options = []
        for n, (value, label) in enumerate(self.fields["identity"].choices, 1):  # type: ignore[attr-defined]
            name = NAME_FIELDS.get(value)
            options.append(
                {
                    "value": value,
                    "label": label,
                    "hint": LEVEL_HINTS[ReportingLevel(value)],
                    "id": field.auto_id if n == 1 else f"{field.auto_id}-{n}",
                    "checked": current == value,
                    "name_field": self[name] if name else None,
                }
            )
        return options

    def chosen_category(self) -> Category | None:
        return self.categories.get(self.cleaned_data.get("category", ""))

    def chosen_unit(self) -> OrganisationalUnit | None:
        return self.units.get(self.cleaned_data.get("where", ""))

    def monitoring_answers(self) -> dict[str, str]:
        """The monitoring answers, by question: never sealed into the case."""
        return {
            name[len(MONITORING_PREFIX) :]: self.cleaned_data.get(name) or PREFER_NOT_TO_SAY
            for name in self.fields
            if name.startswith(MONITORING_PREFIX)
        }

    def answers(self) -> dict[str, str]:
        """What is sealed into the case: the reporter's words, and labels, never ids."""
        when = dict(WHEN_CHOICES).get(self.cleaned_data["when"], "")
        with translation.override(settings.LANGUAGE_CODE):  # staff read it: in English
            when = str(when)
        result = {
            "what_happened": self.cleaned_data["what_happened"],
            "when": when,
            "people_involved": self.cleaned_data.get("people_involved", ""),
            "not_to_handle": self.cleaned_data.get("not_to_handle", ""),
        }
        if self.named:
            result["name"] = self.cleaned_data["name"].strip()
        return result

    def summary(self) -> list[tuple[str, str, str]]:
        """The check-your-answers page's rows: the id of the question's first input on the
        questions page (where its "Change" goes back to), the question, and the answer."""
        rows: list[tuple[str, str, str]] = []
        unasked = self._unasked()
        for name, field in self.fields.items():
            if name in unasked:
                continue
            value = self.cleaned_data.get(name, "")
            choices = dict(getattr(field, "choices", []) or [])
            shown = str(choices.get(value, value)) if choices else str(value)
            rows.append((self[name].auto_id, str(field.label), shown or str(_("Not given"))))
        return rows


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Your case token"),
        help_text=_("The code you were given when you made your report, for example ABCD-EFGH-…"),
        max_length=200,
        error_messages={"required": _("Enter your case token")},
    )


class TokenWithMessageForm(TokenForm):
    """The token form, carrying a message the reporter typed while their follow-up ended: it
    is sent once the token opens the case. It travels in the page only, never stored."""

    body = forms.CharField(
        label=_("Your message"),
        help_text=_("We kept what you typed. It is sent when you continue."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10_000,
        required=False,
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10_000,
        error_messages={"required": _("Enter your message")},
    )


class CheckinForm(forms.Form):
    """The check-in after closure: one question, three answers, an optional message."""

    answer = forms.ChoiceField(
        label=_("Since your report was closed, has anyone treated you worse because of it?"),
        help_text=_(
            "We ask everyone whose report has been closed for a while. Your answer is kept with "
            "your report and, like everything you send here, does not show who you are."
        ),
        choices=CheckinAnswer.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select yes, no or I prefer not to say"),
            "invalid_choice": _("Select yes, no or I prefer not to say"),
        },
    )
    message = forms.CharField(
        label=_("Anything you want to tell us (optional)"),
        help_text=_(
            "Only the people handling your report can read it. Leave out anything that would "
            "identify you if you want to stay anonymous."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10_000,
        required=False,
        error_messages={"max_length": _("Your message must be 10,000 characters or fewer")},
    )
