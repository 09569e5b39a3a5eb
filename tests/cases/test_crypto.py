import io
import json
import os
import uuid

import pytest
from django.db import connection

from cases.crypto import CHUNK_BYTES, NONCE_BYTES, CaseCipher, data_key_generate
from cases.exceptions import CaseDataUnreadable
from cases.keys import case_cipher
from cases.models import Case, CaseEvent, Evidence, Message, MessageKind, SealedField
from cases.selectors import (
    case_content,
    case_revisions,
    evidence_name,
    evidence_read,
    message_list_for_case,
    message_revisions,
)
from cases.services import EvidenceRejected, evidence_attach, message_add
from tests.builders import make_case
from tests.dbdump import dump_values

MARKER = "MARKER-7f3a9c-Höllo"


def _sealed_columns():
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, SealedField):
                yield model, field


def _raw(model, field, pk):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {field.column} FROM {model._meta.db_table} WHERE {model._meta.pk.column} = %s",  # noqa: S608
            [model._meta.pk.get_db_prep_value(pk, connection)],
        )
        return bytes(cursor.fetchone()[0])


def _write_raw(model, field, pk, value):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {field} = %s WHERE {model._meta.pk.column} = %s",  # noqa: S608
            [value, model._meta.pk.get_db_prep_value(pk, connection)],
        )


@pytest.mark.django_db
def test_no_column_anywhere_contains_a_marker_written_into_a_case(staff_user):
    case = make_case(answers={"what_happened": MARKER, "people": MARKER}, reporter_contact=MARKER)
    message_add(case=case, kind=MessageKind.FROM_REPORTER, body=MARKER)
    message_add(case=case, kind=MessageKind.INTERNAL_NOTE, body=MARKER, author=staff_user)
    evidence_attach(
        case=case,
        source=io.BytesIO(MARKER.encode()),
        original_name=MARKER,
        content_type="text/plain",
    )
    # Every kind of sealed column was exercised.
    assert {(m.__name__, f.name) for m, f in _sealed_columns()} >= {
        ("Case", "answers"),
        ("Message", "body"),
        ("Evidence", "original_name"),
    }
    needles = {MARKER.encode(), MARKER.encode("utf-16-le"), MARKER.encode().hex().encode()}
    assert [t for t, value in dump_values() for n in needles if n in value] == []
    # And the content is still there for someone with the key.
    assert case_content(case).answers["what_happened"] == MARKER


@pytest.mark.django_db
def test_ciphertext_copied_to_another_case_fails():
    first = make_case(answers={"what_happened": "first"})
    second = make_case(answers={"what_happened": "second"})
    _write_raw(Case, "answers", second.pk, _raw(Case, Case._meta.get_field("answers"), first.pk))
    with pytest.raises(CaseDataUnreadable):
        case_content(Case.objects.get(pk=second.pk))


@pytest.mark.django_db
def test_ciphertext_copied_to_another_field_of_the_same_case_fails():
    case = make_case(answers={"what_happened": "x"}, reporter_contact="call me")
    answers = _raw(Case, Case._meta.get_field("answers"), case.pk)
    _write_raw(Case, "reporter_contact", case.pk, answers)
    with pytest.raises(CaseDataUnreadable):
        case_content(Case.objects.get(pk=case.pk))


@pytest.mark.django_db
def test_ciphertext_copied_to_another_row_of_the_same_case_fails(staff_user):
    case = make_case()
    one = message_add(case=case, kind=MessageKind.TO_REPORTER, body="one", author=staff_user)
    two = message_add(case=case, kind=MessageKind.TO_REPORTER, body="two", author=staff_user)
    _write_raw(Message, "body", two.pk, _raw(Message, Message._meta.get_field("body"), one.pk))
    with pytest.raises(CaseDataUnreadable):
        message_list_for_case(case, include_internal=True)


@pytest.mark.django_db
@pytest.mark.parametrize("position", [0, 1, NONCE_BYTES, NONCE_BYTES + 2, -1])
def test_a_flipped_byte_raises_and_is_audited(position):
    case = make_case(answers={"what_happened": "original"})
    sealed = bytearray(_raw(Case, Case._meta.get_field("answers"), case.pk))
    sealed[position] ^= 0x01
    _write_raw(Case, "answers", case.pk, bytes(sealed))
    with pytest.raises(CaseDataUnreadable) as raised:
        case_content(Case.objects.get(pk=case.pk))
    assert "integrity check" in raised.value.message
    event = CaseEvent.objects.filter(case=case, code="case.data_unreadable").get()
    assert event.payload == {"field": "cases.case.answers"}


@pytest.mark.parametrize("sealed", [b"", b"\x01", b"\x02" + b"\x00" * 40])
def test_short_or_unknown_version_ciphertext_raises(sealed):
    cipher = CaseCipher(case_id=uuid.uuid4(), data_key=data_key_generate())
    with pytest.raises(CaseDataUnreadable):
        cipher.open(sealed, model_label="cases.case", field="answers", row_id=cipher.case_id)


