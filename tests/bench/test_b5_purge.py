"""B5 at a tiny scale on whatever database the tests use: it runs, both sides do the same
work, and its further targets are reported (so CI notices if the item breaks)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from bench.items import Context
from bench.items.b5_purge import measure
from cases.models import Case, Evidence
from retention.models import DeletionRecord
from tests.builders import make_case_type


@pytest.mark.slow
@pytest.mark.django_db
def test_b5_purges_every_batch_it_made_and_the_raw_side_deletes_the_same_rows(settings):
    make_case_type(slug="trends", workflow="trend_only", retention_days=365)
    get_user_model().objects.create(username="handler").groups.add(
        Group.objects.get_or_create(name="Handler")[0]
    )
    context = Context(scale=100, vendor=connection.vendor, handler_id=0, handler_cases=0)
    m = measure(context, 7, n=6)
    assert m.item == "B5" and len(m.ratios) == 7
    assert m.a_queries > 0 and m.b_queries > 0
    assert set(m.extra) == {"rate", "memory"}
    assert "cases/s" in m.extra["rate"][1]
    # Written by hand: 2 to check the sides agree, (7 rounds + warm-up, query count and peak)
    # per side, one smaller batch for the memory check; 6 cases each but the smaller's.
    purge_runs = 1 + 7 + 3
    raw_runs = 1 + 7 + 3
    assert DeletionRecord.objects.count() == 6 * purge_runs + 6
    stubs = Case.objects.filter(token_digest__isnull=True).count()
    assert stubs == 6 * (purge_runs + raw_runs) + 6
    assert Evidence.objects.count() == 0  # every batch made was taken
