"""The benchmark suite: each item times the application's way of doing a piece of work (A)
against a baseline doing the same reads and writes in plain SQL (B), side by side in the same
run, and reports the median ratio, its spread, query counts and peak memory against a target.

Not part of the tests: run ``scripts/bench`` (see docs/performance.md). Ratios, not seconds,
are the targets, so a busy or slow machine moves both sides together.
"""
