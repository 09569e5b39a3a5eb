"""B8 at a tiny scale: the case page through the gate against the same page after a plain
assignment check, for cases with few and more events; the same queries for each; the grants
made for the item are gone afterwards."""

from __future__ import annotations

import pytest
from django.db import connection

from bench.items import Context, b8_case_page
from cases.models import CaseEvent
from permissions.models import CaseUserPermission
from tests.builders import make_case_type

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_b8_measures_the_gate_and_history_on_top_of_the_same_page(monkeypatch):
    make_case_type(name="Speak up")
    monkeypatch.setattr(b8_case_page, "SIZES", (1, 4))
    context = Context(scale=0, vendor=connection.vendor, handler_id=0, handler_cases=0)
    m = b8_case_page.measure(context, 7)
    # Filed, four notes; then a view recorded per run of the gate side before the count.
    assert m.title == "case page with the gate and its history, 5 events"
    assert m.a_queries > m.b_queries  # the gate's read and the event it writes
    assert set(m.extra) == {"1 messages"}
    assert m.extra["1 messages"][1].endswith(f"{m.a_queries} queries")
    assert CaseEvent.objects.filter(code="case.viewed").count() == 2 * (1 + 7 + 2)
    assert not CaseUserPermission.objects.filter(user__username="bench-case-page").exists()
