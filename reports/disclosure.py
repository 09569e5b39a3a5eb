"""Disclosure control: the only way a count leaves ``reports/``.

Every table a report publishes goes through ``publish``, which applies four rules in order
(decision 0022):

1. **Primary suppression.** A cell or total below the threshold (5 by default; it may be set
   higher, in steps of 5, never lower) is not shown. Zero counts as small: it is hidden too.
2. **Secondary suppression.** While any hidden number could be worked out exactly from the
   numbers shown and the row, column and grand totals (a linear equation with one unknown,
   found from the null space of the table's equations), the smallest shown cell in the same
   row or column is hidden as well, or the total when nothing else is left.
3. **Rounding.** Every number shown is rounded to the nearest 5. Two reports one filter apart
   (the organisation and one unit, this type and that) can then never be subtracted to get an
   exact small number: each shown number stands for a range of five.
4. **Fixed filters.** The filters a report takes are fixed (case type, a whole calendar month,
   quarter or year, one organisational unit or all); units too small to show are merged into
   "Other units" before any of the above (``merge_small``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

ROUNDING_BASE = 5
DEFAULT_THRESHOLD = 5
OTHER = "Other units"


class RuleError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    threshold: int = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        if self.threshold < DEFAULT_THRESHOLD or self.threshold % ROUNDING_BASE:
            raise RuleError(
                f"The report threshold must be {DEFAULT_THRESHOLD} or more, in steps of "
                f"{ROUNDING_BASE} (got {self.threshold})."
            )

    @property
    def words(self) -> str:
        """The rule in plain words, printed on every report."""
        return (
            f"To protect the people who report, numbers below {self.threshold} are not shown "
            f"(shown as [c]), nor are other numbers from which a hidden one could be worked "
            f"out. Every number shown is rounded to the nearest {ROUNDING_BASE}, so totals may "
            f"differ from the sum of their parts. Units with fewer than {self.threshold} "
            f"cases are counted together as “{OTHER}”."
        )


def rule() -> Rule:
    """The organisation's rule (``SPEAKUP_REPORT_THRESHOLD``); refuses a lower threshold."""
    return Rule(int(getattr(settings, "SPEAKUP_REPORT_THRESHOLD", DEFAULT_THRESHOLD)))


@dataclass(frozen=True)
class Table:
    """True counts: ``cells[row][column]``. Never leaves ``reports/`` unpublished."""

    title: str
    rows: list[str]
    columns: list[str]
    cells: list[list[int]]


@dataclass
class Published:
    """What a report shows: rounded numbers, ``None`` where a number is hidden."""

    title: str
    rows: list[str]
    columns: list[str]
    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None
    hidden: int = field(default=0)

    @property
    def nothing_to_show(self) -> bool:
        return all(v is None for row in self.cells for v in row)


