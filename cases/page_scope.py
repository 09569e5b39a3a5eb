"""Answers kept for one page's rendering: a case's cipher, a person's roles, whether they
hold a permission on a case. Outside a page scope nothing is kept.

A case page asks the same questions many times while it is put together: each panel and
each predicate asks whether the viewer may work the case (a gate query each: twelve on one
page), what their roles are (a query each: nineteen), and each sealed part opens the case's
cipher (a key row read and unwrapped each: four). Inside ``page_scope()`` each answer is
worked out once and kept until the scope ends. The scope belongs around code that only reads
and renders, once the request's change (if any) has been made: nothing inside it grants,
revokes, excludes, changes a role or destroys a key, so no answer kept can go stale. Services
never open it, and a task or a command never runs in one, so they always ask afresh.

The answers live in a context variable set for the scope, not on any object, so they cannot
outlive it or reach another request, and the plaintext data key leaves memory when the page
is done, as it did before.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Hashable, Iterator

_kept: contextvars.ContextVar[dict[Hashable, object] | None] = contextvars.ContextVar(
    "page_scope", default=None
)


@contextlib.contextmanager
def page_scope() -> Iterator[None]:
    """Keep answers until the block ends (nested scopes share the outermost's answers)."""
    if _kept.get() is not None:
        yield
        return
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)


def page_kept[T](key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or, inside a page scope, the answer it gave for ``key`` earlier in the
    scope. An exception is not kept: the next ask computes again."""
    kept = _kept.get()
    if kept is None:
        return compute()
    if key not in kept:
        kept[key] = compute()
    return kept[key]  # type: ignore[return-value]
