"""After its purge, a case's marker is nowhere in a full ``pg_dump`` of the database: not in
clear, not in hex (how a dump writes ``bytea``), not in base64 at any alignment."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection

from retention.purge import purge_due_cases
from tests.dbdump import encodings_of
from tests.retention.conftest import marked_case


def base64_forms(secret: bytes) -> set[bytes]:
    """The secret's base64 as it reads inside a longer encoded value, whatever the number of
    bytes before it: for each of the three alignments, the characters that depend on the
    secret's bits alone (standard and URL-safe alphabets)."""
    forms: set[bytes] = set()
    length = len(secret) * 4 // 3 - 2
    for before in range(3):
        skip = (4 * before + 2) // 3  # characters that also hold bits of the bytes before
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            forms.add(encode(b"\0" * before + secret + b"\0\0\0")[skip : skip + length])
    return forms


def forms_of(marker: str) -> dict[str, set[bytes]]:
    raw = marker.encode()
    return {
        "plain": {raw, raw.lower(), marker.encode("utf-16-le")},
        "hex": {raw.hex().encode(), raw.hex().upper().encode()},
        "base64": base64_forms(raw),
    }


def test_the_base64_forms_are_found_inside_longer_values_at_every_alignment():
    secret = b"QZX-0123456789ab"
    for before in (b"", b"a", b"ab", b"abc", b"abcd"):
        encoded = base64.b64encode(before + secret + b"tail")
        assert any(form in encoded for form in base64_forms(secret)), before
    assert not any(
        form in base64.b64encode(b"QZX-0123X56789ab" * 3) for form in base64_forms(secret)
    )


def pg_dump() -> bytes:
    """A plain-text dump of the whole test database (schema and every row), as the
    application's role, which may read every table."""
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(settings["PASSWORD"] or "")}
    command = [
        str(shutil.which("pg_dump")),
        "--format=plain",
        "--no-owner",
        "--host",
        str(settings["HOST"] or "127.0.0.1"),
        "--port",
        str(settings["PORT"] or 5432),
        "--username",
        str(settings["USER"]),
        str(settings["NAME"]),
    ]
    return subprocess.run(command, env=env, capture_output=True, check=True).stdout


def found_in(dump: bytes, marker: str) -> set[str]:
    return {name for name, forms in forms_of(marker).items() if any(f in dump for f in forms)}


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs PostgreSQL's pg_dump")
@pytest.mark.django_db(transaction=True)  # committed rows: pg_dump reads from its own session
def test_a_purged_cases_marker_is_absent_from_a_full_database_dump(after_retention):
    marker = f"QZX{secrets.token_hex(6).upper()}"  # its own, so no other test's rows match
    case = marked_case(tag=marker)
    # What a leak would look like, so the dump before the purge shows each form: the marker's
    # bytes in clear in a bytea column (dumped as hex) and its base64 in a text column, both
    # on rows the purge must remove. The fixture's admin log row holds it in plain text.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET redacted_answers = %s WHERE id = %s",
            [b"\x00\x01" + marker.encode() + b"\x02", case.pk],
        )
    LogEntry.objects.filter(object_id=str(case.pk)).update(
        change_message=base64.b64encode(b"x" + marker.encode()).decode()
    )
    before = pg_dump()
    assert b"PostgreSQL database dump" in before
    assert found_in(before, marker) == {"plain", "hex", "base64"}

    assert purge_due_cases(today=after_retention).purged == 1

    after = pg_dump()
    assert str(case.pk).encode() in after  # the stub is dumped: it is the same database
    assert found_in(after, marker) == set()
    assert not any(form in after for form in encodings_of(marker))  # base32 and the rest
