"""The settings pages' forms: each checks what a person typed and says plainly what is wrong.
They change nothing: the views pass their values to ``permissions.settings_changes``."""

from __future__ import annotations

import io
import ipaddress
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from cases.models import CaseType, Category, OrganisationalUnit, ReportingLevels
from reports.models import PREFER_NOT_TO_SAY, MonitoringQuestion
from reports.settings_subjects import MAX_ANSWER_CHARS, MAX_ANSWERS, MIN_ANSWERS
from workflows.registry import spec_of, specs
from workflows.settings_subjects import MAX_CHECKIN_WEEKS, stage_names, unit_ancestors

YES_NO = [("yes", "Yes"), ("no", "No")]
DAYS_KINDS = [("days", "Calendar days"), ("working_days", "Working days")]
FEEDBACK_KINDS = [*DAYS_KINDS, ("months", "Calendar months")]
# The longest each deadline may be: anything longer is a typing mistake, not a policy.
MAX_ACKNOWLEDGE_DAYS = 90
MAX_FEEDBACK_DAYS = 366
MAX_FEEDBACK_MONTHS = 12
MAX_STAGE_DAYS = 366
LOGO_MAX_BYTES = 200_000
LOGO_MAX_PIXELS = 2000
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
MIN_CONTRAST = 4.5  # WCAG 2.2 AA for normal text
SLUG = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    "Use lower-case letters, numbers and single hyphens only, like anti-bullying.",
)


def _text(label: str, *, required: bool = True, max_length: int = 120, **kw: Any) -> Any:
    messages = {"required": f"Enter {label[0].lower()}{label[1:]}."}
    messages["max_length"] = f"{label} must be {max_length} characters or fewer."
    return forms.CharField(
        label=label, required=required, max_length=max_length, error_messages=messages, **kw
    )


def _long_text(label: str, *, required: bool = False, help_text: str = "") -> Any:
    return forms.CharField(
        label=label,
        required=required,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=help_text,
        error_messages={
            "required": f"Enter {label[0].lower()}{label[1:]}.",
            "max_length": f"{label} must be 2,000 characters or fewer.",
        },
    )


def _whole(label: str, *, maximum: int, required: bool = False, help_text: str = "") -> Any:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=1,
        max_value=maximum,
        help_text=help_text,
        error_messages={
            "invalid": f"{label} must be a whole number, like 7.",
            "min_value": f"{label} must be 1 or more.",
            "max_value": f"{label} must be {maximum} or fewer.",
            "required": f"Enter {label[0].lower()}{label[1:]}.",
        },
    )


def _yes_no(label: str, help_text: str = "") -> Any:
    return forms.ChoiceField(
        label=label,
        choices=YES_NO,
        widget=forms.RadioSelect,
        help_text=help_text,
        error_messages={"required": f"Choose whether: {label[0].lower()}{label[1:]}"},
    )


def _place(label: str, help_text: str = "") -> Any:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=999,
        required=False,
        help_text=help_text,
        error_messages={
            "invalid": "The place must be a whole number, like 1.",
            "min_value": "The place must be 0 or more.",
            "max_value": "The place must be 999 or fewer.",
        },
    )


def _slug(label: str) -> Any:
    return forms.CharField(
        label=label,
        max_length=50,
        validators=[SLUG],
        help_text="Lower-case letters, numbers and hyphens. It cannot change later.",
        error_messages={"required": f"Enter a {label[0].lower()}{label[1:]}."},
    )


# --- Case types, categories, units ---------------------------------------------------------------


