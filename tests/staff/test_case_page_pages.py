"""The case page's messages and the case's timeline come a page at a time: the newest
messages first, only the page decrypted, and the same number of queries for a case with a few
messages and events as for one with many."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import MessageKind
from cases.services import message_add

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    """Pages of 5 messages and 10 timeline entries (20 and 100 in use): the same paging with
    fewer rows to make."""
    import cases.selectors

    monkeypatch.setattr(cases.selectors, "MESSAGES_PER_PAGE", 5)
    monkeypatch.setattr(cases.selectors, "TIMELINE_PER_PAGE", 10)


def _messages(cast, n: int, start: int = 1) -> None:
    for i in range(start, start + n):
        message_add(
            case=cast.case,
            kind=MessageKind.INTERNAL_NOTE,
            body=f"note {i:02d}",
            author=cast.assigned_handler,
        )


def _shown(page) -> list[str]:
    return re.findall(r"note (\d\d)", page.content.decode())


def test_the_case_page_shows_the_latest_messages_and_pages_back(cast, sign_in, client):
    _messages(cast, 12)
    sign_in(cast.assigned_handler)
    url = f"/staff/cases/{cast.case.pk}/"
    latest = client.get(url)
    assert _shown(latest) == ["08", "09", "10", "11", "12"]
    text = latest.content.decode()
    assert "12 messages and notes in all." in text
    assert 'href="?messages=2#messages"' in text and "Earlier messages" in text
    assert "Later messages" not in text
    assert _shown(client.get(f"{url}?messages=2")) == ["03", "04", "05", "06", "07"]
    oldest = client.get(f"{url}?messages=3")
    assert _shown(oldest) == ["01", "02"]
    assert "Earlier messages" not in oldest.content.decode()
    # Not a page number: the latest; past the end: the oldest.
    assert _shown(client.get(f"{url}?messages=x")) == _shown(latest)
    assert _shown(client.get(f"{url}?messages=99")) == _shown(oldest)


def test_only_the_page_of_messages_is_decrypted(cast, sign_in, client, monkeypatch):
    import cases.selectors

    _messages(cast, 12)
    opened = []
    real = cases.selectors._message_view

    def counting(cipher, case, message, **how):
        opened.append(message.pk)
        return real(cipher, case, message, **how)

    monkeypatch.setattr(cases.selectors, "_message_view", counting)
    sign_in(cast.assigned_handler)
    assert client.get(f"/staff/cases/{cast.case.pk}/").status_code == 200
    assert len(opened) == 5


def test_the_timeline_comes_a_page_of_entries_at_a_time(cast, sign_in, client):
    _messages(cast, 12)
    sign_in(cast.assigned_handler)
    url = f"/staff/cases/{cast.case.pk}/history/"
    first = client.get(url)
    entries = first.context["timeline"].items
    total = first.context["timeline"].page.paginator.count
    assert len(entries) == 10 and total > 12
    assert f"Page 1 of 2 ({total} entries)" in first.content.decode()
    assert 'href="?page=2"' in first.content.decode()
    second = client.get(f"{url}?page=2")
    # Opening the timeline again is itself an event, the newest; the two looks at the timeline
    # by the same person on the same day are one entry.
    items = second.context["timeline"].items
    assert len(items) == total + 1 - 10 - 1
    assert items[0].sentence == "handler (handler) added a message (internal_note)."
    assert items[-2].sentence == "handler (handler) viewed the case 2 times."
    assert "Later" not in second.content.decode() and 'href="?page=1"' in second.content.decode()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_case_page_and_timeline_cost_the_same_for_few_and_many_messages(cast, sign_in, client):
    sign_in(cast.assigned_handler)
    page, history = f"/staff/cases/{cast.case.pk}/", f"/staff/cases/{cast.case.pk}/history/"
    _queries(client, page)  # the session's first request does its own work once
    _messages(cast, 3)
    few = (_queries(client, page), _queries(client, history))
    _messages(cast, 20, start=4)
    assert (_queries(client, page), _queries(client, history)) == few
