"""The reporter's e-mail: a reporter who gave an e-mail address hears "there is news on your
report" when a handler writes to them or the stage they see changes, and nothing else: no
link, no token, no reference, no content. At most one e-mail per outbox row."""

import re
import smtplib

import pytest
from django.core import mail

from cases.models import MessageKind, NewsDelivery, ReporterNews
from cases.news import MAX_ATTEMPTS, email_in, reporter_news_deliver, reporter_news_scan
from cases.selectors import case_content
from cases.services import message_add
from cases.tasks import send_reporter_news
from tests.builders import make_case, make_case_type, make_handler
from workflows.services import case_transition

ADDRESS = "quiet.person@example.org"
SECRET_WORDS = "The finance director signs his own invoices."


# Written by hand: contact details as a reporter might type them, and the address in them.
CONTACTS = [
    (ADDRESS, ADDRESS),
    (f"  {ADDRESS}.  ", ADDRESS),
    (f"email me at {ADDRESS} or call 07700 900123", ADDRESS),
    (f"<{ADDRESS}>", ADDRESS),
    ("07700 900123", None),
    ("call me after six", None),
    ("me@", None),
    ("@example.org", None),
    ("", None),
]


@pytest.mark.parametrize(("contact", "address"), CONTACTS)
def test_the_address_is_found_in_free_text_contact_details(contact, address):
    assert email_in(contact) == address


def _case(contact=ADDRESS, *, state="received", **fields):
    case_type = make_case_type()
    case, token = make_case(
        case_type=case_type,
        state=state,
        answers={"what_happened": SECRET_WORDS},
        reporter_contact=contact,
        with_token=True,
        **fields,
    )
    # Filing and the builder's own steps may have queued news: start from none.
    ReporterNews.objects.filter(case=case).delete()
    return case, token


def _message(case):
    handler = make_handler(case, username=f"h-{case.reference}")
    message_add(case=case, kind=MessageKind.TO_REPORTER, body="Please call us.", author=handler)


def test_a_message_to_the_reporter_sends_only_that_there_is_news(db):
    case, token = _case()
    _message(case)
    news = ReporterNews.objects.get(case=case)
    assert reporter_news_deliver(news.pk) == "sent"
    [email] = mail.outbox
    assert email.to == [ADDRESS]
    assert email.subject == "There is news on your report / Mae newyddion am eich adroddiad"
    html = email.alternatives[0][0]  # type: ignore[attr-defined]
    whole = f"{email.subject}\n{email.body}\n{html}"
    for never in (token, token.replace("-", ""), case.reference, SECRET_WORDS, "Please call us"):
        assert never not in whole
    assert not re.search(r"https?://|href=", whole)  # no link at all
    news.refresh_from_db()
    assert news.delivery == NewsDelivery.SENT and news.emailed_at is not None


def test_a_row_sends_at_most_once(db):
    case, _ = _case()
    _message(case)
    news = ReporterNews.objects.get(case=case)
    assert reporter_news_deliver(news.pk) == "sent"
    assert reporter_news_deliver(news.pk) == "already"  # a task run twice, a second worker
    assert len(mail.outbox) == 1


def test_news_waiting_to_go_takes_in_more_news(db):
    case, _ = _case()
    _message(case)
    _message(case)
    assert ReporterNews.objects.filter(case=case).count() == 1


def test_internal_notes_and_reporter_messages_are_not_news(db):
    case, _ = _case()
    handler = make_handler(case)
    message_add(case=case, kind=MessageKind.INTERNAL_NOTE, body="note", author=handler)
    message_add(case=case, kind=MessageKind.FROM_REPORTER, body="from them")
    assert not ReporterNews.objects.filter(case=case).exists()


def test_without_contact_details_nothing_is_queued(db):
    case, _ = _case(contact="")
    _message(case)
    assert not ReporterNews.objects.filter(case=case).exists()


def test_a_phone_number_only_is_skipped_without_an_email(db):
    case, _ = _case(contact="07700 900123")
    _message(case)
    news = ReporterNews.objects.get(case=case)
    assert reporter_news_deliver(news.pk) == "skipped"
    news.refresh_from_db()
    assert (news.delivery, news.outcome) == (NewsDelivery.SKIPPED, "no_address")
    assert mail.outbox == []


# Written by hand: whistleblowing steps, and whether the reporter sees a new stage.
STEPS = [
    ("received", "acknowledge", True),
    ("acknowledged", "begin_assessment", True),
    ("assessment", "open_investigation", True),
]


