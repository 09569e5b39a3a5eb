"""External investigators see what a handler shared, nothing more
(docs/decisions/0024-investigator-sharing.md): a marker placed in every unshared message,
note and file name is absent from every page and download they receive; shared items appear,
as their redacted copies where given; forged ids get the recorded not-found; each share and
unshare is one audit event with identifiers only; handlers see all of it as before."""

from __future__ import annotations

import io
import re

import pytest

from cases.models import CaseEvent, Message, MessageKind, SharedItem
from cases.services import evidence_attach, message_add
from permissions.models import AccessRefusal
from tests.builders import make_case
from tests.staff.test_idor import _normalise

# Written by hand. What only handlers may ever see of the fixture's case...
UNSHARED = {
    "reporter message": "QZUNSHAREDFROMREP",
    "message to the reporter": "QZUNSHAREDTOREP",
    "handler's note": "QZUNSHAREDNOTE",
    "file name": "QZUNSHAREDFILE",
    "original of a redacted message": "QZORIGINALMSG",
    "original of a redacted file name": "QZORIGINALNAME",
}
# ... and what the investigator is shown.
SHARED = {
    "reporter message as written": "QZSHAREDPLAIN",
    "redacted copy of a message": "QZREDACTEDCOPY",
    "handler's note as written": "QZSHAREDNOTE",
    "file name as it is": "QZSHAREDFILE",
    "redacted file name": "QZREDACTEDNAME",
    "the investigator's own note": "QZOWNNOTE",
}


def _message(cast, kind, body):
    author = None if kind == MessageKind.FROM_REPORTER else cast.assigned_handler
    return message_add(case=cast.case, kind=kind, body=body, author=author)


def _file(cast, name, content=b"file content"):
    return evidence_attach(
        case=cast.case,
        source=io.BytesIO(content),
        original_name=name,
        content_type="text/plain",
        added_by=cast.assigned_handler,
    )


