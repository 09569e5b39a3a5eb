"""Which questions each kind of report asks (issue 16 §3), and check-your-answers' "Change"
per row: back to that question with every answer kept, and a warning that files chosen on the
check page must be chosen again. Over HTTP; expected questions written here by hand."""

import html
import re

import pytest

from cases.models import Case, Category
from cases.selectors import case_content
from tests.builders import make_case_type
from tests.intake.conftest import answers

# The questions each process asks (by field name), written by hand: a report for trends only
# says nobody will contact the reporter, so it does not ask how to, who must not handle it, or
# who they are, whatever reporting levels its row holds.
ASKED = {
    "whistleblowing": {"not_to_handle", "contact", "identity"},
    "bullying": {"not_to_handle", "contact", "identity"},
    "trend_only": set(),
}
ALWAYS = {"what_happened", "when", "where", "category", "people_involved"}


def _fields(page: str) -> set[str]:
    inputs = re.findall(r'<(?:input|textarea|select)\b[^>]*\bname="([a-z_]+)"', page)
    return set(inputs) - {"submission_key", "change"}


@pytest.mark.parametrize("workflow", sorted(ASKED))
def test_each_kind_asks_only_the_questions_that_make_sense(client, whistleblowing, workflow):
    kind = make_case_type(slug="kind", workflow=workflow, reporting_levels="all")
    Category.objects.create(case_type=kind, slug="other", name="Other")
    page = client.get("/report/kind/").content.decode()
    asked = _fields(page) - {"name", "confidential_name"}
    assert asked == ALWAYS | ASKED[workflow]
    says_nobody_will_contact = "Nobody will look into it or contact you about it." in page
    assert says_nobody_will_contact is (workflow == "trend_only")
    if workflow == "trend_only":
        assert "How can we contact you?" not in page
        assert "must not handle your report" not in page
        assert "Your name" not in page


def test_a_trend_report_keeps_no_forged_contact_name_or_exclusion(client, whistleblowing):
    kind = make_case_type(slug="trends", workflow="trend_only", reporting_levels="all")
    Category.objects.create(case_type=kind, slug="other", name="Other")
    forged = answers(
        kind,
        identity="named",
        name="Marker Forged-Name",
        contact="marker@example.org",
        not_to_handle="Marker Forged-Exclusion",
    )
    check = client.post("/report/trends/", forged).content.decode()
    assert "Marker" not in check  # neither shown nor carried on
    assert client.post("/report/trends/send/", forged).status_code == 200
    case = Case.objects.get()
    content = case_content(case)
    assert not case.reporter_named
    assert not content.reporter_contact
    assert "Marker" not in str(content.answers)


# --- Check your answers: "Change" per row -------------------------------------------------------

REPORT = "/report/whistleblowing/"


def _check_page(client, whistleblowing, **overrides):
    whistleblowing.reporting_levels = "all"
    whistleblowing.save(update_fields=["reporting_levels"])
    data = answers(
        whistleblowing,
        what_happened="Invoices are approved without checks.",
        people_involved="The finance lead",
        identity="confidential",
        confidential_name="Sam Reporter",
        contact="sam@example.org",
        **overrides,
    )
    page = client.post(REPORT, data)
    assert page.status_code == 200
    return data, html.unescape(page.content.decode())


def test_every_answer_has_a_change_button_going_back_to_its_question(client, whistleblowing):
    _, page = _check_page(client, whistleblowing)
    changes = re.findall(
        r'name="change" value="(id_[a-z_]+)" formaction="/report/whistleblowing/#(id_[a-z_]+)"',
        page,
    )
    assert [value for value, _ in changes] == [anchor for _, anchor in changes]
    assert [value for value, _ in changes] == [
        "id_what_happened",
        "id_when",
        "id_where",
        "id_category",
        "id_people_involved",
        "id_not_to_handle",
        "id_identity",
        "id_confidential_name",
        "id_contact",
    ]
    # Each says which answer it changes, to a screen reader.
    assert '<span class="govuk-visually-hidden"> When did it happen?</span>' in page
    assert "If you change an answer, any files you chose below are not kept." in page


@pytest.mark.parametrize("which", ["id_when", "id_confidential_name", "id_what_happened", "x"])
def test_change_goes_back_with_every_answer_kept(client, whistleblowing, which):
    data, check = _check_page(client, whistleblowing)
    carried = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', check))
    back = client.post(REPORT, {**carried, "change": which})
    page = html.unescape(back.content.decode())
    assert back.status_code == 200
    assert "Tell us what happened" in page and "There is a problem" not in page
    assert ">Invoices are approved without checks.</textarea>" in page
    assert ">The finance lead</textarea>" in page
    assert 'value="last-month" checked' in page
    assert f'<option value="{data["where"]}" selected' in page
    assert f'value="{data["category"]}" checked' in page
    assert 'value="confidential" checked' in page
    assert 'value="Sam Reporter"' in page and 'value="sam@example.org"' in page
    # The question it came back for is on the page, where the address takes the reader.
    if which != "x":
        assert f'id="{which}"' in page
    assert not Case.objects.exists()


def test_a_name_typed_under_another_level_is_not_carried_back(client, whistleblowing):
    _, check = _check_page(client, whistleblowing, name="Typed Under Named")
    assert "Typed Under Named" not in check
    carried = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', check))
    back = client.post(REPORT, {**carried, "change": "id_identity"}).content.decode()
    assert "Typed Under Named" not in back


def test_the_welsh_check_page_changes_in_welsh(client, whistleblowing):
    whistleblowing.reporting_levels = "anonymous"
    whistleblowing.save(update_fields=["reporting_levels"])
    page = html.unescape(
        client.post("/cy/report/whistleblowing/", answers(whistleblowing)).content.decode()
    )
    assert 'formaction="/cy/report/whistleblowing/#id_when"' in page
    assert ">Newid<" in page
