"""Who holds many cases at once (``case_holders_each``): the same people ``case_holders``
names for each case one at a time, read in a fixed number of queries, so that a round of the
day's news (``staff_news_send``) costs the same few queries for ten cases or two hundred."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.kinds import CASE_NEWS, NEW_REPORT
from notifications.models import Notification, StaffNews
from notifications.selectors import case_holders, case_holders_each
from notifications.services import staff_news_send
from permissions.models import CaseUserPermission, ExclusionKind
from permissions.services import case_assign, exclusion_add
from tests.builders import make_case, make_case_type

pytestmark = pytest.mark.django_db


def _cases(cast):
    """Cases in each position, and by hand who holds each (usernames, in order)."""
    lead = cast.triage_lead
    unheld = make_case(case_type=cast.case_type)
    lead_excluded = make_case(case_type=cast.case_type)
    exclusion_add(case=lead_excluded, user=lead, kind=ExclusionKind.SUBJECT, actor=lead)
    no_triage_team = make_case(case_type=make_case_type(slug="no-team", name="No team"))
    expired = make_case(case_type=cast.case_type)
    case_assign(case=expired, assignee=cast.unassigned_handler, actor=lead)
    CaseUserPermission.objects.filter(content_object=expired).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    inactive = make_case(case_type=cast.case_type)
    case_assign(
        case=inactive,
        assignee=cast.unassigned_investigator,
        actor=lead,
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    cast.unassigned_investigator.is_active = False
    cast.unassigned_investigator.save(update_fields=["is_active"])
    gone = User.objects.create_user("gone-team-member", is_active=False)
    gone.groups.add(cast.team)  # in the team that holds cast.case, but no longer active
    return {
        # The handler, the investigator and the team's member; not the excluded team member,
        # nor the inactive one.
        cast.case: ["handler", "investigator", "team-member"],
        unheld: ["triage"],  # nobody holds it: its type's triage lead
        lead_excluded: [],  # ... unless the lead is excluded from it
        no_triage_team: [],
        expired: ["triage"],  # a grant past its end holds nothing
        inactive: ["triage"],  # nor a grant to someone no longer active
    }


def test_many_cases_holders_are_each_cases_holders(cast):
    expected = _cases(cast)
    each = case_holders_each(expected)
    assert {case: [u.username for u in each[case.pk]] for case in expected} == expected
    for case in expected:
        assert each[case.pk] == case_holders(case)


def test_a_round_of_news_takes_the_same_queries_for_two_cases_or_six(cast):
    cases = list(_cases(cast))

    def round_queries(news_cases):
        for case in news_cases:
            StaffNews.objects.create(case=case, kind=CASE_NEWS, since=timezone.localdate())
        with CaptureQueriesContext(connection) as queries:
            assert staff_news_send() == len(news_cases)
        return len(queries)

    two = round_queries(cases[:2])
    six = round_queries(cases)
    assert two == six
    told = sorted(
        (n.case_id == cast.case.pk, n.recipient.username)
        for n in Notification.objects.filter(kind=CASE_NEWS)
    )
    # Two rounds: cast.case's three holders and the unheld case's lead in each; then the
    # expired and inactive cases' lead in the second.
    assert told == sorted(
        [(True, "handler"), (True, "investigator"), (True, "team-member")] * 2
        + [(False, "triage")] * 4
    )


def test_a_new_reports_news_is_told_once_with_its_replies_in_the_same_round(cast):
    case = make_case(case_type=cast.case_type)
    for kind in (NEW_REPORT, CASE_NEWS):
        StaffNews.objects.create(case=case, kind=kind, since=timezone.localdate())
    assert staff_news_send() == 2
    assert list(Notification.objects.values_list("kind", "recipient__username")) == [
        (NEW_REPORT, "triage")
    ]
