"""Database functions the domain apps share, written for both databases."""

from __future__ import annotations

from typing import Any

from django.db.models import Func, IntegerField


class DaysBetween(Func):
    """Whole days from the first date to the second, in SQL on both databases."""

    output_field = IntegerField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        first, second = self.source_expressions
        lhs, lp = compiler.compile(second)
        rhs, rp = compiler.compile(first)
        return f"(({lhs})::date - ({rhs})::date)", (*lp, *rp)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        first, second = self.source_expressions
        lhs, lp = compiler.compile(second)
        rhs, rp = compiler.compile(first)
        return f"CAST(julianday({lhs}) - julianday({rhs}) AS INTEGER)", (*lp, *rp)
