"""The reporter's follow-up page shows the conversation a page at a time, newest page first
(as the handlers read it), each page oldest first: a long investigation's messages neither
fill one page nor are all decrypted on every visit. Internal notes are on no page and in no
count. Through the reporter's real pages, English and Welsh."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from cases.models import Case, MessageKind
from cases.services import message_add
from tests.intake.test_journey import _send, _token

pytestmark = pytest.mark.django_db

PAGE = "/follow-up/case/"


def _conversation(client, whistleblowing) -> None:
    """Signed in to the follow-up page of a case with 45 messages (numbered 1 to 45 in the
    order written, a handler's and a reporter's in turn) and an internal note after every
    fifth."""
    token = _token(_send(client, whistleblowing))
    case = Case.objects.get()
    handler = User.objects.create_user("handler-paged")
    for n in range(1, 46):
        if n % 2:
            message_add(case=case, kind=MessageKind.TO_REPORTER, body=f"M{n:02d}.", author=handler)
        else:
            message_add(case=case, kind=MessageKind.FROM_REPORTER, body=f"M{n:02d}.")
        if n % 5 == 0:
            message_add(
                case=case, kind=MessageKind.INTERNAL_NOTE, body=f"NOTE{n:02d}.", author=handler
            )
    assert client.post("/follow-up/", {"token": token}).status_code == 302


def _form_key(client, page: str) -> str:
    text = client.get(PAGE, {"messages": page}).content.decode()
    return re.search(r'name="form_key" value="([^"]+)"', text).group(1)


def _shown(text: str) -> list[int]:
    return [int(n) for n in re.findall(r'<p class="govuk-body">M(\d\d)\.</p>', text)]


# (the page asked for, the messages shown by hand, earlier link, later link)
PAGES = [
    (None, list(range(26, 46)), "?messages=2#messages", None),
    ("1", list(range(26, 46)), "?messages=2#messages", None),
    ("2", list(range(6, 26)), "?messages=3#messages", "?messages=1#messages"),
    ("3", list(range(1, 6)), None, "?messages=2#messages"),
    ("99", list(range(1, 6)), None, "?messages=2#messages"),  # past the end: the last
    ("abc", list(range(26, 46)), "?messages=2#messages", None),  # not a number: the first
    ("-1", list(range(1, 6)), None, "?messages=2#messages"),
]


@pytest.mark.parametrize(("page", "shown", "earlier", "later"), PAGES)
def test_the_messages_come_a_page_at_a_time_newest_page_first(
    client, whistleblowing, page, shown, earlier, later
):
    _conversation(client, whistleblowing)
    answer = client.get(PAGE, {"messages": page} if page is not None else {})
    text = answer.content.decode()
    assert answer.status_code == 200
    assert _shown(text) == shown
    assert "NOTE" not in text  # internal notes: on no page
    assert "45 messages in all." in text  # and in no count
    assert ("These are the latest." in text) is (shown[-1] == 45)
    earlier_link = re.search(r'href="([^"]+)" rel="prev"', text)
    later_link = re.search(r'href="([^"]+)" rel="next"', text)
    assert (earlier_link.group(1) if earlier_link else None) == earlier
    assert (later_link.group(1) if later_link else None) == later
    assert '<nav class="govuk-pagination" aria-label="Messages">' in text


def test_a_short_conversation_has_no_pages(client, whistleblowing):
    token = _token(_send(client, whistleblowing))
    message_add(case=Case.objects.get(), kind=MessageKind.FROM_REPORTER, body="M01.")
    client.post("/follow-up/", {"token": token})
    text = client.get(PAGE).content.decode()
    assert _shown(text) == [1]
    assert "govuk-pagination" not in text and "in all." not in text


def test_a_message_sent_shows_at_the_end_of_the_first_page(client, whistleblowing):
    _conversation(client, whistleblowing)
    sent = client.post("/follow-up/reply/", {"form_key": _form_key(client, "3"), "body": "M46."})
    assert sent.status_code == 302
    after = client.get(sent["Location"]).content.decode()
    assert _shown(after) == list(range(27, 47))
    assert "46 messages in all." in after


def test_a_reply_refused_shows_the_latest_page_beside_the_form(client, whistleblowing):
    _conversation(client, whistleblowing)
    text = client.get(PAGE, {"messages": "2"}).content.decode()
    form_key = re.search(r'name="form_key" value="([^"]+)"', text).group(1)
    refused = client.post("/follow-up/reply/?messages=2", {"form_key": form_key, "body": "   "})
    assert refused.status_code == 400
    assert _shown(refused.content.decode()) == list(range(26, 46))


def test_the_pages_are_in_welsh_on_welsh_pages(client, whistleblowing):
    _conversation(client, whistleblowing)
    text = client.get("/cy" + PAGE, {"messages": "2"}).content.decode()
    assert _shown(text) == list(range(6, 26))
    assert "45 neges i gyd." in text and "Tudalen 2 o 3, y mwyaf newydd yn gyntaf" in text
    assert "Negeseuon cynharach" in text and "Negeseuon diweddarach" in text
    assert 'href="?messages=3#messages"' in text
