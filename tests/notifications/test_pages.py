"""The workspace over HTTP: the list, the header count, marking read, the e-mail choice."""

import re

from notifications.kinds import CASE_NEWS, DEADLINE_OVERDUE
from notifications.models import EmailChoice, EmailPreference, Notification
from notifications.services import notify
from permissions.models import StaffEvent


def _header(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def test_the_list_and_the_header_count_show_what_waits_even_without_an_email(cast, sign_in, client):
    assert not cast.assigned_handler.email  # no address: the workspace still shows it
    notify([cast.assigned_handler], DEADLINE_OVERDUE, cast.case)
    notify([cast.assigned_handler], CASE_NEWS, cast.case)  # same case: still one case
    notify([cast.team_handler], CASE_NEWS, cast.case)  # someone else's
    sign_in(cast.assigned_handler)
    page = client.get("/staff/notifications/")
    html = _header(page.content.decode())
    assert page.status_code == 200
    assert "1 case needs your attention" in html
    assert "A deadline on a case has passed" in html
    assert html.count(f'href="/staff/cases/{cast.case.pk}/"') == 2


def test_a_notification_link_still_goes_through_the_gate(cast, sign_in, client):
    # Notified, then taken off the case by an exclusion: the link leads to not-found.
    from permissions.models import ExclusionKind
    from permissions.services import exclusion_add

    notify([cast.team_handler], CASE_NEWS, cast.case)
    exclusion_add(
        case=cast.case, user=cast.team_handler, kind=ExclusionKind.SUBJECT, actor=cast.triage_lead
    )
    sign_in(cast.team_handler)
    assert (
        f'href="/staff/cases/{cast.case.pk}/"'
        in client.get("/staff/notifications/").content.decode()
    )
    assert client.get(f"/staff/cases/{cast.case.pk}/").status_code == 404


def test_the_header_counts_cases_in_one_query(cast, sign_in, client, django_assert_num_queries):
    from staff.templatetags.staff_tags import attention_count

    for _ in range(3):
        notify([cast.assigned_handler], CASE_NEWS, cast.case)
    notify([cast.assigned_handler], CASE_NEWS)  # a notice without a case counts on its own
    with django_assert_num_queries(1):
        assert attention_count(cast.assigned_handler) == 2


def test_marking_one_read_and_all_read(cast, sign_in, client):
    first, second = (
        notify([cast.assigned_handler], kind, cast.case)[0]
        for kind in (CASE_NEWS, DEADLINE_OVERDUE)
    )
    sign_in(cast.assigned_handler)
    answer = client.post("/staff/notifications/read/", {"notification": first.pk})
    assert answer.status_code == 302
    assert Notification.objects.get(pk=first.pk).read_at is not None
    assert Notification.objects.get(pk=second.pk).read_at is None
    client.post("/staff/notifications/read-all/")
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    html = _header(client.get("/staff/notifications/").content.decode())
    assert "need your attention" not in html and "needs your attention" not in html


def test_another_persons_notification_or_a_forged_id_is_not_found(cast, sign_in, client):
    theirs = notify([cast.team_handler], CASE_NEWS, cast.case)[0]
    sign_in(cast.assigned_handler)
    for forged in (theirs.pk, theirs.pk + 1000):
        assert (
            client.post("/staff/notifications/read/", {"notification": forged}).status_code == 404
        )
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_malformed_input_gets_a_clear_error_and_changes_nothing(cast, sign_in, client):
    mine = notify([cast.assigned_handler], CASE_NEWS, cast.case)[0]
    sign_in(cast.assigned_handler)
    for bad in ({}, {"notification": "x"}, {"notification": "-1"}, {"notification": "9" * 30}):
        answer = client.post("/staff/notifications/read/", bad)
        assert answer.status_code == 400, bad
        assert "There is a problem" in answer.content.decode()
    assert Notification.objects.get(pk=mine.pk).read_at is None
    assert client.get("/staff/notifications/read/").status_code == 405


def test_the_email_choice_on_the_account_page(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    page = client.get("/staff/account/").content.decode()
    assert 'action="/staff/account/email/"' in page
    assert re.search(r'value="immediate"\s+checked', page)
    assert "has no e-mail address" in page  # they see notifications in the workspace only
    answer = client.post("/staff/account/email/", {"email": "digest"})
    assert answer.status_code == 302
    assert EmailPreference.objects.get(user=cast.assigned_handler).email == EmailChoice.DIGEST
    assert StaffEvent.objects.filter(code="notifications.email_choice").count() == 1


def test_a_nonsense_email_choice_is_refused_with_a_sentence_and_the_choice_stays(
    cast, sign_in, client
):
    EmailPreference.objects.create(user=cast.assigned_handler, email=EmailChoice.DIGEST)
    cast.assigned_handler.email = "handler@example.org"
    cast.assigned_handler.save(update_fields=["email"])
    sign_in(cast.assigned_handler)
    answer = client.post("/staff/account/email/", {"email": "hourly"}, follow=True)
    page = answer.content.decode()
    assert "Choose how you want to hear by e-mail." in page
    assert re.search(r'value="digest"\s+checked', page)
    assert "has no e-mail address" not in page
    assert EmailPreference.objects.get(user=cast.assigned_handler).email == EmailChoice.DIGEST
    assert not StaffEvent.objects.filter(code="notifications.email_choice").exists()


def test_signed_out_people_get_no_list(client, db):
    answer = client.get("/staff/notifications/")
    assert answer.status_code == 302 and "/login" in answer["Location"]
