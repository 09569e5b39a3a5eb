"""After a whole reporter journey, with a marker address and user agent, neither marker nor
the token appears in any table, log record or stored file, nor inside anything encrypted; and
everything the reporter caused is dated to the day. The journey goes on after the case is
closed, to the check-in after closure, answered "yes" with a message."""

import datetime as dt
import io
import logging
import re

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
from tests.builders import STEP_DATA, make_handler, path_to
from tests.dbdump import dump_values, encodings_of
from tests.intake.conftest import answers
from workflows.services import case_transition

MARKER_IP = "203.0.113.77"
MARKER_UA = "MarkerBrowser/9.9 (anonymity-test)"
CLIENT = {
    "REMOTE_ADDR": MARKER_IP,
    "HTTP_X_FORWARDED_FOR": MARKER_IP,
    "HTTP_USER_AGENT": MARKER_UA,
}
STAFF_MESSAGE = "Thank you."
CHECKIN_MESSAGE = "I was moved off the project."


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

    # A handler closes the case the next morning; what that writes is staff work, kept apart.
    before = _history_rows(case)
    whistleblowing.checkin_after_weeks = 2
    whistleblowing.save(update_fields=["checkin_after_weeks"])
    with time_machine.travel(afternoon + dt.timedelta(hours=18, minutes=25), tick=False):
        handler = make_handler(case, "journey-handler")
        for step in path_to("whistleblowing", "closed"):
            case = case_transition(case=case, name=step, actor=handler, **STEP_DATA)
    staff_rows = _history_rows(case) - before

    # Two weeks after closing, the reporter answers the check-in: "yes", with a message.
    with time_machine.travel(afternoon + dt.timedelta(weeks=2, days=1), tick=False):
        client.post("/follow-up/", {"token": token}, **CLIENT)
        page = client.get("/follow-up/case/", **CLIENT).content.decode()
        assert "has anyone treated you worse" in page
        form_key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
        assert client.get("/follow-up/check-in/", **CLIENT).status_code == 200
        answered = client.post(
            "/follow-up/check-in/",
            {"answer": "yes", "message": CHECKIN_MESSAGE, "form_key": form_key},
            **CLIENT,
        )
        assert answered.status_code == 200
        client.post("/follow-up/sign-out/", {"form_key": form_key}, **CLIENT)
    case = Case.objects.get(pk=case.pk)
    assert case.checkin_answer == "yes" and case.attention_since is not None
    return case, token, caplog.records, staff_rows


def _history_models():
    for model in apps.get_models():
        if not model.__name__.startswith("Historical"):
            continue
        fields = {f.name for f in model._meta.fields}
        if "case" in fields or model._meta.label == "cases.HistoricalCase":
            yield model, "case" in fields


def _history_of(case, model, by_case):
    manager = model._default_manager
    return manager.filter(case=case) if by_case else manager.filter(id=case.pk)


def _history_rows(case) -> set[tuple[str, int]]:
    """Every history row about ``case``, as (model, history id)."""
    return {
        (model.__name__, row.history_id)
        for model, by_case in _history_models()
        for row in _history_of(case, model, by_case)
    }


def _needles(token: str) -> set[bytes]:
    return {MARKER_IP.encode(), MARKER_UA.encode(), b"MarkerBrowser"} | encodings_of(
        token.replace("-", "")
    )


@pytest.mark.slow  # a whole journey, then every table, log line and file read back
def test_no_address_user_agent_or_token_is_kept_anywhere(journey, _evidence_dir):
    _, token, records, _ = journey
    needles = _needles(token)
    in_tables = [table for table, value in dump_values() for n in needles if n in value]
    assert in_tables == []
    logged = "\n".join(
        f"{r.getMessage()} {r.args!r} {getattr(r, 'request', '')!r}" for r in records
    ).encode()
    assert [n for n in needles if n in logged] == []
    stored = b"".join(p.read_bytes() for p in _evidence_dir.rglob("*") if p.is_file())
    assert stored and [n for n in needles if n in stored] == []


@pytest.mark.slow  # the whole journey, on to the check-in after closure
def test_nothing_encrypted_holds_them_either(journey):
    case, token, _, _ = journey
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
    assert CHECKIN_MESSAGE in opened
    assert {"notes.txt", "more.txt"} <= set(opened) and b"My notes\n" in files
    plaintext = "\n".join(opened).encode() + b"".join(files)
    assert [n for n in needles if n in plaintext] == []


def _is_midnight(moment: dt.datetime) -> bool:
    return timezone.localtime(moment).time() == dt.time(0, 0)


@pytest.mark.slow  # the whole journey, on to the check-in after closure
def test_everything_the_reporter_caused_is_dated_to_the_day(journey):
    case, _, _, staff_rows = journey
    # Events: the staff member's message and the handler's steps have an actor; the rest are
    # the reporter's (sending, files, views, the reply, the check-in and its message).
    reporter_events = CaseEvent.objects.filter(case=case, actor__isnull=True)
    codes = sorted(e.code for e in reporter_events)
    assert codes == sorted(
        [
            "case.created",
            "evidence.attached",
            "evidence.attached",
            "case.viewed_by_reporter",
            "message.added",
            "case.viewed_by_reporter",
            "case.viewed_by_reporter",
            "case.checkin_answered",
            "message.added",
        ]
    ), codes
    assert [e.code for e in reporter_events if not _is_midnight(e.at)] == []
    staff_events = CaseEvent.objects.filter(case=case, actor__isnull=False)
    # The test would notice a lost time of day.
    assert staff_events and [e.code for e in staff_events if _is_midnight(e.at)] == []
    # The case row's check-in marks are days.
    assert case.checkin_answered_on == case.reopened_by_checkin_on == case.attention_since

    # History rows of the case: every one is the reporter's except the staff message's and
    # those of the handler's steps.
    staff_message = case.messages.get(kind=MessageKind.TO_REPORTER)
    assert staff_rows
    undated = []
    checked = 0
    for model, by_case in _history_models():
        for row in _history_of(case, model, by_case):
            if getattr(row, "id", None) == staff_message.pk:
                continue
            if (model.__name__, row.history_id) in staff_rows:
                continue
            checked += 1
            if not _is_midnight(row.history_date):
                undated.append((model.__name__, row.history_type, row.history_date))
    assert undated == []
    # The case, its two files, its clock, the reporter's message, the check-in's case row
    # and its message at least.
    assert checked >= 7
