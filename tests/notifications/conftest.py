"""A case type with a triage team and a policy, and a scan whose enqueued ids are kept."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group, User

from notifications.models import ReminderPolicy
from notifications.reminders import Enqueue, scan
from tests.builders import make_case, make_case_type

START = dt.date(2026, 3, 2)  # a Monday; no bank holiday in England until Good Friday


class Queue:
    """Stands in for the broker: the ids each task would have been sent."""

    def __init__(self) -> None:
        self.reminders: list[int] = []
        self.emails: list[int] = []
        self.digests: list[int] = []

    def enqueue(self) -> Enqueue:
        return Enqueue(
            reminder=self.reminders.append, email=self.emails.append, digest=self.digests.append
        )


@pytest.fixture
def queue():
    return Queue()


@pytest.fixture
def run_scan(queue, django_capture_on_commit_callbacks):
    def _run(on: dt.date | None = None):
        with time_machine.travel(dt.datetime.combine(on or START, dt.time(9)), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                return scan(queue.enqueue())

    return _run


@pytest.fixture
def office(db):
    """A case type with a triage team (lead ``triage``), an escalation contact and a
    handler; every person has an address."""
    lead = User.objects.create_user("triage", email="triage@example.org")
    team = Group.objects.create(name="Triage team")
    lead.groups.add(Group.objects.get_or_create(name="Triage lead")[0], team)
    contact = User.objects.create_user("contact", email="contact@example.org")
    case_type = make_case_type(triage_team=team)
    ReminderPolicy.objects.create(case_type=case_type, escalation_contact=contact)
    return type("Office", (), {"lead": lead, "contact": contact, "case_type": case_type})


@pytest.fixture
def filed(office):
    """A case filed on START (acknowledge within 7 days: due Monday 9 March)."""
    with time_machine.travel(dt.datetime.combine(START, dt.time(9)), tick=False):
        return make_case(case_type=office.case_type)
