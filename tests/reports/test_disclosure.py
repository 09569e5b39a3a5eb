"""Disclosure control: hand tables, then properties over random case tables.

The checks here work the attacker's side independently of ``reports.disclosure``: exact
rational elimination over the published numbers (taken as exact, which is more than the
rounding lets anyone know), and interval arithmetic over two reports one filter apart.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.disclosure import (
    OTHER,
    Published,
    Rule,
    RuleError,
    Table,
    grouped,
    merge_small,
    publish,
    round_to_base,
)

FIVE = Rule(5)


def test_a_table_with_one_small_cell_hides_a_second_one_in_its_row_and_column():
    table = Table("t", ["a", "b"], ["x", "y", "z"], [[3, 20, 30], [40, 50, 60]])
    out = publish(table, FIVE)
    # 3 is small; column x's total would give it back, so 40 goes too; row a's total would
    # then give 3 back, so 20 goes; column y then needs a second hidden cell: 50. Totals stay,
    # rounded (53 -> 55, 43 -> 45, 203 -> 205).
    assert out.cells == [[None, None, 30], [None, None, 60]]
    assert out.row_totals == [55, 150]
    assert out.column_totals == [45, 70, 90]
    assert out.total == 205
    assert out.hidden == 4


def test_numbers_shown_are_rounded_to_the_nearest_five():
    assert [round_to_base(n) for n in (5, 7, 8, 12, 13, 100)] == [5, 5, 10, 10, 15, 100]


def test_a_table_of_small_numbers_has_nothing_to_show():
    out = publish(Table("t", ["a"], ["x", "y"], [[1, 2]]), FIVE)
    assert out.nothing_to_show
    assert out.total is None


def test_the_threshold_can_be_raised_in_steps_of_five_but_never_lowered():
    assert Rule(10).threshold == 10
    for bad in (4, 0, 7, -5):
        with pytest.raises(RuleError):
            Rule(bad)
    assert "below 10" in Rule(10).words


def test_the_rule_comes_from_settings(settings):
    from reports.disclosure import rule

    settings.SPEAKUP_REPORT_THRESHOLD = 15
    assert rule().threshold == 15
    settings.SPEAKUP_REPORT_THRESHOLD = 3
    with pytest.raises(RuleError):
        rule()


def test_small_units_are_merged_into_other_units():
    mapping = merge_small({"North": 12, "South": 2, "East": 4}, FIVE)
    assert mapping == {"North": "North", "South": OTHER, "East": OTHER}
    assert grouped(["East", "North", "South"], mapping) == ["North", OTHER]


# --- The attacker's side ------------------------------------------------------------------


def _fixed_unknowns(out: Published, truth: Table) -> list[tuple[str, int]]:
    """Hidden numbers that the shown numbers and the totals' equations fix exactly, found by
    exact Gaussian elimination (shown numbers taken at their true value)."""
    n_rows, n_cols = len(truth.rows), len(truth.columns)
    names: list[tuple[str, int]] = [
        ("cell", r * n_cols + c) for r in range(n_rows) for c in range(n_cols)
    ]
    names += [("row", r) for r in range(n_rows)] + [("col", c) for c in range(n_cols)]
    names += [("total", 0)]
    shown = [out.cells[r][c] for r in range(n_rows) for c in range(n_cols)]
    shown += out.row_totals + out.column_totals + [out.total]
    index = {name: i for i, name in enumerate(names)}
    equations: list[list[Fraction]] = []

    def eq(plus: list[tuple[str, int]], minus: list[tuple[str, int]]) -> None:
        row = [Fraction(0)] * len(names)
        for name in plus:
            row[index[name]] += 1
        for name in minus:
            row[index[name]] -= 1
        equations.append(row)

    for r in range(n_rows):
        eq([("cell", r * n_cols + c) for c in range(n_cols)], [("row", r)])
    for c in range(n_cols):
        eq([("cell", r * n_cols + c) for r in range(n_rows)], [("col", c)])
    eq([("row", r) for r in range(n_rows)], [("total", 0)])
    eq([("col", c) for c in range(n_cols)], [("total", 0)])
    unknown = [i for i, v in enumerate(shown) if v is None]
    matrix = [[row[i] for i in unknown] for row in equations]
    # Reduced row echelon form; an unknown is fixed when some row has it as its only entry.
    pivot_row = 0
    for col in range(len(unknown)):
        pivot = next((r for r in range(pivot_row, len(matrix)) if matrix[r][col] != 0), None)
        if pivot is None:
            continue
        matrix[pivot_row], matrix[pivot] = matrix[pivot], matrix[pivot_row]
        lead = matrix[pivot_row][col]
        matrix[pivot_row] = [v / lead for v in matrix[pivot_row]]
        for r in range(len(matrix)):
            if r != pivot_row and matrix[r][col] != 0:
                factor = matrix[r][col]
                matrix[r] = [
                    a - factor * b for a, b in zip(matrix[r], matrix[pivot_row], strict=True)
                ]
        pivot_row += 1
    return [
        names[unknown[col]]
        for row in matrix
        for col in [next((i for i, v in enumerate(row) if v != 0), None)]
        if col is not None and sum(1 for v in row if v != 0) == 1
    ]


def _interval(shown: int | None, threshold: int) -> tuple[int, float]:
    """What a reader knows of a true number from what is shown."""
    if shown is None:
        return 0, float("inf")
    if shown % 5:  # not rounded: the reader knows it exactly
        return shown, shown
    return max(shown - 2, threshold), shown + 2


small = st.integers(0, 6) | st.integers(0, 40)


@st.composite
def case_tables(draw):
    """A random list of cases: (unit, row, column)."""
    n_rows, n_cols, n_units = (
        draw(st.integers(1, 4)),
        draw(st.integers(1, 4)),
        draw(st.integers(1, 3)),
    )
    cases = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_units - 1), st.integers(0, n_rows - 1), st.integers(0, n_cols - 1)
            ),
            max_size=120,
        )
    )
    threshold = draw(st.sampled_from([5, 5, 10]))
    return n_rows, n_cols, n_units, cases, Rule(threshold), draw(st.booleans())


def _table(n_rows: int, n_cols: int, cases, unit: int | None = None) -> Table:
    counts = Counter((r, c) for u, r, c in cases if unit is None or u == unit)
    return Table(
        "t",
        [f"r{r}" for r in range(n_rows)],
        [f"c{c}" for c in range(n_cols)],
        [[counts[(r, c)] for c in range(n_cols)] for r in range(n_rows)],
    )


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(case_tables())
def test_no_published_number_is_small_and_no_hidden_one_can_be_worked_out(drawn):
    n_rows, n_cols, n_units, cases, the_rule, totals = drawn
    for unit in [None, *range(n_units)]:
        truth = _table(n_rows, n_cols, cases, unit)
        out = publish(truth, the_rule, totals=totals)
        shown = [v for row in out.cells for v in row] + out.row_totals + out.column_totals
        shown.append(out.total)
        for value in shown:
            assert value is None or (value >= the_rule.threshold and value % 5 == 0)
        small_totals = {
            ("row", r) for r, row in enumerate(truth.cells) if sum(row) < the_rule.threshold
        }
        small_totals |= {
            ("col", c)
            for c in range(n_cols)
            if sum(row[c] for row in truth.cells) < the_rule.threshold
        }
        if sum(map(sum, truth.cells)) < the_rule.threshold:
            small_totals.add(("total", 0))
        exposed = [
            name
            for name in _fixed_unknowns(out, truth)
            if name[0] == "cell" or name in small_totals
        ]
        assert exposed == []


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(case_tables())
def test_two_reports_one_filter_apart_never_give_away_a_small_difference(drawn):
    """The organisation's report against one unit's: every small number of cases outside
    the unit (1 to threshold - 1, in a cell or a total) stays uncertain."""
    n_rows, n_cols, n_units, cases, the_rule, totals = drawn
    t = the_rule.threshold
    whole = _table(n_rows, n_cols, cases)
    whole_out = publish(whole, the_rule, totals=totals)
    for unit in range(n_units):
        part = _table(n_rows, n_cols, cases, unit)
        part_out = publish(part, the_rule, totals=totals)
        pairs = [
            (whole.cells[r][c], part.cells[r][c], whole_out.cells[r][c], part_out.cells[r][c])
            for r in range(n_rows)
            for c in range(n_cols)
        ]
        pairs.append(
            (sum(map(sum, whole.cells)), sum(map(sum, part.cells)), whole_out.total, part_out.total)
        )
        for a, b, shown_a, shown_b in pairs:
            if not 0 < a - b < t:
                continue
            lo_a, hi_a = _interval(shown_a, t)
            lo_b, hi_b = _interval(shown_b, t)
            lo, hi = max(lo_a - hi_b, 0), hi_a - lo_b
            assert hi - lo >= 1, (a, b, shown_a, shown_b)
