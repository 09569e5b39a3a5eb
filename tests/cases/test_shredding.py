import io

import pytest

from cases.exceptions import CaseKeyDestroyed
from cases.keys import data_key_destroy
from cases.models import Case, DataKey, Evidence, MessageKind
from cases.selectors import (
    case_content,
    case_revisions,
    evidence_read,
    message_list_for_case,
    message_revisions,
)
from cases.services import evidence_attach, message_add
from tests.builders import make_case
from tests.dbdump import dump_values


@pytest.mark.django_db
def test_after_its_data_key_is_deleted_no_content_of_a_case_can_be_decrypted(staff_user):
    case = make_case(state="assessment", answers={"what_happened": "x"}, reporter_contact="me")
    other = make_case(answers={"what_happened": "untouched"})
    message = message_add(case=case, kind=MessageKind.TO_REPORTER, body="hi", author=staff_user)
    evidence = evidence_attach(
        case=case, source=io.BytesIO(b"file"), original_name="f", content_type="x/y"
    )

    wrapped = bytes(DataKey.objects.get(case_id=case.pk).wrapped)

    assert data_key_destroy(case_id=case.pk) is True

    # The only copy of the data key is gone: no table holds it, history tables included.
    assert [table for table, value in dump_values() if wrapped in value] == []

    case = Case.objects.get(pk=case.pk)
    for read in (
        lambda: case_content(case),
        lambda: case_revisions(case),
        lambda: message_list_for_case(case, include_internal=True),
        lambda: message_revisions(message),
        lambda: b"".join(evidence_read(Evidence.objects.get(pk=evidence.pk))),
    ):
        with pytest.raises(CaseKeyDestroyed):
            read()
    # History rows still exist (retention deletes them) but are ciphertext only.
    assert case.history.count() >= 3
    # Other cases are untouched.
    assert case_content(other).answers == {"what_happened": "untouched"}
    assert data_key_destroy(case_id=case.pk) is False
