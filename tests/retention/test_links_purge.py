"""A purged case's links go with its content (docs/decisions/0033-linked-cases.md): both sides
of each link and their history, whichever case the link was made from; the case it was linked
to keeps its own content, and its people no longer see the link or its events."""

from __future__ import annotations

import pytest

from cases.links import link_add
from cases.models import CaseEvent, CaseLink
from permissions.services import case_assign
from retention.models import DeletionRecord
from retention.purge import purge_due_cases
from tests.builders import make_case
from tests.retention.conftest import close

pytestmark = pytest.mark.django_db


def test_a_purged_cases_links_leave_no_row_and_no_trace_for_the_other_case(
    cast, after_retention, sign_in, client
):
    purged = make_case(case_type=cast.case_type)
    kept = make_case(case_type=cast.case_type)
    for case in (purged, kept):
        case_assign(case=case, assignee=cast.assigned_handler, actor=cast.triage_lead)
    link_add(case=purged, other=kept, kind="same_person", note="QZNOTE1", actor=cast.triage_lead)
    # Made from the other side too, with a third case that stays.
    link_add(case=kept, other=cast.case, kind="other", note="QZNOTE2", actor=cast.triage_lead)
    sign_in(cast.assigned_handler)
    assert purged.reference in client.get(f"/staff/cases/{kept.pk}/").content.decode()
    close(purged)

    assert purge_due_cases(today=after_retention).purged == 1

    linked = {purged.pk}
    assert not CaseLink.objects.filter(case__in=linked).exists()
    assert not CaseLink.objects.filter(other__in=linked).exists()
    assert not CaseLink.history.filter(case_id__in=linked).exists()
    assert not CaseLink.history.filter(other_id__in=linked).exists()
    # The link between the two cases that stay is untouched.
    assert CaseLink.objects.count() == 2
    record = DeletionRecord.objects.get(case_id=purged.pk)
    assert record.rows["cases.caselink"] == 2
    assert record.rows["cases.historicalcaselink"] == 2
    # The kept case's own event still names the purged case by its id (identifiers only,
    # like every audit event), but nobody can see the stub, so nobody is shown it.
    assert CaseEvent.objects.filter(case=kept, code="case.linked").count() == 2
    page = client.get(f"/staff/cases/{kept.pk}/").content.decode()
    history = client.get(f"/staff/cases/{kept.pk}/history/?changes=1").content.decode()
    assert purged.reference not in page + history
    assert cast.case.reference in page
    assert history.count("linked this case to") == 1
