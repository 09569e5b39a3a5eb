"""B2 at a tiny scale: both sides run, agree on every number the report shows, and the
report keeps to its fixed number of queries."""

from __future__ import annotations

import pytest

from bench import data
from bench.data import TODAY
from bench.items import Context
from bench.items.b2_trend_report import (
    RULE,
    check_agreement,
    measure,
    raw_counts,
    rollup_counts,
    same_counts,
)
from cases.models import Case, CaseType
from reports.selectors import Period, report_build
from tests.bench.test_data import configuration  # noqa: F401  (autouse: the three case types)

pytestmark = pytest.mark.django_db


def _context() -> Context:
    return Context(scale=Case.objects.count(), vendor="", handler_id=0, handler_cases=0)


@pytest.mark.slow
def test_b2_measures_the_report_against_raw_sql_on_the_same_cases():
    data.skeleton_cases(120, handler_share=0)
    m = measure(_context(), 7)  # 7 rounds of about 18 queries: over the fast pass's budget
    assert len(m.ratios) == 7
    # The report: the case types (once), their outcomes' names (decision 0032), the spans,
    # month by category by stage, unit by named, both durations, deadlines, and the equality
    # monitoring's two (this configuration has no categories or units, whose names would be
    # two more).
    assert m.a_queries == 9
    assert m.b_queries == 6  # one plain GROUP BY per shape of table
    assert set(m.extra) == {"time", "rollups"}
    assert "5 queries" in m.extra["rollups"][1]  # over the rollups: the durations share one


def test_the_sides_disagreeing_stops_the_item():
    data.skeleton_cases(60, handler_share=0)
    period = Period.latest_complete("year", TODAY)
    ids = list(CaseType.objects.values_list("pk", flat=True))
    report = report_build(period=period, case_type_ids=ids, the_rule=RULE)
    counts = raw_counts(period, ids)
    assert same_counts(counts, rollup_counts(period, ids))
    assert check_agreement(report, counts, ids) > 0
    for key, n in counts["received"].items():
        if key[1] == "this" and n >= RULE.threshold:
            counts["received"][key] = n + 5  # one shown number off by a rounding step
            break
    else:
        pytest.fail("no case type received enough cases to show")
    with pytest.raises(AssertionError, match="B2 sides disagree"):
        check_agreement(report, counts, ids)
