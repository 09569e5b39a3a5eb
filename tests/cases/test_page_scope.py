"""Answers kept for one page (``cases.page_scope``): once inside a scope, afresh outside."""

from __future__ import annotations

import pytest

from cases.page_scope import page_kept, page_scope


def _counter():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    return calls, compute


def test_outside_a_scope_every_ask_computes():
    calls, compute = _counter()
    assert [page_kept("k", compute) for _ in range(3)] == [1, 2, 3]
    assert len(calls) == 3


def test_inside_a_scope_each_key_computes_once_and_is_forgotten_after():
    calls, compute = _counter()
    with page_scope():
        assert [page_kept("k", compute) for _ in range(3)] == [1, 1, 1]
        assert page_kept("other", compute) == 2  # another key is another answer
    with page_scope():  # a new scope (a new page) asks again
        assert page_kept("k", compute) == 3
    assert page_kept("k", compute) == 4
    assert len(calls) == 4


def test_a_nested_scope_shares_the_outer_answers_and_does_not_end_them():
    calls, compute = _counter()
    with page_scope():
        assert page_kept("k", compute) == 1
        with page_scope():
            assert page_kept("k", compute) == 1
        assert page_kept("k", compute) == 1
    assert len(calls) == 1


def test_a_failed_answer_is_not_kept():
    answers = iter([ValueError("first"), "second"])

    def compute():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with page_scope():
        with pytest.raises(ValueError, match="first"):
            page_kept("k", compute)
        assert page_kept("k", compute) == "second"
