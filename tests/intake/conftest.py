import contextlib

import pytest
from django.core.cache import cache

from cases.models import Category, OrganisationalUnit
from ops.cache import CacheUnavailable
from tests.builders import make_case_type


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
