"""Issue 16, "Done when": each settings change writes one audit event with the values before
and after, and a weakening change waits for a second person. One row per settings page and
kind of change, written by hand: what an administrator posts, and the change it must record
(subject, row, values before and after, whether it waits). Each row checks, over HTTP:

- exactly one ``SettingsChange`` with those values, and exactly one staff event (of any code)
  whose payload names it by identifiers and a digest of its values, nothing else;
- a change that weakens nothing is made at once; one that weakens leaves the setting as it was
  until a second administrator confirms it, which writes exactly one more staff event.

Retention periods and access (roles, teams) keep their own two-person records and pages
(decision 0030), tested in tests/staff/test_retention_pages.py and tests/staff/test_access*.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from cases.models import CaseType, Category, OrganisationalUnit, OutcomeCode
from intake.models import Branding, Campaign, SupportResource
from permissions.models import SettingsChange, SettingsStatus, StaffEvent
from permissions.settings_changes import SUBJECTS, settings_digest
from reports.models import MonitoringQuestion
from tests.builders import make_case, make_case_type


class Row:
    """Stands for the id of one of the fixture's rows (or, ``NEW``, of the row a change made)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


KIND, CATEGORY, UNIT, BRANDING, SUPPORT, CAMPAIGN, QUESTION, OUTCOME, NEW = (
    Row(n)
    for n in (
        "kind",
        "category",
        "unit",
        "branding",
        "support",
        "campaign",
        "question",
        "outcome",
        "new",
    )
)

KIND_BEFORE = {
    "slug": "speak-up",
    "name": "Speak up",
    "name_cy": "",
    "description": "",
    "description_cy": "",
    "workflow": "whistleblowing",
    "is_active": True,
    "position": 0,
}
CLOCKS_BEFORE: dict[str, Any] = {
    "acknowledge_within_days": 7,
    "feedback_within_days": None,
    "feedback_within_months": 3,
    "deadlines_in_working_days": False,
    "stage_limits": {},
}
CLOCKS_FORM = {
    "acknowledge_amount": "7",
    "acknowledge_kind": "days",
    "feedback_amount": "3",
    "feedback_kind": "months",
    "stage_acknowledged_kind": "days",
    "stage_assessment_kind": "days",
    "stage_investigation_kind": "days",
    "stage_outcome_kind": "days",
}
REMINDERS_BEFORE = {
    "soon_working_days": 2,
    "on_the_day": True,
    "overdue": True,
    "escalate_lead_after_days": 3,
    "escalate_contact_after_days": 10,
    "escalation_contact": None,
}
REMINDERS_FORM = {
    "soon_working_days": "2",
    "on_the_day": "yes",
    "overdue": "yes",
    "escalate_lead_after_days": "3",
    "escalate_contact_after_days": "10",
    "escalation_contact": "",
}
CATEGORY_BEFORE = {
    "case_type": KIND,
    "slug": "fraud",
    "name": "Fraud",
    "name_cy": "",
    "is_active": True,
}
UNIT_BEFORE = {
    "slug": "finance",
    "name": "Finance",
    "name_cy": "",
    "parent": None,
    "is_active": True,
}
BRANDING_BEFORE = {
    "organisation_name": "Acme",
    "organisation_name_cy": "",
    "welcome": "Speak up.",
    "welcome_cy": "",
    "colour": "#0b0c0c",
    "logo": "",
    "logo_type": "",
}
BRANDING_FORM = {
    "organisation_name": "Acme",
    "organisation_name_cy": "",
    "welcome": "Speak up.",
    "welcome_cy": "",
    "colour": "#0b0c0c",
}
SUPPORT_BEFORE = {
    "title": "Helpline",
    "title_cy": "",
    "description": "Call us",
    "description_cy": "",
    "link": "",
    "phone": "",
    "categories": [],
    "stages": [],
    "position": 0,
    "is_active": True,
}
CAMPAIGN_BEFORE = {
    "title": "Respect week",
    "title_cy": "",
    "message": "Talk to us.",
    "message_cy": "",
    "starts_on": "2026-01-05",
    "ends_on": "2026-01-09",
}
AGE_ANSWERS = [["under_30", "Under 30"], ["30_and_over", "30 and over"]]
QUESTION_BEFORE = {
    "slug": "age",
    "text": "What is your age?",
    "hint": "",
    "answers": AGE_ANSWERS,
    "text_cy": "",
    "hint_cy": "",
    "answers_cy": {},
    "is_active": True,
    "position": 0,
}
QUESTION_FORM = {
    "text": "What is your age?",
    "hint": "",
    "answers": "Under 30\n30 and over",
    "is_active": "yes",
    "position": "",
}

