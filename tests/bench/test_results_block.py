"""The results block in docs/performance.md: a run of some items keeps the others' rows."""

from bench.__main__ import keep_other_rows

HEAD = (
    "| # | Work | Target | Ratio (spread) | A median | B median | Queries A/B | Peak MB A/B "
    "| Result |\n|---|---|---|---|---|---|---|---|---|"
)


def _block(date: str, *rows: str) -> str:
    body = "\n".join(rows)
    return f"<!-- bench:sqlite -->\nsqlite, {date}.\n\n{HEAD}\n{body}\n<!-- /bench:sqlite -->"


def test_a_run_of_one_item_keeps_the_other_items_rows_with_their_date():
    old = _block(
        "2026-11-30 13:01 UTC",
        "| B2 | report | ≤1.2x | 1.1x | pass |",
        "| B7 | scan | ≤2x | 3.0x | FAIL |",
    )
    new = _block("2026-11-30 14:00 UTC", "| B7 | scan | ≤2x | 1.5x | pass |")
    assert keep_other_rows(old, new) == _block(
        "2026-11-30 14:00 UTC",
        "| B2 | report | ≤1.2x | 1.1x | pass (measured 2026-11-30 13:01 UTC) |",
        "| B7 | scan | ≤2x | 1.5x | pass |",
    )


def test_a_row_kept_twice_keeps_its_first_date_and_items_stay_in_order():
    old = _block(
        "2026-11-30 14:00 UTC",
        "| B2 | report | ≤1.2x | 1.1x | pass (measured 2026-11-30 13:01 UTC) |",
        "| B10 | load | - | 1.0x | pass |",
    )
    new = _block("2026-11-30 15:00 UTC", "| B7 | scan | ≤2x | 1.5x | pass |")
    assert keep_other_rows(old, new) == _block(
        "2026-11-30 15:00 UTC",
        "| B2 | report | ≤1.2x | 1.1x | pass (measured 2026-11-30 13:01 UTC) |",
        "| B7 | scan | ≤2x | 1.5x | pass |",
        "| B10 | load | - | 1.0x | pass (measured 2026-11-30 14:00 UTC) |",
    )


def test_a_full_run_replaces_every_row():
    old = _block("2026-11-30 13:01 UTC", "| B2 | report | ≤1.2x | 1.1x | pass |")
    new = _block("2026-11-30 14:00 UTC", "| B2 | report | ≤1.2x | 1.0x | pass |")
    assert keep_other_rows(old, new) == new


def test_the_results_file_keeps_the_items_a_run_did_not_measure(tmp_path):
    import json

    from bench.__main__ import keep_other_items

    path = tmp_path / "postgresql.json"
    path.write_text(
        json.dumps(
            {
                "items": [
                    {"item": "B2", "ratio": 1.1, "measured": "2026-11-29 10:00 UTC"},
                    {"item": "B5", "ratio": 3.8, "measured": "2026-11-29 10:00 UTC"},
                ]
            }
        )
    )
    now = [{"item": "B5", "ratio": 2.5, "measured": "2026-11-30 16:00 UTC"}]
    now.append({"item": "B10", "ratio": 1.0, "measured": "2026-11-30 16:00 UTC"})
    assert keep_other_items(path, now) == [
        {"item": "B2", "ratio": 1.1, "measured": "2026-11-29 10:00 UTC"},
        {"item": "B5", "ratio": 2.5, "measured": "2026-11-30 16:00 UTC"},
        {"item": "B10", "ratio": 1.0, "measured": "2026-11-30 16:00 UTC"},
    ]
    assert keep_other_items(tmp_path / "missing.json", now[:1]) == now[:1]
    (tmp_path / "broken.json").write_text("{not json")
    assert keep_other_items(tmp_path / "broken.json", now[:1]) == now[:1]
