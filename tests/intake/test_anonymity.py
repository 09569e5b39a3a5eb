"""After a whole reporter journey, with a marker address and user agent, neither marker nor
the token appears in any table, log record or stored file."""

import io
import logging
import re

from cases.models import Case, MessageKind
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


def test_no_address_user_agent_or_token_is_kept_anywhere(
    client, whistleblowing, staff_user, caplog, _evidence_dir
):
    caplog.set_level(logging.DEBUG)
    client.get("/", **CLIENT)
    client.post("/report/whistleblowing/", answers(whistleblowing), **CLIENT)
    upload = io.BytesIO(b"My notes about the invoices\n")
    upload.name = "notes.txt"
    sent = client.post(
        "/report/whistleblowing/send/", {**answers(whistleblowing), "evidence": upload}, **CLIENT
    )
    token = re.search(rb'id="token">([0-9A-Z-]+)<', sent.content).group(1).decode()
    message_add(
        case=Case.objects.get(), kind=MessageKind.TO_REPORTER, body="Thank you.", author=staff_user
    )
    client.post("/follow-up/", {"token": "wrong-token"}, **CLIENT)
    client.post("/follow-up/", {"token": token}, **CLIENT)
    page = client.get("/follow-up/case/", **CLIENT).content.decode()
    form_key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    client.post("/follow-up/reply/", {"body": "More detail.", "form_key": form_key}, **CLIENT)
    client.post("/follow-up/sign-out/", {"form_key": form_key}, **CLIENT)

    needles = {MARKER_IP.encode(), MARKER_UA.encode(), b"MarkerBrowser"} | encodings_of(
        token.replace("-", "")
    )
    in_tables = [table for table, value in dump_values() for n in needles if n in value]
    assert in_tables == []
    logged = "\n".join(
        f"{r.getMessage()} {r.args!r} {getattr(r, 'request', '')!r}" for r in caplog.records
    ).encode()
    assert [n for n in needles if n in logged] == []
    stored = b"".join(p.read_bytes() for p in _evidence_dir.rglob("*") if p.is_file())
    assert stored and [n for n in needles if n in stored] == []
