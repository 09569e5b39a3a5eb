"""An address over its report limit is refused before its files are cleaned (the costly part),
and a refused file gives its count back."""

import io

from cases.models import Case
from intake.throttle import Limit
from tests.intake.conftest import SEND, answers


def _upload(name: str, content: bytes) -> io.BytesIO:
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def test_over_the_limit_nothing_is_cleaned_and_a_refused_file_costs_no_report(
    client, whistleblowing, monkeypatch
):
    monkeypatch.setattr("intake.throttle.REPORTS_PER_HOUR", Limit("report-hour-test", 1, 3600))
    cleaned = []
    from intake.files import clean_evidence as real_clean

    def counting(*args, **kwargs):
        cleaned.append(kwargs.get("declared_name"))
        return real_clean(*args, **kwargs)

    monkeypatch.setattr("intake.views.clean_evidence", counting)

    refused = client.post(
        SEND, {**answers(whistleblowing), "evidence": _upload("page.html", b"<html></html>")}
    )
    assert refused.status_code == 400
    accepted = client.post(
        SEND,
        {
            **answers(whistleblowing, submission_key="b" * 32),
            "evidence": _upload("notes.txt", b"Notes\n"),
        },
    )
    assert accepted.status_code == 200 and Case.objects.count() == 1
    cleaned.clear()
    over = client.post(
        SEND,
        {
            **answers(whistleblowing, submission_key="c" * 32),
            "evidence": _upload("more.txt", b"More\n"),
        },
    )
    assert over.status_code == 429
    assert cleaned == []  # refused before any file was read
    assert Case.objects.count() == 1
