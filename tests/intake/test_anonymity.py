"""After a whole reporter journey, with a marker address and user agent, neither marker nor
the token appears in any table, log record or stored file, nor inside anything encrypted; and
everything the reporter caused is dated to the day."""

import datetime as dt
import io
import logging
import re
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from cases.keys import case_cipher
from cases.models import Case, CaseEvent, MessageKind
from cases.selectors import (
    case_content,
    evidence_list_for_case,
    evidence_read,
    message_list_for_case,
)
from cases.services import message_add
from tests.dbdump import dump_values, encodings_of
from tests.intake.conftest import answers

MARKER_IP = "203.0.113.77"
MARKER_UA = "MarkerBrowser/9.9 (anonymity-test)"
CLIENT = {
    "REMOTE_ADDR": MARKER_IP,
    "HTTP_X_FORWARDED_FOR": MARKER_IP,
    "HTTP_USER_AGENT": MARKER_UA,
}
STAFF_MESSAGE = "Thank you."


def _upload(name: str, content: bytes):
    upload = io.BytesIO(content)
    upload.name = name
    return upload


@pytest.fixture
def journey(client, whistleblowing, staff_user, caplog):
    """A whole reporter journey from the marker client, at 15:47 local time; returns the case,
    the token and the log records."""
    caplog.set_level(logging.DEBUG)
    import time_machine

    afternoon = dt.datetime(2026, 11, 24, 15, 47, 13, tzinfo=timezone.get_current_timezone())

    with time_machine.travel(afternoon, tick=False):
        client.get("/", **CLIENT)
        client.post("/report/whistleblowing/", answers(whistleblowing), **CLIENT)
        sent = client.post(
            "/report/whistleblowing/send/",
            {**answers(whistleblowing), "evidence": _upload("notes.txt", b"My notes\n")},
            **CLIENT,
        )
        token = re.search(rb'id="token">([0-9A-Z-]+)<', sent.content).group(1).decode()
        client.post("/your-token/", {"kept": "yes"}, **CLIENT)
        case = Case.objects.get()
        message_add(case=case, kind=MessageKind.TO_REPORTER, body=STAFF_MESSAGE, author=staff_user)
        client.post("/follow-up/", {"token": "wrong-token"}, **CLIENT)
        client.post("/follow-up/", {"token": token}, **CLIENT)
        page = client.get("/follow-up/case/", **CLIENT).content.decode()
        form_key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
        client.post("/follow-up/reply/", {"body": "More detail.", "form_key": form_key}, **CLIENT)
        client.post(
            "/follow-up/evidence/",
            {"form_key": form_key, "evidence": _upload("more.txt", b"More notes\n")},
            **CLIENT,
        )
        client.post("/follow-up/sign-out/", {"form_key": form_key}, **CLIENT)
    return case, token, caplog.records


def _needles(token: str) -> set[bytes]:
    return {MARKER_IP.encode(), MARKER_UA.encode(), b"MarkerBrowser"} | encodings_of(
        token.replace("-", "")
    )


@pytest.mark.slow  # a whole journey, then every table, log line and file read back
def test_no_address_user_agent_or_token_is_kept_anywhere(journey, _evidence_dir):
    _, token, records = journey
    needles = _needles(token)
    in_tables = [table for table, value in dump_values() for n in needles if n in value]
    assert in_tables == []
    logged = "\n".join(
        f"{r.getMessage()} {r.args!r} {getattr(r, 'request', '')!r}" for r in records
    ).encode()
    assert [n for n in needles if n in logged] == []
    stored = b"".join(p.read_bytes() for p in _evidence_dir.rglob("*") if p.is_file())
    assert stored and [n for n in needles if n in stored] == []


def test_nothing_encrypted_holds_them_either(journey):
    case, token, _ = journey
    needles = _needles(token)
    content = case_content(case)
    opened = [
        *content.answers.values(),
        content.reporter_contact or "",
        *(m.body for m in message_list_for_case(case, include_internal=True)),
        *(name for _, name in evidence_list_for_case(case)),
    ]
    files = [b"".join(evidence_read(evidence)) for evidence, _ in evidence_list_for_case(case)]
    # Every earlier version too: each history row of the case holds its own sealed answers.
    cipher = case_cipher(case.pk)
    for version in case.history.all():
        opened.append(
            cipher.open(
                bytes(version.answers), model_label="cases.case", field="answers", row_id=case.pk
            ).decode()
        )
    # The decryption worked: the reporter's own words and files are there.
    assert "Invoices are approved without checks." in opened
    assert {"notes.txt", "more.txt"} <= set(opened) and b"My notes\n" in files
    plaintext = "\n".join(opened).encode() + b"".join(files)
    assert [n for n in needles if n in plaintext] == []


def _is_midnight(moment: dt.datetime) -> bool:
    return timezone.localtime(moment).time() == dt.time(0, 0)


def test_everything_the_reporter_caused_is_dated_to_the_day(journey):
    case, _, _ = journey
    # Events: the staff member's message is the only one with an actor; the rest are the
    # reporter's (sending, files, views, the reply).
    reporter_events = CaseEvent.objects.filter(case=case, actor__isnull=True)
    codes = sorted(e.code for e in reporter_events)
    assert codes == sorted(
        [
            "case.created",
            "evidence.attached",
            "evidence.attached",
            "case.viewed_by_reporter",
            "message.added",
        ]
    ), codes
    assert [e.code for e in reporter_events if not _is_midnight(e.at)] == []
    staff_event = CaseEvent.objects.get(case=case, actor__isnull=False)
    assert not _is_midnight(staff_event.at)  # the test would notice a lost time of day

    # History rows of the case: every one is the reporter's except the staff message's.
    staff_message = case.messages.get(kind=MessageKind.TO_REPORTER)
    undated = []
    checked = 0
    for model in apps.get_models():
        if not model.__name__.startswith("Historical"):
            continue
        fields = {f.name for f in model._meta.fields}
        rows: Any
        if "case" in fields:
            rows = model._default_manager.filter(case=case)
        elif model._meta.label == "cases.HistoricalCase":
            rows = model._default_manager.filter(id=case.pk)
        else:
            continue
        for row in rows:
            if getattr(row, "id", None) == staff_message.pk:
                continue
            checked += 1
            if not _is_midnight(row.history_date):
                undated.append((model.__name__, row.history_type, row.history_date))
    assert undated == []
    # The case, its two files, its clock and the reporter's message at least.
    assert checked >= 5
