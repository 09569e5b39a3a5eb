"""A kind of report's reminder policy on the settings pages: every change one record with its
values before and after; a change that lets a deadline slip by more quietly waits for a second
administrator; the Django admin no longer has it. Expected values are written here by hand."""

from __future__ import annotations

import pytest
from django.test import Client

from notifications.models import ReminderPolicy
from notifications.reminders import policies
from notifications.settings_subjects import reminders_weaken
from permissions.models import SettingsChange, SettingsStatus
from permissions.settings_changes import SettingsRefused, settings_change_make
from tests.administration.test_settings_pages import OUTSIDERS, _settings_events

# The fields' defaults, which a kind without a policy row runs on.
DEFAULTS = {
    "soon_working_days": 2,
    "on_the_day": True,
    "overdue": True,
    "escalate_lead_after_days": 3,
    "escalate_contact_after_days": 10,
    "escalation_contact": None,
}
FORM = {
    "soon_working_days": "2",
    "on_the_day": "yes",
    "overdue": "yes",
    "escalate_lead_after_days": "3",
    "escalate_contact_after_days": "10",
    "escalation_contact": "",
}
BASE = {**DEFAULTS, "escalation_contact": 7}

# (what changes from BASE, does it weaken?)
REMINDER_CHANGES = [
    ({"soon_working_days": 3}, False),
    ({"soon_working_days": 1}, True),
    ({"soon_working_days": 0}, True),
    ({"on_the_day": False}, True),
    ({"overdue": False}, True),
    ({"escalate_lead_after_days": 2}, False),
    ({"escalate_lead_after_days": 4}, True),
    ({"escalate_lead_after_days": None}, True),
    ({"escalate_contact_after_days": 5}, False),
    ({"escalate_contact_after_days": 11}, True),
    ({"escalate_contact_after_days": None}, True),
    ({"escalation_contact": 8}, True),  # replaced
    ({"escalation_contact": None}, True),  # taken away
]


@pytest.mark.parametrize(("change", "weakens"), REMINDER_CHANGES)
def test_which_reminder_changes_weaken_protection(change, weakens):
    assert bool(reminders_weaken(BASE, {**BASE, **change})) is weakens


def test_turning_reminders_on_and_giving_a_first_contact_weaken_nothing():
    quiet = {
        "soon_working_days": 0,
        "on_the_day": False,
        "overdue": False,
        "escalate_lead_after_days": None,
        "escalate_contact_after_days": None,
        "escalation_contact": None,
    }
    assert reminders_weaken(quiet, BASE) == ""


def test_the_proposal_says_what_slips():
    assert reminders_weaken(BASE, {**BASE, "overdue": False, "escalation_contact": None}) == (
        "Deadlines could slip by more quietly: no reminder when overdue; the escalation "
        "contact is taken away or replaced."
    )


def _url(cast) -> str:
    return f"/staff/settings/kinds/{cast.case_type.pk}/reminders/"


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_reminders_page_is_not_found_for_anyone_else(cast, sign_in, client, who):
    sign_in(getattr(cast, who))
    assert client.get(_url(cast)).status_code == 404
    assert client.post(_url(cast), {**FORM, "soon_working_days": "5"}).status_code == 404
    assert not ReminderPolicy.objects.exists() and not SettingsChange.objects.exists()


def test_a_kind_without_a_policy_shows_the_defaults(cast, sign_in, client):
    sign_in(cast.administrator)
    page = client.get(f"/staff/settings/kinds/{cast.case_type.pk}/").content.decode()
    assert "2 working days before" in page and "After 10 working days overdue" in page
    assert f'href="{_url(cast)}"' in page
    form = client.get(_url(cast)).content.decode()
    assert 'name="soon_working_days" type="text" value="2"' in form


def test_the_kind_page_shows_its_retention_and_links_to_the_retention_page(cast, sign_in, client):
    sign_in(cast.administrator)
    page = client.get(f"/staff/settings/kinds/{cast.case_type.pk}/").content.decode()
    assert "365 days after closure" in page  # the cast's policy: content and token
    assert f'href="/staff/retention/policies/{cast.case_type.pk}/"' in page


def test_more_reminders_and_a_first_contact_are_made_at_once_and_recorded(cast, sign_in, client):
    sign_in(cast.administrator)
    contact = cast.governance_lead
    answer = client.post(
        _url(cast),
        {**FORM, "soon_working_days": "3", "escalation_contact": str(contact.pk)},
    )
    assert answer.status_code == 302
    assert answer["Location"] == f"/staff/settings/kinds/{cast.case_type.pk}/"
    policy = ReminderPolicy.objects.get(case_type=cast.case_type)
    assert (policy.soon_working_days, policy.escalation_contact) == (3, contact)
    change = SettingsChange.objects.get()
    assert (change.subject, change.target_id, change.status) == (
        "reminders",
        cast.case_type.pk,
        SettingsStatus.MADE,
    )
    assert change.before == DEFAULTS
    assert change.after == {**DEFAULTS, "soon_working_days": 3, "escalation_contact": contact.pk}
    assert _settings_events() == ["settings.changed"]
    # The scan reads the new policy.
    assert policies()[cast.case_type.pk].soon_working_days == 3
    page = client.get(f"/staff/settings/kinds/{cast.case_type.pk}/").content.decode()
    assert "3 working days before" in page and contact.get_username() in page