@pytest.fixture
def shared(cast, sign_in, client):
    """The cast's case with unshared and shared items, shared by the handler through the
    page, and a note the investigator wrote through the page."""
    _message(cast, MessageKind.FROM_REPORTER, f"{UNSHARED['reporter message']} said")
    _message(cast, MessageKind.TO_REPORTER, f"{UNSHARED['message to the reporter']} asked")
    _message(cast, MessageKind.INTERNAL_NOTE, f"{UNSHARED["handler's note"]} noted")
    plain = _message(cast, MessageKind.FROM_REPORTER, f"{SHARED['reporter message as written']}")
    secret = _message(
        cast, MessageKind.FROM_REPORTER, f"{UNSHARED['original of a redacted message']} named"
    )
    note = _message(cast, MessageKind.INTERNAL_NOTE, f"{SHARED["handler's note as written"]}")
    unshared_file = _file(cast, f"{UNSHARED['file name']}.txt", b"unshared content")
    plain_file = _file(cast, f"{SHARED['file name as it is']}.txt")
    secret_file = _file(cast, f"{UNSHARED['original of a redacted file name']}.txt")
    base = f"/staff/cases/{cast.case.pk}"
    sign_in(cast.assigned_handler)
    for message, redacted in ((plain, ""), (secret, SHARED["redacted copy of a message"])):
        answer = client.post(f"{base}/messages/{message.pk}/share/", {"redacted": redacted})
        assert answer.status_code == 302
    client.post(f"{base}/messages/{note.pk}/share/", {"redacted": ""})
    client.post(f"{base}/evidence/{plain_file.pk}/share/", {"redacted": ""})
    client.post(
        f"{base}/evidence/{secret_file.pk}/share/",
        {"redacted": f"{SHARED['redacted file name']}.txt"},
    )
    sign_in(cast.external_investigator)
    own = client.post(
        f"{base}/message/",
        {"kind": "internal_note", "body": f"{SHARED["the investigator's own note"]} found"},
    )
    assert own.status_code == 302
    return type(
        "Shared",
        (),
        {
            "base": base,
            "unshared_message": Message.objects.get(case=cast.case, kind="to_reporter"),
            "unshared_note": note,
            "secret": secret,
            "unshared_file": unshared_file,
            "secret_file": secret_file,
            "plain_file": plain_file,
        },
    )


def _received(client, base):
    """Everything an investigator's browser receives from the case's pages: the case page,
    every page of its messages, the timeline, and each file the page links to (its name in
    the download header and its content)."""
    page = client.get(f"{base}/").content.decode()
    received = [page]
    for number in (1, 2, 99):
        received.append(client.get(f"{base}/?messages={number}").content.decode())
    received.append(client.get(f"{base}/history/").content.decode())
    links = set(re.findall(rf'href="({re.escape(base)}/evidence/[^"]+/)"', page))
    for link in sorted(links):
        download = client.get(link)
        assert download.status_code == 200, link
        received.append(download["Content-Disposition"])
        received.append(b"".join(download.streaming_content).decode())
    return "\n".join(received), links


# Over the slow-test guard's budget on a busy machine (1.0 to 1.3 s of CPU): every page or
# case of the matrix in one test, so it waits for pass 2 (PostgreSQL).
@pytest.mark.slow
def test_an_investigators_pages_hold_no_unshared_marker_and_every_shared_one(
    cast, shared, sign_in, client
):
    sign_in(cast.external_investigator)
    received, links = _received(client, shared.base)
    leaked = {what for what, marker in UNSHARED.items() if marker in received}
    assert leaked == set()
    missing = {what for what, marker in SHARED.items() if marker not in received}
    assert missing == set()
    assert len(links) == 2  # the two shared files, and not the third
    assert "unshared content" not in received
    # The redacted file downloads under its redacted name.
    download = client.get(f"{shared.base}/evidence/{shared.secret_file.pk}/")
    assert SHARED["redacted file name"] in download["Content-Disposition"]


def test_the_handler_still_sees_everything(cast, shared, sign_in, client):
    sign_in(cast.assigned_handler)
    page = client.get(f"{shared.base}/").content.decode()
    missing = {what for what, marker in {**UNSHARED, **SHARED}.items() if marker not in page}
    assert missing == set()
    assert page.count("Stop sharing") == 5  # three messages, two files
    assert "Shared as a redacted copy" in page
    download = client.get(f"{shared.base}/evidence/{shared.unshared_file.pk}/")
    assert download.status_code == 200
    assert UNSHARED["file name"] in download["Content-Disposition"]


def _refusals(user, action):
    return AccessRefusal.objects.filter(actor=user, action=action).count()


# Over the slow-test guard's budget on a busy machine (1.0 to 1.3 s of CPU): every page or
# case of the matrix in one test, so it waits for pass 2 (PostgreSQL).
@pytest.mark.slow
def test_forged_ids_of_unshared_items_get_not_found_and_a_recorded_refusal(
    cast, shared, sign_in, client
):
    investigator = cast.external_investigator
    sign_in(investigator)
    client.get(f"{shared.base}/")  # shows (and so clears) the banner of the note they added
    unshared = client.get(f"{shared.base}/evidence/{shared.unshared_file.pk}/")
    missing = client.get(f"{shared.base}/evidence/{shared.unshared_file.pk.hex[::-1]}/")
    assert unshared.status_code == missing.status_code == 404
    assert _normalise(unshared.content) == _normalise(missing.content)
    assert _refusals(investigator, "download") == 2
    for path, action in (
        (f"messages/{shared.unshared_message.pk}/share/", "share"),
        (f"messages/{shared.unshared_note.pk}/unshare/", "unshare"),
        (f"evidence/{shared.unshared_file.pk}/share/", "share"),
        (f"evidence/{shared.secret_file.pk}/unshare/", "unshare"),
    ):
        before = _refusals(investigator, action)
        answer = client.post(f"{shared.base}/{path}", {"redacted": ""})
        assert answer.status_code == 404, path
        assert _refusals(investigator, action) == before + 1, path
    assert SharedItem.objects.filter(case=cast.case).count() == 5


def test_a_handler_naming_an_item_of_another_case_gets_not_found(cast, sign_in, client):
    other = make_case(case_type=cast.case_type)
    foreign = message_add(case=other, kind=MessageKind.FROM_REPORTER, body="elsewhere")
    sign_in(cast.assigned_handler)
    base = f"/staff/cases/{cast.case.pk}"
    for path in (f"messages/{foreign.pk}/share/", "messages/not-an-id/share/"):
        assert client.post(f"{base}/{path}", {"redacted": ""}).status_code == 404
    assert _refusals(cast.assigned_handler, "share") == 2
    assert not SharedItem.objects.exists()


def test_sharing_and_unsharing_write_one_event_each_with_identifiers_only(cast, sign_in, client):
    note = _message(cast, MessageKind.INTERNAL_NOTE, "QZNOTEBODY")
    item = _file(cast, "QZFILENAME.txt")
    base = f"/staff/cases/{cast.case.pk}"
    sign_in(cast.assigned_handler)

    def events(code):
        return list(CaseEvent.objects.filter(case=cast.case, code=code).order_by("id"))

    client.post(f"{base}/messages/{note.pk}/share/", {"redacted": "QZREDACTED"})
    client.post(f"{base}/evidence/{item.pk}/share/", {"redacted": ""})
    assert [e.payload for e in events("case.item_shared")] == [
        {"item": "note", "id": str(note.pk), "redacted": True},
        {"item": "file", "id": str(item.pk), "redacted": False},
    ]
    assert all(e.actor == cast.assigned_handler for e in events("case.item_shared"))
    client.post(f"{base}/messages/{note.pk}/unshare/")
    client.post(f"{base}/messages/{note.pk}/unshare/")  # no longer shared: nothing happens
    client.post(f"{base}/evidence/{item.pk}/unshare/")
    assert [e.payload for e in events("case.item_unshared")] == [
        {"item": "note", "id": str(note.pk)},
        {"item": "file", "id": str(item.pk)},
    ]
    assert not SharedItem.objects.exists()
    every_payload = str(list(CaseEvent.objects.values_list("payload", flat=True)))
    assert "QZ" not in every_payload
    timeline = client.get(f"{base}/history/").content.decode()
    assert "shared a note with the investigators" in timeline
    assert "stopped sharing a file with the investigators" in timeline


def test_the_redacted_copy_is_sealed_with_the_cases_key_and_kept_in_history(cast):
    from workflows.services import case_record_share

    note = _message(cast, MessageKind.INTERNAL_NOTE, "a note")
    share = case_record_share(
        case=cast.case, actor=cast.assigned_handler, message=note, redacted="QZSEALEDCOPY"
    )
    stored = bytes(SharedItem.objects.get(pk=share.pk).redacted)
    assert b"QZSEALEDCOPY" not in stored and len(stored) > len("QZSEALEDCOPY")
    assert share.history.count() == 1


@pytest.mark.parametrize(
    ("what", "post", "message"),
    [
        ("messages", {"redacted": "x" * 20_001}, "at most 20,000 characters"),
        ("evidence", {"redacted": "x" * 256}, "at most 255 characters"),
    ],
)
def test_a_redacted_copy_too_long_gets_a_message_and_shares_nothing(
    cast, sign_in, client, what, post, message
):
    target = (
        _message(cast, MessageKind.FROM_REPORTER, "words")
        if what == "messages"
        else _file(cast, "name.txt")
    )
    sign_in(cast.assigned_handler)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/{what}/{target.pk}/share/", post, follow=True
    )
    assert message in answer.content.decode()
    assert not SharedItem.objects.exists()
    assert not CaseEvent.objects.filter(code="case.item_shared").exists()


@pytest.mark.parametrize("path", ["messages/{m}/share/", "evidence/{e}/unshare/"])
def test_the_sharing_urls_take_posts_only(cast, sign_in, client, path):
    note = _message(cast, MessageKind.INTERNAL_NOTE, "a note")
    item = _file(cast, "name.txt")
    sign_in(cast.assigned_handler)
    url = f"/staff/cases/{cast.case.pk}/" + path.format(m=note.pk, e=item.pk)
    assert client.get(url).status_code == 405


def test_an_investigator_may_not_write_to_the_reporter(cast, sign_in, client):
    sign_in(cast.external_investigator)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/message/", {"kind": "to_reporter", "body": "Hello"}
    )
    assert answer.status_code == 404
    assert _refusals(cast.external_investigator, "message") == 1
    assert not Message.objects.filter(case=cast.case).exists()


@pytest.mark.parametrize("step", ["acknowledge", "mark_not_in_scope", "withdraw"])
def test_an_investigator_may_not_take_a_step_that_is_not_theirs(cast, sign_in, client, step):
    sign_in(cast.external_investigator)
    answer = client.post(
        f"/staff/cases/{cast.case.pk}/step/",
        {"step": step, "expected_state": "received", "reason": "Because."},
        follow=True,
    )
    assert "Your role does not allow this step." in answer.content.decode()
    cast.case.refresh_from_db()
    assert cast.case.state == "received"
    refused = CaseEvent.objects.get(case=cast.case, code="case.transition_refused")
    assert refused.payload == {"transition": step, "reason": "role"}
    assert refused.actor == cast.external_investigator


def test_shared_items_are_never_changed_in_bulk_around_their_history(cast):
    from cases.exceptions import HistoryBypassError

    with pytest.raises(HistoryBypassError):
        SharedItem.objects.update(redacted=None)