# The kind's first usual outcome (decision 0032), which one of its cases has.
OUTCOME_BEFORE = {
    "case_type": KIND,
    "code": "substantiated",
    "label": "Substantiated",
    "substantiated": True,
    "is_active": True,
    "position": 1,
}
OUTCOME_FORM = {"label": "Substantiated", "substantiated": "yes", "position": "1"}

S = "/staff/settings"
# (what it is, what is posted [(address, data)], subject, row, before, after, waits?)
Posts = list[tuple[str, dict[str, Any]]]
CHANGES: list[tuple[str, Posts, str, Row, dict[str, Any], dict[str, Any], bool]] = [
    (
        "a kind of report added",
        [
            (
                f"{S}/kinds/new/",
                {
                    **KIND_BEFORE,
                    "slug": "fraud-line",
                    "name": "Fraud line",
                    "is_active": "yes",
                    "position": "2",
                },
            )
        ],
        "case_type",
        NEW,
        {},
        {
            **KIND_BEFORE,
            "slug": "fraud-line",
            "name": "Fraud line",
            "position": 2,
            "reporting_levels": "anonymous",
        },
        False,
    ),
    (
        "a kind of report renamed",
        [
            (
                f"{S}/kinds/{{kind}}/change/",
                {**KIND_BEFORE, "name": "Speak up now", "is_active": "yes"},
            )
        ],
        "case_type",
        KIND,
        KIND_BEFORE,
        {**KIND_BEFORE, "name": "Speak up now"},
        False,
    ),
    (
        "a kind of report closed",
        [(f"{S}/kinds/{{kind}}/change/", {**KIND_BEFORE, "is_active": "no"})],
        "case_type",
        KIND,
        KIND_BEFORE,
        {**KIND_BEFORE, "is_active": False},
        False,
    ),
    (
        "a reporting level taken away",
        [(f"{S}/kinds/{{kind}}/levels/", {"reporting_levels": "anonymous"})],
        "reporting_levels",
        KIND,
        {"reporting_levels": "anonymous_named"},
        {"reporting_levels": "anonymous"},
        False,
    ),
    (
        "a reporting level opened",
        [(f"{S}/kinds/{{kind}}/levels/", {"reporting_levels": "all"})],
        "reporting_levels",
        KIND,
        {"reporting_levels": "anonymous_named"},
        {"reporting_levels": "all"},
        True,
    ),
    (
        "a deadline made shorter",
        [(f"{S}/kinds/{{kind}}/deadlines/", {**CLOCKS_FORM, "acknowledge_amount": "5"})],
        "clocks",
        KIND,
        CLOCKS_BEFORE,
        {**CLOCKS_BEFORE, "acknowledge_within_days": 5},
        False,
    ),
    (
        "a stage limit added",
        [(f"{S}/kinds/{{kind}}/deadlines/", {**CLOCKS_FORM, "stage_outcome_amount": "20"})],
        "clocks",
        KIND,
        CLOCKS_BEFORE,
        {**CLOCKS_BEFORE, "stage_limits": {"outcome": {"days": 20, "working": False}}},
        False,
    ),
    (
        "a deadline made longer",
        [(f"{S}/kinds/{{kind}}/deadlines/", {**CLOCKS_FORM, "feedback_amount": "4"})],
        "clocks",
        KIND,
        CLOCKS_BEFORE,
        {**CLOCKS_BEFORE, "feedback_within_months": 4},
        True,
    ),
    (
        "a deadline removed",
        [(f"{S}/kinds/{{kind}}/deadlines/", {**CLOCKS_FORM, "acknowledge_amount": ""})],
        "clocks",
        KIND,
        CLOCKS_BEFORE,
        {**CLOCKS_BEFORE, "acknowledge_within_days": None},
        True,
    ),
    (
        "an earlier reminder",
        [(f"{S}/kinds/{{kind}}/reminders/", {**REMINDERS_FORM, "soon_working_days": "4"})],
        "reminders",
        KIND,
        REMINDERS_BEFORE,
        {**REMINDERS_BEFORE, "soon_working_days": 4},
        False,
    ),
    (
        "a reminder switched off",
        [(f"{S}/kinds/{{kind}}/reminders/", {**REMINDERS_FORM, "overdue": "no"})],
        "reminders",
        KIND,
        REMINDERS_BEFORE,
        {**REMINDERS_BEFORE, "overdue": False},
        True,
    ),
    (
        "the check-in asked sooner, a yes opening a case",
        [(f"{S}/kinds/{{kind}}/check-in/", {"ask": "yes", "weeks": "8", "on_yes": "new_case"})],
        "checkin",
        KIND,
        {"checkin_after_weeks": 12, "checkin_yes_opens_case": False},
        {"checkin_after_weeks": 8, "checkin_yes_opens_case": True},
        False,
    ),
    (
        "the check-in switched off",
        [(f"{S}/kinds/{{kind}}/check-in/", {"ask": "no", "weeks": "", "on_yes": "attention"})],
        "checkin",
        KIND,
        {"checkin_after_weeks": 12, "checkin_yes_opens_case": False},
        {"checkin_after_weeks": None, "checkin_yes_opens_case": False},
        True,
    ),
    (
        "the check-in asked later",
        [(f"{S}/kinds/{{kind}}/check-in/", {"ask": "yes", "weeks": "13", "on_yes": "attention"})],
        "checkin",
        KIND,
        {"checkin_after_weeks": 12, "checkin_yes_opens_case": False},
        {"checkin_after_weeks": 13, "checkin_yes_opens_case": False},
        True,
    ),
    (
        "a category added",
        [(f"{S}/kinds/{{kind}}/categories/new/", {"name": "Bribery", "slug": "bribery"})],
        "category",
        NEW,
        {},
        {**CATEGORY_BEFORE, "slug": "bribery", "name": "Bribery"},
        False,
    ),
    (
        "a category renamed",
        [
            (
                f"{S}/kinds/{{kind}}/categories/{{category}}/",
                {"name": "Fraud and theft", "name_cy": "Twyll a lladrad"},
            )
        ],
        "category",
        CATEGORY,
        CATEGORY_BEFORE,
        {**CATEGORY_BEFORE, "name": "Fraud and theft", "name_cy": "Twyll a lladrad"},
        False,
    ),
    (
        "a category retired",
        [(f"{S}/kinds/{{kind}}/categories/{{category}}/retire/", {})],
        "category",
        CATEGORY,
        CATEGORY_BEFORE,
        {**CATEGORY_BEFORE, "is_active": False},
        False,
    ),
    (
        "a unit added inside another",
        [
            (
                f"{S}/units/new/",
                {"name": "Payroll", "slug": "payroll", "parent": "{unit}", "is_active": "yes"},
            )
        ],
        "unit",
        NEW,
        {},
        {"slug": "payroll", "name": "Payroll", "name_cy": "", "parent": UNIT, "is_active": True},
        False,
    ),
    (
        "a unit no longer in use",
        [(f"{S}/units/{{unit}}/", {"name": "Finance", "name_cy": "Cyllid", "is_active": "no"})],
        "unit",
        UNIT,
        UNIT_BEFORE,
        {**UNIT_BEFORE, "name_cy": "Cyllid", "is_active": False},
        False,
    ),
    (
        "the branding, previewed then saved",
        [
            (f"{S}/branding/", {**BRANDING_FORM, "organisation_name": "Acme Ltd"}),
            (f"{S}/branding/save/", {}),
        ],
        "branding",
        BRANDING,
        BRANDING_BEFORE,
        {**BRANDING_BEFORE, "organisation_name": "Acme Ltd"},
        False,
    ),
    (
        "a network range added",
        [(f"{S}/networks/", {"corporate_networks": "10.0.0.0/8\n192.168.0.0/16"})],
        "networks",
        BRANDING,
        {"corporate_networks": "10.0.0.0/8"},
        {"corporate_networks": "10.0.0.0/8\n192.168.0.0/16"},
        False,
    ),
    (
        "a network range removed",
        [(f"{S}/networks/", {"corporate_networks": ""})],
        "networks",
        BRANDING,
        {"corporate_networks": "10.0.0.0/8"},
        {"corporate_networks": ""},
        True,
    ),
    (
        "a support resource added for a category and a stage",
        [
            (
                f"{S}/support/new/",
                {
                    "title": "Union",
                    "description": "Your rep.",
                    "categories": ["{category}"],
                    "stages": ["whistleblowing:investigation"],
                    "is_active": "yes",
                },
            )
        ],
        "support",
        NEW,
        {},
        {
            **SUPPORT_BEFORE,
            "title": "Union",
            "description": "Your rep.",
            "categories": [CATEGORY],
            "stages": ["whistleblowing:investigation"],
        },
        False,
    ),
    (
        "a support resource hidden",
        [
            (
                f"{S}/support/{{support}}/",
                {"title": "Helpline", "description": "Call us", "phone": "0800", "is_active": "no"},
            )
        ],
        "support",
        SUPPORT,
        SUPPORT_BEFORE,
        {**SUPPORT_BEFORE, "phone": "0800", "is_active": False},
        False,
    ),
    (
        "a campaign added",
        [
            (
                f"{S}/campaigns/new/",
                {
                    "title": "Safety week",
                    "message": "Near misses.",
                    "starts_on": "2026-03-02",
                    "ends_on": "2026-03-06",
                },
            )
        ],
        "campaign",
        NEW,
        {},
        {
            **CAMPAIGN_BEFORE,
            "title": "Safety week",
            "message": "Near misses.",
            **{
                "starts_on": "2026-03-02",
                "ends_on": "2026-03-06",
            },
        },
        False,
    ),
    (
        "a campaign made longer",
        [(f"{S}/campaigns/{{campaign}}/", {**CAMPAIGN_BEFORE, "ends_on": "2026-01-12"})],
        "campaign",
        CAMPAIGN,
        CAMPAIGN_BEFORE,
        {**CAMPAIGN_BEFORE, "ends_on": "2026-01-12"},
        False,
    ),
    (
        "a monitoring question added",
        [
            (
                f"{S}/monitoring/new/",
                {**QUESTION_FORM, "slug": "grade", "text": "What is your grade?"},
            )
        ],
        "monitoring",
        NEW,
        {},
        {**QUESTION_BEFORE, "slug": "grade", "text": "What is your grade?"},
        True,
    ),
    (
        "a monitoring answer added",
        [
            (
                f"{S}/monitoring/{{question}}/",
                {**QUESTION_FORM, "answers": "Under 30\n30 to 59\n30 and over"},
            )
        ],
        "monitoring",
        QUESTION,
        QUESTION_BEFORE,
        {
            **QUESTION_BEFORE,
            "answers": [
                ["under_30", "Under 30"],
                ["30_to_59", "30 to 59"],
                ["30_and_over", "30 and over"],
            ],
        },
        True,
    ),
    (
        "a monitoring question worded in Welsh",
        [
            (
                f"{S}/monitoring/{{question}}/",
                {**QUESTION_FORM, "text_cy": "Beth yw eich oed?", "answers_cy": "\n30 a hŷn"},
            )
        ],
        "monitoring",
        QUESTION,
        QUESTION_BEFORE,
        {
            **QUESTION_BEFORE,
            "text_cy": "Beth yw eich oed?",
            "answers_cy": {AGE_ANSWERS[1][0]: "30 a hŷn"},
        },
        True,
    ),
    (
        "a monitoring question no longer asked",
        [(f"{S}/monitoring/{{question}}/", {**QUESTION_FORM, "is_active": "no"})],
        "monitoring",
        QUESTION,
        QUESTION_BEFORE,
        {**QUESTION_BEFORE, "is_active": False},
        False,
    ),
    (
        "an outcome added",
        [
            (
                f"{S}/kinds/{{kind}}/outcomes/new/",
                {
                    "label": "Censure with consent",
                    "code": "censure-with-consent",
                    "substantiated": "yes",
                    "position": "8",
                },
            )
        ],
        "outcome",
        NEW,
        {},
        {
            "case_type": KIND,
            "code": "censure-with-consent",
            "label": "Censure with consent",
            "substantiated": True,
            "is_active": True,
            "position": 8,
        },
        False,
    ),
    (
        "an outcome renamed",
        [(f"{S}/kinds/{{kind}}/outcomes/{{outcome}}/", {**OUTCOME_FORM, "label": "Upheld"})],
        "outcome",
        OUTCOME,
        OUTCOME_BEFORE,
        {**OUTCOME_BEFORE, "label": "Upheld"},
        False,
    ),
    (
        "an outcome retired",
        [(f"{S}/kinds/{{kind}}/outcomes/{{outcome}}/retire/", {})],
        "outcome",
        OUTCOME,
        OUTCOME_BEFORE,
        {**OUTCOME_BEFORE, "is_active": False},
        False,
    ),
    (
        "an outcome a case has no longer counted as substantiated",
        [(f"{S}/kinds/{{kind}}/outcomes/{{outcome}}/", {**OUTCOME_FORM, "substantiated": "no"})],
        "outcome",
        OUTCOME,
        OUTCOME_BEFORE,
        {**OUTCOME_BEFORE, "substantiated": False},
        True,
    ),
]


