"""Who holds a case, on its page (issue 15, section 1): people by name and role, an
investigator's end date, teams; the triage team may take them off while the case is new."""

import datetime as dt
import html
import re

from django.utils import timezone

from permissions.models import CaseGroupPermission
from permissions.predicates import may_unassign
from workflows.services import case_transition


def _held_by(page: str) -> list[str]:
    row = re.search(r"Held by</dt><dd[^>]*>(.*?)</dd>", page, re.S).group(1)
    return [
        html.unescape(re.sub(r"\s+", " ", item)).strip()
        for item in re.findall(r"<li>(.*?)</li>", row, re.S)
    ]


def test_the_case_page_says_who_holds_the_case(cast, sign_in, client):
    cast.assigned_handler.first_name, cast.assigned_handler.last_name = "Ann", "Smith"
    cast.assigned_handler.save()
    sign_in(cast.assigned_handler)
    page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    until = timezone.localdate() + dt.timedelta(days=30)
    assert _held_by(page) == [
        "Ann Smith (handler)",
        f"investigator (external investigator) (until {until.day} {until:%B %Y})",
        "Team: Whistleblowing handlers",
    ]
    assert "Remove" not in page  # a handler does not assign


def test_the_triage_team_takes_people_and_teams_off_a_new_case_only(cast, sign_in, client):
    sign_in(cast.triage_lead)
    page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    assert page.count(">Remove<span") == 3
    team_id = cast.team.pk
    answer = client.post(f"/staff/cases/{cast.case.pk}/unassign/", {"team": team_id})
    assert answer.status_code == 302
    assert not CaseGroupPermission.objects.filter(content_object=cast.case).exists()
    assert (
        "Team: Whistleblowing handlers"
        not in client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    )

    case_transition(case=cast.case, name="acknowledge", actor=cast.assigned_handler)
    assert not may_unassign(cast.triage_lead, cast.case)
    # A forged removal once the case is being worked takes nobody off it.
    client.post(f"/staff/cases/{cast.case.pk}/unassign/", {"user": cast.assigned_handler.pk})
    sign_in(cast.assigned_handler)
    page = client.get(f"/staff/cases/{cast.case.pk}/").content.decode()
    assert _held_by(page)[0] == "handler (handler)"
