"""Recording an outcome over HTTP (docs/decisions/0032): the step form offers the active
outcomes of the case's own type, in the administrators' order; a retired, made-up or other
type's outcome is refused with an error linked to the field, and nothing moves; an outcome
sent with a step that records none is ignored; a retired outcome keeps its label on the cases
that have it and in the reports."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from cases.models import Case, CaseEvent, OutcomeCode
from reports.selectors import Period, report_build
from tests.builders import STEP_DATA, make_case, make_case_type, make_handler, path_to
from workflows.services import case_transition


def _set(case_type, *, codes=None, **fields) -> None:
    """Change outcomes as the settings pages would (row by row, with history)."""
    rows = OutcomeCode.objects.filter(case_type=case_type)
    for row in rows.filter(code__in=codes) if codes else rows:
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()


def _page(client, case) -> str:
    return html.unescape(client.get(f"/staff/cases/{case.pk}/").content.decode())


def _at_assessment(cast) -> None:
    for name in path_to("whistleblowing", "assessment"):
        case_transition(case=cast.case, name=name, actor=cast.assigned_handler, **STEP_DATA)


def _record(client, case, outcome: str):
    return client.post(
        f"/staff/cases/{case.pk}/step/",
        {"step": "record_outcome", "expected_state": "assessment", "outcome": outcome},
    )


def test_the_step_form_offers_the_active_outcomes_of_the_cases_own_type_in_order(
    cast, sign_in, client
):
    _at_assessment(cast)
    OutcomeCode.objects.create(
        case_type=cast.case_type, code="censure", label="Censure with consent", position=0
    )
    _set(cast.case_type, codes=["appeal_upheld"], is_active=False)
    other = make_case_type()
    OutcomeCode.objects.create(case_type=other, code="sacked", label="Dismissed", position=0)
    sign_in(cast.assigned_handler)
    select = re.search(r'<select[^>]*name="outcome".*?</select>', _page(client, cast.case), re.S)
    assert select
    assert re.findall(r'<option value="([^"]*)"', select.group(0)) == [
        "",
        "censure",
        "substantiated",
        "partly_substantiated",
        "not_substantiated",
        "resolved_informally",
        "no_further_action",
        "appeal_dismissed",
    ]


@pytest.mark.parametrize("forged", ["made-up", "sacked", "appeal_upheld"])
def test_an_outcome_not_offered_is_refused_with_a_linked_error_and_nothing_moves(
    cast, sign_in, client, forged
):
    _at_assessment(cast)
    _set(cast.case_type, codes=["appeal_upheld"], is_active=False)
    OutcomeCode.objects.create(case_type=make_case_type(), code="sacked", label="Dismissed")
    sign_in(cast.assigned_handler)
    answer = _record(client, cast.case, forged)
    page = html.unescape(answer.content.decode())
    assert answer.status_code == 400
    assert re.search(
        r'govuk-error-summary__list"><li><a href="#outcome-record_outcome">Choose an outcome '
        r"from the list: that one is not offered for this case.</a>",
        page,
    )
    assert 'id="outcome-record_outcome-error"' in page
    case = Case.objects.get(pk=cast.case.pk)
    assert (case.state, case.outcome) == ("assessment", "")
    refused = CaseEvent.objects.filter(case=case, code="case.transition_refused").latest("id")
    assert refused.payload == {"transition": "record_outcome", "reason": "data"}


def test_an_offered_outcome_is_recorded_and_shown_by_its_label(cast, sign_in, client):
    _at_assessment(cast)
    sign_in(cast.assigned_handler)
    assert _record(client, cast.case, "partly_substantiated").status_code == 302
    case = Case.objects.get(pk=cast.case.pk)
    assert (case.state, case.outcome) == ("outcome", "partly_substantiated")
    # Retired since: the case keeps it and its label.
    _set(cast.case_type, codes=["partly_substantiated"], is_active=False, label="Partly upheld")
    assert re.search(r"Outcome</dt><dd[^>]*>Partly upheld</dd>", _page(client, cast.case))


def test_an_outcome_sent_with_a_step_that_records_none_is_ignored(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/step/",
        {"step": "acknowledge", "expected_state": "received", "outcome": "substantiated"},
    )
    assert answer.status_code == 302
    case = Case.objects.get(pk=cast.case.pk)
    assert (case.state, case.outcome) == ("acknowledged", "")


def test_a_kind_with_no_outcome_offered_says_so_on_the_step(cast, sign_in, client):
    _at_assessment(cast)
    _set(cast.case_type, is_active=False)
    sign_in(cast.assigned_handler)
    page = _page(client, cast.case)
    assert "No outcome is offered for this kind of report yet" in page
    assert _record(client, cast.case, "substantiated").status_code == 400


def _closed(case_type, outcome: str, on: dt.date) -> Case:
    import time_machine
    from django.utils import timezone

    noon = dt.datetime.combine(on, dt.time(12), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(noon, tick=False):
        case = make_case(case_type=case_type, state="assessment")
        handler = make_handler(case, username=f"handler-{case.reference}")
        case_transition(case=case, name="record_outcome", actor=handler, outcome=outcome)
        return case_transition(case=case, name="close", actor=handler)


@pytest.mark.slow  # over the fast pass's CPU limit (decision 0017)
def test_the_report_names_outcomes_by_their_labels_retired_ones_too(db):
    case_type = make_case_type(name="Whistleblowing")
    day = dt.date(2026, 3, 10)
    for outcome, n in (("substantiated", 6), ("not_substantiated", 5), ("censure", 5)):
        if outcome == "censure":
            OutcomeCode.objects.create(
                case_type=case_type,
                code="censure",
                label="Censure with consent",
                substantiated=True,
                position=3,
            )
        for _ in range(n):
            _closed(case_type, outcome, day)
    # Retired and relabelled after the cases closed: still named and counted.
    _set(case_type, codes=["censure"], is_active=False, label="Censured")
    report = report_build(period=Period.of("month", 2026, 3), case_type_ids=[case_type.pk])
    views = {view.key: view for view in report.sections[0].views}
    table = views["outcome"].table
    assert list(zip(table.rows, [row[0] for row in table.cells], strict=True)) == [
        ("Substantiated", 5),
        ("Censured", 5),
        ("Not substantiated", 5),
    ]
    found = views["substantiated"].table
    assert list(zip(found.rows, [row[0] for row in found.cells], strict=True)) == [
        ("Substantiated", 10),
        ("Not substantiated", 5),
        ("No outcome recorded", None),
    ]
    assert views["substantiated"].finding == (
        "About 10 of the cases closed were substantiated, in whole or in part."
    )