@pytest.fixture
def rows(cast) -> dict[str, int]:
    """One row of each setting, with values written by hand above."""
    kind = make_case_type(
        slug="speak-up",
        name="Speak up",
        reporting_levels="anonymous_named",
        checkin_after_weeks=12,
        acknowledge_within_days=7,
        feedback_within_months=3,
    )
    category = Category.objects.create(case_type=kind, slug="fraud", name="Fraud")
    unit = OrganisationalUnit.objects.create(slug="finance", name="Finance")
    branding = Branding.objects.create(
        organisation_name="Acme",
        welcome="Speak up.",
        colour="#0b0c0c",
        corporate_networks="10.0.0.0/8",
    )
    support = SupportResource.objects.create(title="Helpline", description="Call us")
    campaign = Campaign.objects.create(
        title="Respect week",
        message="Talk to us.",
        starts_on=dt.date(2026, 1, 5),
        ends_on=dt.date(2026, 1, 9),
    )
    question = MonitoringQuestion.objects.create(
        slug="age", text="What is your age?", answers=AGE_ANSWERS
    )
    closed = make_case(case_type=kind, state="closed")  # decided "substantiated" (STEP_DATA)
    assert closed.outcome == "substantiated"
    return {
        "outcome": OutcomeCode.objects.get(case_type=kind, code="substantiated").pk,
        "kind": kind.pk,
        "category": category.pk,
        "unit": unit.pk,
        "branding": branding.pk,
        "support": support.pk,
        "campaign": campaign.pk,
        "question": question.pk,
    }


