import contextlib
import io
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation

from cases.models import Category, OrganisationalUnit
from ops.cache import CacheUnavailable
from tests.builders import make_case_type


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request to /cy/ leaves Welsh active in this thread (the test client runs the view
    here, and LocaleMiddleware sets the language per request, never back): put English back,
    so that a later test calling a function directly is not answered in Welsh."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    with contextlib.suppress(CacheUnavailable):  # a test may have left the cache down
        cache.clear()


def _open_whistleblowing():
    case_type = make_case_type(slug="whistleblowing", name="Whistleblowing")
    Category.objects.create(case_type=case_type, slug="fraud", name="Fraud")
    OrganisationalUnit.objects.create(slug="finance", name="Finance")
    return case_type


@pytest.fixture
def whistleblowing(db):
    return _open_whistleblowing()


@pytest.fixture
def whistleblowing_committed(transactional_db):
    """The same, for tests whose transactions really commit (faults around a commit)."""
    return _open_whistleblowing()


def answers(case_type, **overrides):
    """A complete, valid report form for ``case_type``."""
    data = {
        "what_happened": "Invoices are approved without checks.",
        "when": "last-month",
        "where": str(OrganisationalUnit.objects.first().pk),
        "category": str(case_type.categories.first().pk),
        "people_involved": "",
        "not_to_handle": "",
        "identity": "anonymous",
        "name": "",
        "contact": "",
        "submission_key": "k" * 32,
    }
    data.update(overrides)
    return data


SEND = "/report/whistleblowing/send/"
FORMS = ("report", "follow-up")


def _file(name: str, content: bytes) -> io.BytesIO:
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def upload_through(client, case_type, form: str, *files: tuple[str, bytes]):
    """Sends ``files`` as a reporter would: with a new report ("report"), or added later on
    the follow-up page of a report sent without them ("follow-up"). Returns the response
    to the post that carried the files."""
    uploads = [_file(name, content) for name, content in files]
    if form == "report":
        return client.post(SEND, {**answers(case_type), "evidence": uploads})
    sent = client.post(SEND, answers(case_type, submission_key="f" * 32))
    token = re.search(rb'id="token">([0-9A-Z-]+)<', sent.content).group(1).decode()
    client.post("/follow-up/", {"token": token})
    page = client.get("/follow-up/case/").content.decode()
    form_key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    return client.post("/follow-up/evidence/", {"form_key": form_key, "evidence": uploads})


def stored_files(folder: Path) -> list[Path]:
    """Every file under the evidence folder (none of them plaintext)."""
    return sorted(path for path in folder.rglob("*") if path.is_file())