class CaseTypeForm(forms.Form):
    name = _text("Name", help_text="What reporters see, like Bullying and harassment.")
    name_cy = _text("Name in Welsh", required=False)
    slug = _slug("Short name for web addresses")
    description = _long_text("Introduction", help_text="Shown to reporters: what it is for.")
    description_cy = _long_text("Introduction in Welsh")
    workflow = forms.ChoiceField(
        label="Process",
        widget=forms.RadioSelect,
        help_text="Which steps its cases go through. It cannot change once it has cases.",
        error_messages={"required": "Choose a process.", "invalid_choice": "Choose a process."},
    )
    is_active = _yes_no("Open for reports", "Closed kinds are not offered on the start page.")
    position = _place("Place on the start page", "Lower numbers come first.")

    def __init__(self, *args: Any, case_type: CaseType | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case_type = case_type
        self.fields["workflow"].choices = [(s.key, str(s.label)) for s in specs()]  # type: ignore[attr-defined]
        if case_type is not None:
            del self.fields["slug"]  # reporters' links and the reports name it

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if CaseType.objects.filter(slug=slug).exists():
            raise ValidationError("That short name is already used by another kind of report.")
        return slug

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "name_cy": data["name_cy"],
            "description": data["description"],
            "description_cy": data["description_cy"],
            "workflow": data["workflow"],
            "is_active": data["is_active"] == "yes",
            "position": data["position"] or 0,
        }
        if self.case_type is None:
            # A new kind starts anonymous only: opening a level waits for a second person.
            values["reporting_levels"] = ReportingLevels.ANONYMOUS.value
        values["slug"] = self.case_type.slug if self.case_type else data["slug"]
        return values


class ReportingLevelsForm(forms.Form):
    """Which reporting levels a kind of report offers (decision 0031)."""

    reporting_levels = forms.ChoiceField(
        label="Reporters may",
        choices=[
            (ReportingLevels.ANONYMOUS.value, "Stay anonymous only"),
            (
                ReportingLevels.ANONYMOUS_CONFIDENTIAL.value,
                "Stay anonymous or give their name in confidence",
            ),
            (ReportingLevels.ANONYMOUS_NAMED.value, "Stay anonymous or give their name openly"),
            (ReportingLevels.ALL.value, "Stay anonymous, give their name in confidence, or openly"),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose which reporting levels to offer.",
            "invalid_choice": "Choose which reporting levels to offer.",
        },
    )

    def values(self) -> dict[str, Any]:
        return {"reporting_levels": self.cleaned_data["reporting_levels"]}


class CategoryForm(forms.Form):
    name = _text("Name", help_text="Like Sexual harassment. Reports count cases by it.")
    name_cy = _text("Name in Welsh", required=False)
    slug = _slug("Short name")

    def __init__(
        self, *args: Any, case_type: CaseType, category: Category | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.case_type, self.category = case_type, category
        if category is not None:
            del self.fields["slug"]

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if Category.objects.filter(case_type=self.case_type, slug=slug).exists():
            raise ValidationError("That short name is already used by a category of this kind.")
        return slug

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "case_type": self.case_type.pk,
            "slug": self.category.slug if self.category else data["slug"],
            "name": data["name"],
            "name_cy": data["name_cy"],
            "is_active": self.category.is_active if self.category else True,
        }


class UnitForm(forms.Form):
    name = _text("Name", help_text="A directorate, a site or a team.")
    name_cy = _text("Name in Welsh", required=False)
    slug = _slug("Short name")
    parent = forms.ChoiceField(
        label="Part of",
        required=False,
        help_text="The unit this one sits in, if any.",
        error_messages={"invalid_choice": "Choose a unit from the list."},
    )
    is_active = _yes_no("In use", "Units not in use are not offered to reporters.")

    def __init__(self, *args: Any, unit: OrganisationalUnit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        units = OrganisationalUnit.objects.order_by("name")
        if unit is not None:
            del self.fields["slug"]
            # Not itself, nor a unit inside it (the tree would loop).
            units = units.exclude(pk__in=[u.pk for u in units if unit.pk in unit_ancestors(u.pk)])
        self.fields["parent"].choices = [("", "None (a top-level unit)")] + [  # type: ignore[attr-defined]
            (str(u.pk), u.name) for u in units
        ]

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if OrganisationalUnit.objects.filter(slug=slug).exists():
            raise ValidationError("That short name is already used by another unit.")
        return slug

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "slug": self.unit.slug if self.unit else data["slug"],
            "name": data["name"],
            "name_cy": data["name_cy"],
            "parent": int(data["parent"]) if data["parent"] else None,
            "is_active": data["is_active"] == "yes",
        }


# --- Deadlines ----------------------------------------------------------------------------------