def test_switching_a_reminder_off_waits_for_a_second_administrator(
    cast, second_administrator, sign_in, client
):
    sign_in(cast.administrator)
    answer = client.post(_url(cast), {**FORM, "overdue": "no"}, follow=True)
    assert (
        "Proposed: Deadlines could slip by more quietly: no reminder when overdue. A second "
        "administrator must confirm it"
    ) in answer.content.decode()
    assert not ReminderPolicy.objects.exists()
    change = SettingsChange.objects.get()
    assert change.status == SettingsStatus.PENDING
    forged = client.post(f"/staff/settings/changes/{change.pk}/confirm/", follow=True)
    assert "A second administrator must confirm this change." in forged.content.decode()
    assert not ReminderPolicy.objects.exists()

    other = sign_in(second_administrator, Client())
    index = other.get("/staff/settings/").content.decode()
    assert "Reminders of a kind of report" in index and "yes → no" in index
    other.post(f"/staff/settings/changes/{change.pk}/confirm/")
    assert ReminderPolicy.objects.get(case_type=cast.case_type).overdue is False
    assert _settings_events() == ["settings.proposed", "settings.confirmed"]


def test_replacing_the_escalation_contact_waits(cast, sign_in, client):
    ReminderPolicy.objects.create(case_type=cast.case_type, escalation_contact=cast.triage_lead)
    sign_in(cast.administrator)
    client.post(_url(cast), {**FORM, "escalation_contact": str(cast.governance_lead.pk)})
    assert SettingsChange.objects.get().status == SettingsStatus.PENDING
    assert ReminderPolicy.objects.get().escalation_contact == cast.triage_lead


# (field, typed value, error shown)
BAD_REMINDERS = [
    ("soon_working_days", "", "Enter how many working days before the due day to remind, or 0."),
    ("soon_working_days", "two", "The early reminder must be a whole number of days, like 2."),
    ("soon_working_days", "-1", "The early reminder must be 0 or more."),
    ("soon_working_days", "11", "The early reminder must be 10 working days or fewer."),
    ("on_the_day", "maybe", "Select a valid choice"),
    ("escalate_lead_after_days", "0", "Tell the triage leads after must be 1 or more."),
    ("escalate_contact_after_days", "61", "must be 60 or fewer."),
    ("escalation_contact", "999999", "Choose the escalation contact from the list."),
]


@pytest.mark.parametrize(("field", "typed", "error"), BAD_REMINDERS)
def test_bad_reminders_are_explained_kept_and_not_saved(cast, sign_in, client, field, typed, error):
    sign_in(cast.administrator)
    answer = client.post(_url(cast), {**FORM, field: typed})
    body = answer.content.decode()
    assert answer.status_code == 400
    assert 'class="govuk-error-summary"' in body and error in body
    if field.endswith("days") and typed:
        assert f'value="{typed}"' in body
    assert not ReminderPolicy.objects.exists() and not SettingsChange.objects.exists()


def test_someone_without_a_staff_role_cannot_be_the_contact(
    cast, sign_in, client, django_user_model
):
    outsider = django_user_model.objects.create_user(username="no-role")
    sign_in(cast.administrator)
    page = client.get(_url(cast)).content.decode()
    assert f'value="{outsider.pk}"' not in page
    answer = client.post(_url(cast), {**FORM, "escalation_contact": str(outsider.pk)})
    assert answer.status_code == 400
    assert not ReminderPolicy.objects.exists()


# (what a forged call to the service gives, what it is told)
FORGED = [
    ({"soon_working_days": 11}, "0 to 10"),
    ({"soon_working_days": True}, "0 to 10"),
    ({"on_the_day": "yes"}, "yes or no"),
    ({"escalate_lead_after_days": 0}, "1 to 60"),
    ({"escalation_contact": 999999}, "from the list"),
    ({"case_type": 1}, "every reminder setting"),
]


@pytest.mark.parametrize(("forged", "told"), FORGED)
def test_the_service_refuses_forged_reminders(cast, forged, told):
    with pytest.raises(SettingsRefused, match=told):
        settings_change_make(
            actor=cast.administrator,
            subject="reminders",
            target_id=cast.case_type.pk,
            after={**DEFAULTS, "soon_working_days": 5, **forged},
        )
    with pytest.raises(SettingsRefused, match="a kind of report that exists"):
        settings_change_make(
            actor=cast.administrator, subject="reminders", target_id=None, after=DEFAULTS
        )
    assert not ReminderPolicy.objects.exists() and not SettingsChange.objects.exists()


def test_the_django_admin_no_longer_has_reminder_policies(cast, sign_in, client):
    sign_in(cast.administrator)
    base = "/admin/notifications/reminderpolicy/"
    for path in (base, f"{base}add/"):
        assert client.get(path).status_code == 404
    client.post(f"{base}add/", {"case_type": cast.case_type.pk, "soon_working_days": "0"})
    assert not ReminderPolicy.objects.exists()