def round_to_base(value: int) -> int:
    return ROUNDING_BASE * ((value + ROUNDING_BASE // 2) // ROUNDING_BASE)


def _determined(n_rows: int, n_cols: int, hidden: np.ndarray) -> list[int]:
    """Indices of hidden unknowns that the table's equations fix exactly.

    Unknowns are numbered cells first (row-major), then row totals, column totals and the
    grand total. Equations: each row sums to its total, each column to its total, and the row
    totals and the column totals each sum to the grand total. An unknown is fixed when it is
    untouched by every vector of the equations' null space (restricted to the unknowns)."""
    size = n_rows * n_cols + n_rows + n_cols + 1
    equations = np.zeros((n_rows + n_cols + 2, size))
    for r in range(n_rows):
        equations[r, r * n_cols : (r + 1) * n_cols] = 1
        equations[r, n_rows * n_cols + r] = -1
    for c in range(n_cols):
        equations[n_rows + c, [r * n_cols + c for r in range(n_rows)]] = 1
        equations[n_rows + c, n_rows * n_cols + n_rows + c] = -1
    equations[n_rows + n_cols, n_rows * n_cols : n_rows * n_cols + n_rows] = 1
    equations[n_rows + n_cols + 1, n_rows * n_cols + n_rows : size - 1] = 1
    equations[n_rows + n_cols : n_rows + n_cols + 2, size - 1] = -1
    unknown = np.flatnonzero(hidden)
    if unknown.size == 0:
        return []
    a = equations[:, unknown]
    _, s, vt = np.linalg.svd(a)
    rank = int((s > 1e-9).sum())
    null = vt[rank:]
    free = np.abs(null).max(axis=0) > 1e-9 if null.size else np.zeros(unknown.size, bool)
    return [int(unknown[i]) for i in range(unknown.size) if not free[i]]


def publish(table: Table, the_rule: Rule | None = None, *, totals: bool = True) -> Published:
    """Apply the rule to ``table`` (see the module's docstring). ``totals=False`` publishes
    no totals at all, so none can give a hidden cell away."""
    the_rule = the_rule or rule()
    t = the_rule.threshold
    n_rows, n_cols = len(table.rows), len(table.columns)
    cells = np.array(table.cells, dtype=int).reshape(n_rows, n_cols)
    values = np.concatenate(
        [cells.ravel(), cells.sum(axis=1), cells.sum(axis=0), [int(cells.sum())]]
    )
    hidden = values < t
    n_cells = n_rows * n_cols
    if not totals:
        hidden[n_cells:] = True
    while True:
        # Hidden cells are protected, and totals that are small in themselves; a total of
        # shown cells (or one hidden only for the cells' sake) gives nothing away.
        fixed = [i for i in _determined(n_rows, n_cols, hidden) if i < n_cells or values[i] < t]
        if not fixed or hidden.all():
            break  # nothing left to hide (an empty table's totals are zero by definition)
        hidden[
            _widen(_most_exposed(fixed, n_rows, n_cols, hidden), n_rows, n_cols, values, hidden)
        ] = True

    def shown(i: int) -> int | None:
        return None if hidden[i] else round_to_base(int(values[i]))

    return Published(
        title=table.title,
        rows=list(table.rows),
        columns=list(table.columns),
        cells=[[shown(r * n_cols + c) for c in range(n_cols)] for r in range(n_rows)],
        row_totals=[shown(n_cells + r) for r in range(n_rows)],
        column_totals=[shown(n_cells + n_rows + c) for c in range(n_cols)],
        total=shown(n_cells + n_rows + n_cols),
        hidden=int(hidden[:n_cells].sum()),
    )


def _most_exposed(fixed: list[int], n_rows: int, n_cols: int, hidden: np.ndarray) -> int:
    """The fixed cell to cover first: one alone among the hidden cells of its row or column
    (the line that gives it away), else the first."""
    for index in fixed:
        if index < n_rows * n_cols:
            r, c = divmod(index, n_cols)
            in_row = sum(bool(hidden[r * n_cols + k]) for k in range(n_cols))
            in_column = sum(bool(hidden[k * n_cols + c]) for k in range(n_rows))
            if in_row == 1 or in_column == 1:
                return index
    return fixed[0]


def _widen(index: int, n_rows: int, n_cols: int, values: np.ndarray, hidden: np.ndarray) -> int:
    """Which number to hide next so that the hidden number ``index`` is no longer fixed: the
    smallest shown cell in its row or column (of the row or column it totals), else a total."""
    n_cells = n_rows * n_cols
    if index < n_cells:
        r, c = divmod(index, n_cols)
        lines = [[r * n_cols + k for k in range(n_cols)], [k * n_cols + c for k in range(n_rows)]]
        # A line where it is the only hidden cell gives it away: widen that line first.
        alone = [line for line in lines if sum(bool(hidden[i]) for i in line) == 1]
        lines = alone or lines
    elif index < n_cells + n_rows:
        r = index - n_cells
        lines = [[r * n_cols + k for k in range(n_cols)]]
    elif index < n_cells + n_rows + n_cols:
        c = index - n_cells - n_rows
        lines = [[k * n_cols + c for k in range(n_rows)]]
    else:
        lines = []
    candidates = [i for line in lines for i in line if not hidden[i]]
    if candidates:
        # Prefer a cell whose other line already hides a number: it closes a rectangle of
        # hidden cells, which no total can open, and hides least.
        def cost(i: int) -> tuple[bool, int, int]:
            r, c = divmod(i, n_cols)
            if index < n_cells and r == index // n_cols:  # same row: look down its column
                other = sum(bool(hidden[k * n_cols + c]) for k in range(n_rows))
            else:  # same column (or a total's line): look along its row
                other = sum(bool(hidden[r * n_cols + k]) for k in range(n_cols))
            return (other == 0, int(values[i]), i)

        return min(candidates, key=cost)
    totals = [i for i in range(n_cells, len(values)) if not hidden[i]]
    if totals:
        return min(totals, key=lambda i: (values[i], i))
    return next(i for i in range(len(values)) if not hidden[i])


def merge_small(counts: dict[str, int], the_rule: Rule | None = None) -> dict[str, str]:
    """Which label each unit is reported under: its own, or "Other units" when it has fewer
    cases than the threshold in the report (its total over the whole table)."""
    t = (the_rule or rule()).threshold
    return {name: (name if n >= t else OTHER) for name, n in counts.items()}


def grouped(labels: Sequence[str], mapping: dict[str, str]) -> list[str]:
    """The labels after merging, in order, "Other units" last and once."""
    out = [mapping[label] for label in labels if mapping[label] != OTHER]
    if any(mapping[label] == OTHER for label in labels):
        out.append(OTHER)
    return list(dict.fromkeys(out))