def _resolve(value: Any, ids: dict[str, int]) -> Any:
    """The hand-written value with each ``Row`` made the id it stands for."""
    if isinstance(value, Row):
        return ids[value.name]
    if isinstance(value, dict):
        return {k: _resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, ids) for v in value]
    return value


def _filled(data: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    def fill(value: Any) -> Any:
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value.format(**ids) if isinstance(value, str) else value

    return {key: fill(value) for key, value in data.items()}


def _current(subject: str, target: int | None) -> dict[str, Any]:
    return SUBJECTS[subject].current(target)


def _holds(subject: str, target: int | None, expected: dict[str, Any]) -> None:
    """The setting now holds ``expected`` (a new kind's level, which its own page changes, is
    read from the row)."""
    assert target is not None
    if subject == "case_type" and "reporting_levels" in expected:
        expected = dict(expected)
        assert CaseType.objects.get(pk=target).reporting_levels == expected.pop("reporting_levels")
    assert _current(subject, target) == expected


@pytest.mark.parametrize(
    ("what", "posts", "subject", "row", "before", "after", "waits"),
    CHANGES,
    ids=[row[0] for row in CHANGES],
)
def test_each_settings_change_is_one_audited_change_and_a_weakening_one_waits(
    cast,
    second_administrator,
    rows,
    sign_in,
    client,
    what,
    posts,
    subject,
    row,
    before,
    after,
    waits,
):
    sign_in(cast.administrator)
    events = StaffEvent.objects.count()
    for address, data in posts:
        answer = client.post(address.format(**rows), _filled(data, rows))
        assert answer.status_code == 302, (address, answer.content.decode()[-3000:])

    change = SettingsChange.objects.get()
    made = change.target_id if row is NEW else rows[row.name]
    ids = {**rows, "new": made}
    assert (change.subject, change.target_id) == (subject, None if (row is NEW and waits) else made)
    assert change.before == _resolve(before, ids)
    assert change.after == _resolve(after, ids)
    assert change.proposed_by == cast.administrator
    (event,) = StaffEvent.objects.order_by("id")[events:]
    assert event.code == ("settings.proposed" if waits else "settings.changed")
    assert event.actor == cast.administrator
    assert event.payload == {
        "subject": subject,
        "target": change.target_id,
        "change": change.pk,
        "digest": settings_digest(change),
    }
    if not waits:
        assert change.status == SettingsStatus.MADE
        _holds(subject, made, {**_resolve(before, ids), **_resolve(after, ids)})
        return

    # Waits: nothing has changed yet; the proposer cannot confirm it; a second person does.
    assert change.status == SettingsStatus.PENDING
    if row is not NEW:
        assert _current(subject, made) == _resolve(before, ids)
    client.post(f"/staff/settings/changes/{change.pk}/confirm/")
    change.refresh_from_db()
    assert change.status == SettingsStatus.PENDING
    assert StaffEvent.objects.count() == events + 1
    other = sign_in(second_administrator, Client())
    assert other.post(f"/staff/settings/changes/{change.pk}/confirm/").status_code == 302
    change.refresh_from_db()
    assert (change.status, change.confirmed_by) == (SettingsStatus.CONFIRMED, second_administrator)
    (confirmed,) = StaffEvent.objects.order_by("id")[events + 1 :]
    assert (confirmed.code, confirmed.actor) == ("settings.confirmed", second_administrator)
    if row is NEW:  # the row made is named on the change once it is made
        made = ids["new"] = change.target_id
        assert made is not None
    _holds(subject, made, {**_resolve(before, ids), **_resolve(after, ids)})


def test_the_table_covers_every_kind_of_setting():
    # Every subject the settings pages change, each with a change that waits where one can.
    assert {row[2] for row in CHANGES} == set(SUBJECTS)
    waiting = {row[2] for row in CHANGES if row[6]}
    assert waiting == {
        "reporting_levels",
        "clocks",
        "reminders",
        "checkin",
        "networks",
        "monitoring",
        "outcome",
    }
