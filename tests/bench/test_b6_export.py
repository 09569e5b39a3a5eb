"""B6 at a tiny scale: both sides write the same CSV of every case, the export through the real
view (streamed, gate, audit record); the grants made for the item are gone afterwards."""

from __future__ import annotations

import pytest
from django.db import connection

from bench.data import granted_handler
from bench.items import Context
from bench.items.b6_export import _raw, measure
from permissions.models import CaseUserPermission, StaffEvent
from tests.builders import make_case

pytestmark = pytest.mark.django_db


def test_b6_exports_every_case_through_the_view_and_matches_raw_sql():
    cases = [make_case() for _ in range(5)]
    context = Context(scale=5, vendor=connection.vendor, handler_id=0, handler_cases=0)
    m = measure(context, 7)  # raises if the two CSVs differ
    assert m.title == "CSV export of every case over HTTP, streamed (5 rows)"
    assert len(m.ratios) == 7 and m.a_queries > m.b_queries == 2
    assert set(m.extra) == {"memory"}
    # Warm-up, 7 rounds, the check, the query count, the peak; and the quarter's peak.
    assert StaffEvent.objects.filter(code="cases.exported").count() == 12
    assert not CaseUserPermission.objects.filter(user__username__startswith="bench-").exists()
    assert len(cases) == 5


def test_the_raw_side_writes_the_csv_a_handler_downloads(cast, sign_in, client):
    """The baseline's CSV is byte for byte the view's, for a user with a case and a category."""
    import hashlib

    exporter = granted_handler("bench-exporter", 1)
    sign_in(exporter)
    body = client.get("/staff/cases/export.csv").getvalue()
    assert cast.case.reference.encode() in body
    assert _raw(exporter.pk) == hashlib.sha256(body).hexdigest()