@pytest.mark.parametrize(("state", "step", "news"), STEPS)
def test_a_stage_change_the_reporter_sees_is_news(db, state, step, news):
    case, _ = _case(state=state)
    case_transition(case=case, name=step, actor=None, outcome="substantiated", reason="x")
    assert ReporterNews.objects.filter(case=case).exists() is news


def test_a_refusing_mail_server_is_retried_then_failed(db, monkeypatch):
    case, _ = _case()
    _message(case)
    news = ReporterNews.objects.get(case=case)

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("no")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    outcomes = []
    for _ in range(MAX_ATTEMPTS):
        outcomes.append(reporter_news_deliver(news.pk))
        ReporterNews.objects.filter(pk=news.pk).update(next_attempt_at=news.created_at)
    assert outcomes == ["retry"] * (MAX_ATTEMPTS - 1) + ["failed"]
    news.refresh_from_db()
    assert (news.delivery, news.outcome, news.attempts) == ("failed", "smtp", MAX_ATTEMPTS)


def test_the_scan_hands_due_rows_to_tasks_after_its_commit(db, django_capture_on_commit_callbacks):
    case, _ = _case()
    _message(case)
    handed: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        assert reporter_news_scan(handed.append) == 1
    assert handed == [ReporterNews.objects.get(case=case).pk]


@pytest.mark.parametrize("broken", ["1", None, -3, True, {"id": 1}, 1.5])
def test_a_malformed_task_message_is_dropped_not_retried(db, broken):
    send_reporter_news.run(broken)  # returns, raises nothing
    assert mail.outbox == []


def test_a_handlers_message_through_the_page_queues_news(db, sign_in, client):
    case, _ = _case()
    handler = make_handler(case)
    sign_in(handler)
    client.post(f"/staff/cases/{case.pk}/message/", {"kind": "to_reporter", "body": "Hello"})
    assert ReporterNews.objects.filter(case=case, delivery="pending").count() == 1


def test_the_report_form_warns_that_a_work_address_is_seen_by_the_employer(client, db):
    case_type = make_case_type(slug="speak")
    page = client.get(f"/report/{case_type.slug}/").content.decode()
    hint = re.search(r'id="id_contact-hint" class="govuk-hint">([^<]+)<', page).group(1)
    assert "A work email address can be seen by your employer." in hint


def test_a_row_a_dead_worker_left_sending_is_recorded_failed_not_sent_again(db):
    import datetime as dt

    from django.utils import timezone

    case, _ = _case()
    _message(case)
    news = ReporterNews.objects.get(case=case)
    claimed = timezone.now() - dt.timedelta(minutes=11)
    ReporterNews.objects.filter(pk=news.pk).update(delivery="sending", claimed_at=claimed)
    handed: list[int] = []
    assert reporter_news_scan(handed.append) == 0
    news.refresh_from_db()
    assert (news.delivery, news.outcome) == ("failed", "interrupted") and handed == []
    assert reporter_news_deliver(news.pk) == "already" and mail.outbox == []


# --- A confidential reporter's address is sealed with their name (decision 0031) ------------


def _confidential_case(contact):
    from cases.services import Confidential

    case_type = make_case_type(reporting_levels="anonymous_confidential")
    case = make_case(
        case_type=case_type,
        answers={"what_happened": SECRET_WORDS},
        confidential=Confidential(name="Sam Quiet", contact=contact),
    )
    ReporterNews.objects.filter(case=case).delete()
    return case


def test_a_confidential_reporter_hears_there_is_news_at_their_sealed_address(db):
    case = _confidential_case(f"email me at {ADDRESS}")
    assert case_content(case).reporter_contact == ""  # the address is not the case's
    _message(case)
    news = ReporterNews.objects.get(case=case)
    assert reporter_news_deliver(news.pk) == "sent"
    [email] = mail.outbox
    assert email.to == [ADDRESS]
    assert "Sam Quiet" not in f"{email.subject}\n{email.body}"


def test_a_confidential_reporter_with_a_phone_number_only_gets_no_email(db):
    case = _confidential_case("07700 900123")
    _message(case)
    # Queued (whether the sealed details hold an address is decided when sending), not sent.
    news = ReporterNews.objects.get(case=case)
    assert reporter_news_deliver(news.pk) == "skipped"
    news.refresh_from_db()
    assert news.outcome == "no_address"
    assert mail.outbox == []


def test_a_confidential_reporter_without_contact_details_queues_nothing(db):
    case = _confidential_case("")
    assert case.reporter_contact is None
    _message(case)
    assert not ReporterNews.objects.filter(case=case).exists()


def test_an_anonymous_reporter_without_contact_details_queues_nothing(db):
    case, _ = _case(contact="")
    _message(case)
    assert not ReporterNews.objects.filter(case=case).exists()