@pytest.mark.slow
def test_one_hundred_thousand_encryptions_repeat_no_nonce_under_one_key():
    cipher = CaseCipher(case_id=uuid.uuid4(), data_key=data_key_generate())
    nonces = {
        cipher.seal(b"x", model_label="cases.case", field="answers", row_id=cipher.case_id)[
            1 : 1 + NONCE_BYTES
        ]
        for _ in range(100_000)
    }
    assert len(nonces) == 100_000


def test_data_keys_are_fresh_per_case():
    assert len({data_key_generate() for _ in range(1000)}) == 1000


@pytest.mark.django_db
def test_history_rows_of_a_live_case_still_decrypt(staff_user):
    case = make_case(state="assessment", answers={"what_happened": "first version"})
    message = message_add(case=case, kind=MessageKind.TO_REPORTER, body="hello", author=staff_user)
    revisions = case_revisions(case)
    assert len(revisions) >= 3  # created, then two transitions
    assert {r.values["answers"]["what_happened"] for r in revisions} == {"first version"}
    assert message_revisions(message) == ["hello"]


# --- evidence files ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 7]
)
def test_evidence_round_trips_through_encryption(case, size, _evidence_dir):
    content = os.urandom(size)
    evidence = evidence_attach(
        case=case, source=io.BytesIO(content), original_name="../../etc/passwd", content_type="x/y"
    )
    assert evidence.size == size
    assert b"".join(evidence_read(evidence)) == content
    assert evidence_name(evidence) == "../../etc/passwd"
    stored = list(_evidence_dir.rglob("*"))
    files = [p for p in stored if p.is_file()]
    assert [p.name for p in files] == [evidence.stored_name]
    assert "passwd" not in str(files[0])
    if size >= 16:
        assert content[:16] not in files[0].read_bytes()


def _attach(case, content: bytes):
    return evidence_attach(
        case=case, source=io.BytesIO(content), original_name="f", content_type="x/y"
    )


def _stored_file(evidence):
    from cases.services import evidence_path

    return evidence_path(evidence.stored_name)


@pytest.mark.django_db
def test_a_tampered_evidence_chunk_raises(case):
    evidence = _attach(case, b"a" * (2 * CHUNK_BYTES))
    path = _stored_file(evidence)
    data = bytearray(path.read_bytes())
    data[CHUNK_BYTES + 100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CaseDataUnreadable):
        b"".join(evidence_read(Evidence.objects.get(pk=evidence.pk)))
    assert CaseEvent.objects.filter(case=case, code="case.data_unreadable").count() == 1


@pytest.mark.django_db
def test_a_truncated_evidence_file_raises(case):
    evidence = _attach(case, b"a" * (2 * CHUNK_BYTES))
    path = _stored_file(evidence)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - (CHUNK_BYTES + 16)])  # drop the last chunk exactly
    with pytest.raises(CaseDataUnreadable):
        b"".join(evidence_read(evidence))


@pytest.mark.django_db
def test_an_evidence_file_swapped_with_another_fails(case):
    one, two = _attach(case, b"one"), _attach(case, b"two")
    _stored_file(two).write_bytes(_stored_file(one).read_bytes())
    with pytest.raises(CaseDataUnreadable):
        b"".join(evidence_read(two))


@pytest.mark.django_db
def test_an_oversized_file_is_refused_and_leaves_nothing(case, settings, _evidence_dir):
    settings.SPEAKUP_EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(EvidenceRejected):
        evidence_attach(
            case=case, source=io.BytesIO(b"a" * 5000), original_name="big", content_type="x/y"
        )
    assert not Evidence.objects.exists()
    assert [p for p in _evidence_dir.rglob("*") if p.is_file()] == []


@pytest.mark.django_db
def test_a_failed_database_write_removes_the_stored_file(case, _evidence_dir, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("cases.services.event_record", fail)
    with pytest.raises(RuntimeError):
        evidence_attach(case=case, source=io.BytesIO(b"abc"), original_name="f", content_type="x/y")
    assert not Evidence.objects.exists()
    assert [p for p in _evidence_dir.rglob("*") if p.is_file()] == []


def test_stream_cipher_needs_the_right_case():
    key = data_key_generate()
    file_id = uuid.uuid4()
    sink = io.BytesIO()
    CaseCipher(case_id=uuid.uuid4(), data_key=key).seal_stream(
        io.BytesIO(b"secret"), sink, file_id=file_id
    )
    other = CaseCipher(case_id=uuid.uuid4(), data_key=key)
    with pytest.raises(CaseDataUnreadable):
        list(other.open_stream(io.BytesIO(sink.getvalue()), file_id=file_id))


@pytest.mark.django_db
def test_sealed_answers_are_json_of_what_was_given(case):
    cipher = case_cipher(case.pk)
    raw = cipher.open(case.answers, model_label="cases.case", field="answers", row_id=case.pk)
    assert json.loads(raw) == {"what_happened": "Something happened."}