class ClocksForm(forms.Form):
    """A case type's deadlines as days and a calendar each, instead of raw JSON."""

    acknowledge_amount = _whole(
        "Acknowledge receipt within", maximum=MAX_ACKNOWLEDGE_DAYS, help_text="Leave empty: none."
    )
    acknowledge_kind = forms.ChoiceField(
        label="Counted in", choices=DAYS_KINDS, widget=forms.RadioSelect
    )
    feedback_amount = _whole(
        "Give feedback within",
        maximum=MAX_FEEDBACK_DAYS,
        help_text="From acknowledging. Leave empty: none.",
    )
    feedback_kind = forms.ChoiceField(
        label="Counted in", choices=FEEDBACK_KINDS, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, case_type: CaseType, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case_type = case_type
        spec = spec_of(case_type.workflow)
        self.stages = stage_names(case_type.workflow)
        for stage in self.stages:
            label = str(spec.state(stage).staff)  # type: ignore[union-attr]
            self.fields[f"stage_{stage}_amount"] = _whole(
                f"Finish “{label}” within",
                maximum=MAX_STAGE_DAYS,
                help_text="From the day the case reaches this stage. Leave empty: no limit.",
            )
            self.fields[f"stage_{stage}_kind"] = forms.ChoiceField(
                label="Counted in", choices=DAYS_KINDS, widget=forms.RadioSelect
            )

    @staticmethod
    def initial_for(case_type: CaseType) -> dict[str, Any]:
        kind = "working_days" if case_type.deadlines_in_working_days else "days"
        initial: dict[str, Any] = {
            "acknowledge_amount": case_type.acknowledge_within_days,
            "acknowledge_kind": kind,
            "feedback_amount": case_type.feedback_within_months or case_type.feedback_within_days,
            "feedback_kind": "months" if case_type.feedback_within_months else kind,
        }
        for stage, limit in (case_type.stage_limits or {}).items():
            if isinstance(limit, dict):
                initial[f"stage_{stage}_amount"] = limit.get("days")
                initial[f"stage_{stage}_kind"] = "working_days" if limit.get("working") else "days"
        for stage in stage_names(case_type.workflow):
            initial.setdefault(f"stage_{stage}_kind", "days")
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        feedback, kind = data.get("feedback_amount"), data.get("feedback_kind")
        if feedback and kind == "months" and feedback > MAX_FEEDBACK_MONTHS:
            self.add_error(
                "feedback_amount",
                f"Give feedback within must be {MAX_FEEDBACK_MONTHS} months or fewer.",
            )
        ack_kind = data.get("acknowledge_kind")
        if (
            data.get("acknowledge_amount")
            and feedback
            and kind in ("days", "working_days")
            and ack_kind != kind
        ):
            # One setting counts both in days: calendar or working.
            self.add_error(
                "feedback_kind",
                "Count feedback in the same kind of days as the acknowledgement, or in months.",
            )
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        feedback, kind = data.get("feedback_amount"), data["feedback_kind"]
        working = (
            data["acknowledge_kind"] == "working_days"
            if data.get("acknowledge_amount") or kind == "months"
            else kind == "working_days"
        )
        limits = {
            stage: {
                "days": data[f"stage_{stage}_amount"],
                "working": data[f"stage_{stage}_kind"] == "working_days",
            }
            for stage in self.stages
            if data.get(f"stage_{stage}_amount")
        }
        return {
            "acknowledge_within_days": data.get("acknowledge_amount"),
            "feedback_within_days": feedback if kind != "months" else None,
            "feedback_within_months": feedback if kind == "months" else None,
            "deadlines_in_working_days": working,
            "stage_limits": limits,
        }


# --- The reporter's check-in after closure ---------------------------------------------------

ON_YES = [
    ("attention", "Mark the closed case as needing attention, for those who held it"),
    ("new_case", "Open a new case of this kind, which goes to triage like any report"),
]


class CheckinForm(forms.Form):
    """Whether, and when, a closed case's reporter is asked if anyone has treated them worse
    since (decision 0020), and what a "yes" does."""

    ask = _yes_no(
        "Ask the reporter after closure",
        "On their follow-up page: has anyone treated you worse because of your report?",
    )
    weeks = _whole(
        "Weeks after closure",
        maximum=MAX_CHECKIN_WEEKS,
        help_text="Only if asked. The reporter's token must still work then (see retention).",
    )
    on_yes = forms.ChoiceField(
        label="When the reporter answers yes",
        choices=ON_YES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what a yes does."},
    )

    @staticmethod
    def initial_for(case_type: CaseType) -> dict[str, Any]:
        return {
            "ask": "yes" if case_type.checkin_after_weeks else "no",
            "weeks": case_type.checkin_after_weeks,
            "on_yes": "new_case" if case_type.checkin_yes_opens_case else "attention",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("ask") == "yes" and not data.get("weeks") and "weeks" not in self.errors:
            self.add_error("weeks", "Enter how many weeks after closure to ask, like 12.")
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "checkin_after_weeks": data["weeks"] if data["ask"] == "yes" else None,
            "checkin_yes_opens_case": data["on_yes"] == "new_case",
        }


# --- Equality monitoring questions --------------------------------------------------------------


def answer_slug(label: str, taken: set[str]) -> str:
    """A short name for a new answer, from its words, not one in ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40] or "answer"
    if base == PREFER_NOT_TO_SAY:
        base = "answer"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}_{n}"
    return slug


class MonitoringQuestionForm(forms.Form):
    text = _text("Question", max_length=200, help_text="Like: What is your age?")
    slug = _slug("Short name")
    hint = _text(
        "Hint",
        required=False,
        max_length=300,
        help_text="Leave empty for: Optional. Counted for equality monitoring only, never kept "
        "with your report.",
    )
    answers = forms.CharField(
        label="Answers, one a line",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "“Prefer not to say” is always offered first, and chosen unless the reporter "
            "chooses another. Keep answers broad: the finer they are, the nearer a count "
            "comes to a person."
        ),
        error_messages={"required": "Enter the answers, one a line."},
    )
    text_cy = _text("Question in Welsh", required=False, max_length=200)
    hint_cy = _text("Hint in Welsh", required=False, max_length=300)
    answers_cy = forms.CharField(
        label="Answers in Welsh, one a line",
        required=False,
        strip=False,  # a first empty line stands for the first answer
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "In the same order as the answers above. An empty line, or no line, shows that "
            "answer in English on Welsh pages, marked as English."
        ),
    )
    is_active = _yes_no("Asked on the report form")
    position = _place("Place on the form", "Lower numbers come first.")

    def __init__(
        self, *args: Any, question: MonitoringQuestion | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.question = question
        if question is not None:
            del self.fields["slug"]  # its counts are kept under it

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if MonitoringQuestion.objects.filter(slug=slug).exists():
            raise ValidationError("That short name is already used by another question.")
        return slug

    def clean_answers(self) -> list[str]:
        labels = [line.strip() for line in self.cleaned_data["answers"].splitlines()]
        labels = [label for label in labels if label]
        if len({label.casefold() for label in labels}) != len(labels):
            raise ValidationError("Give each answer once.")
        if any(label.casefold() == "prefer not to say" for label in labels):
            raise ValidationError("Leave out “Prefer not to say”: it is always offered.")
        if not MIN_ANSWERS <= len(labels) <= MAX_ANSWERS:
            raise ValidationError(f"Give {MIN_ANSWERS} to {MAX_ANSWERS} answers, one a line.")
        long = [label for label in labels if len(label) > MAX_ANSWER_CHARS]
        if long:
            raise ValidationError(
                f"Each answer must be {MAX_ANSWER_CHARS} characters or fewer: “{long[0][:40]}…” "
                "is longer."
            )
        return labels

    def clean_answers_cy(self) -> list[str]:
        # By place: an empty line stands for an answer with no Welsh words.
        labels = [line.strip() for line in self.cleaned_data["answers_cy"].splitlines()]
        while labels and not labels[-1]:
            labels.pop()
        long = [label for label in labels if len(label) > MAX_ANSWER_CHARS]
        if long:
            raise ValidationError(
                f"Each answer in Welsh must be {MAX_ANSWER_CHARS} characters or fewer: "
                f"“{long[0][:40]}…” is longer."
            )
        return labels

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        english, welsh = data.get("answers"), data.get("answers_cy")
        if english and welsh and len(welsh) > len(english):
            self.add_error(
                "answers_cy",
                f"There are {len(english)} answers: give at most {len(english)} lines in Welsh, "
                "in the same order.",
            )
        return data

    @staticmethod
    def initial_for(question: MonitoringQuestion) -> dict[str, Any]:
        welsh = question.answers_cy if isinstance(question.answers_cy, dict) else {}
        return {
            "text": question.text,
            "hint": question.hint,
            "answers": "\n".join(str(a[1]) for a in question.answers),
            "text_cy": question.text_cy,
            "hint_cy": question.hint_cy,
            "answers_cy": "\n".join(str(welsh.get(a[0], "")) for a in question.answers).rstrip(),
            "is_active": "yes" if question.is_active else "no",
            "position": question.position,
        }

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        # An answer keeps its short name while its words stay the same (its counts are kept
        # under it); new words are a new answer.
        kept = {str(a[1]): str(a[0]) for a in (self.question.answers if self.question else [])}
        taken = set(kept.values())
        answers = []
        for label in data["answers"]:
            slug = kept.get(label) or answer_slug(label, taken)
            taken.add(slug)
            answers.append([slug, label])
        welsh = data["answers_cy"]
        return {
            "slug": self.question.slug if self.question else data["slug"],
            "text": data["text"],
            "hint": data["hint"],
            "answers": answers,
            "text_cy": data["text_cy"],
            "hint_cy": data["hint_cy"],
            "answers_cy": {
                slug: label for (slug, _), label in zip(answers, welsh, strict=False) if label
            },
            "is_active": data["is_active"] == "yes",
            "position": data["position"] or 0,
        }


# --- Branding -----------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.2's contrast ratio of two colours like #1d70b8 (from 1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def logo_checked(upload: Any) -> tuple[bytes, str]:
    """The logo's bytes and type, if it is a PNG or JPEG that Pillow reads whole and that is
    small enough; ``ValidationError`` otherwise. The name and declared type are ignored: an
    SVG (which can carry script) or anything else is refused by what it is."""
    from PIL import Image, UnidentifiedImageError

    if upload.size is None or upload.size > LOGO_MAX_BYTES:
        raise ValidationError("The logo must be 200 KB or smaller.")
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as image:
            found = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ValidationError("The logo must be a PNG or JPEG picture.") from None
    if found not in LOGO_FORMATS:
        raise ValidationError("The logo must be a PNG or JPEG picture.")
    if width > LOGO_MAX_PIXELS or height > LOGO_MAX_PIXELS:
        raise ValidationError(f"The logo must be at most {LOGO_MAX_PIXELS} pixels wide and high.")
    return data, LOGO_FORMATS[found]


class BrandingForm(forms.Form):
    organisation_name = _text("Organisation name")
    organisation_name_cy = _text("Organisation name in Welsh", required=False)
    welcome = _long_text("Welcome", help_text="Shown at the top of the start page.")
    welcome_cy = _long_text("Welcome in Welsh")
    colour = forms.CharField(
        label="Header colour",
        max_length=7,
        help_text="A colour like #1d70b8. The header's white text must be readable on it.",
        error_messages={"required": "Enter a header colour, like #1d70b8."},
    )
    logo = forms.FileField(
        label="New logo (optional)",
        required=False,
        help_text="A PNG or JPEG picture, up to 200 KB. Leave empty to keep the current one.",
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)

    def clean_colour(self) -> str:
        colour: str = self.cleaned_data["colour"].strip().lower()
        if len(colour) == 6 and not colour.startswith("#"):
            colour = f"#{colour}"
        if not re.fullmatch(r"#[0-9a-f]{6}", colour):
            raise ValidationError("Enter the colour as # and six letters or numbers, like #1d70b8.")
        ratio = contrast_ratio(colour, "#ffffff")
        if ratio < MIN_CONTRAST:
            raise ValidationError(
                f"White text on {colour} has a contrast of {ratio:.1f} to 1, below the "
                f"{MIN_CONTRAST} to 1 that people with low vision need. Choose a darker colour."
            )
        return colour

    def clean_logo(self) -> tuple[bytes, str] | None:
        upload = self.cleaned_data.get("logo")
        return logo_checked(upload) if upload else None


class NetworksForm(forms.Form):
    corporate_networks = forms.CharField(
        label="Corporate network ranges",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "One range a line, like 10.0.0.0/8 or 2001:db8::/32. Reporters on them are warned "
            "that the organisation's network may see them; nobody's address is recorded."
        ),
    )

    def clean_corporate_networks(self) -> str:
        lines = []
        for number, line in enumerate(self.cleaned_data["corporate_networks"].splitlines(), 1):
            if not line.strip():
                continue
            try:
                network = ipaddress.ip_network(line.strip(), strict=False)
            except ValueError:
                raise ValidationError(
                    f"Line {number} ({line.strip()[:40]}) is not an address range: write it "
                    "like 10.0.0.0/8."
                ) from None
            lines.append(str(network))
        return "\n".join(dict.fromkeys(lines))

    def values(self) -> dict[str, Any]:
        return {"corporate_networks": self.cleaned_data["corporate_networks"]}


# --- Support and campaigns ------------------------------------------------------------------------


def stage_choices() -> list[tuple[str, str]]:
    """Every stage of every process, as ("workflow:state", "Process: state")."""
    return [
        (f"{spec.key}:{state.name}", f"{spec.label}: {state.staff}")
        for spec in specs()
        for state in spec.states
    ]


class SupportForm(forms.Form):
    title = _text("Title")
    title_cy = _text("Title in Welsh", required=False)
    description = _long_text("Description")
    description_cy = _long_text("Description in Welsh")
    link = forms.URLField(
        label="Web address",
        required=False,
        max_length=200,
        assume_scheme="https",
        error_messages={"invalid": "Enter a web address, like https://example.org/help."},
    )
    phone = _text("Phone number", required=False, max_length=40)
    categories = forms.MultipleChoiceField(
        label="Shown for these categories",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None chosen: for every category.",
    )
    stages = forms.MultipleChoiceField(
        label="Shown on the follow-up page at these stages",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None chosen: at every stage, and beside the form.",
    )
    position = _place("Place in the list")
    is_active = _yes_no("Shown to reporters")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [  # type: ignore[attr-defined]
            (str(c.pk), f"{c.case_type.name}: {c.name}")
            for c in Category.objects.select_related("case_type").order_by(
                "case_type__position", "case_type__name", "name"
            )
        ]
        self.fields["stages"].choices = stage_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("link") and not data.get("phone") and not data.get("description"):
            self.add_error(
                "description",
                "Say how to get this support: a description, a web address or a phone number.",
            )
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "title_cy": data["title_cy"],
            "description": data["description"],
            "description_cy": data["description_cy"],
            "link": data["link"],
            "phone": data["phone"],
            "categories": sorted(int(c) for c in data["categories"]),
            "stages": sorted(data["stages"]),
            "position": data["position"] or 0,
            "is_active": data["is_active"] == "yes",
        }


class CampaignForm(forms.Form):
    title = _text("Title", help_text="Like Anti-bullying week.")
    title_cy = _text("Title in Welsh", required=False)
    message = _long_text("Message", required=True, help_text="Shown on the start page.")
    message_cy = _long_text("Message in Welsh")
    starts_on = forms.DateField(
        label="First day",
        widget=forms.DateInput,
        error_messages={"required": "Enter the first day.", "invalid": "Enter a real date."},
    )
    ends_on = forms.DateField(
        label="Last day",
        widget=forms.DateInput,
        error_messages={"required": "Enter the last day.", "invalid": "Enter a real date."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The last day must be the same as or after the first day.")
        elif starts and ends and (ends - starts).days > 366:
            self.add_error("ends_on", "A campaign can last a year at most.")
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "title_cy": data["title_cy"],
            "message": data["message"],
            "message_cy": data["message_cy"],
            "starts_on": data["starts_on"].isoformat(),
            "ends_on": data["ends_on"].isoformat(),
        }
