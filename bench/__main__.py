"""Run the benchmark suite against the database the settings name (``scripts/bench`` runs it
on SQLite and on PostgreSQL): ``python -m bench --scale 100000 [--only B1,B7] [--rounds 7]``.

Prints one row per item with its ratio, target and pass or fail, writes the figures to
``bench/results/<database>.json`` and the table into ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

import django

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", type=int, default=10_000, help="cases in the database")
    parser.add_argument("--handler-cases", type=int, default=1_000)
    parser.add_argument("--only", default="", help="comma-separated item ids, e.g. B1,B7")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection

    from bench import data
    from bench.harness import table
    from bench.items import Context, items

    vendor = connection.vendor
    present = data.cases_present()
    started = time.perf_counter()
    if present < args.scale:
        made = data.skeleton_cases(args.scale - present, handler_share=args.handler_cases)
        print(
            f"Generated {made.cases:,} cases, {made.clocks:,} clocks, {made.grants:,} grants "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    from django.contrib.auth import get_user_model

    handler = get_user_model().objects.get(username="handler")
    from permissions.models import CaseUserPermission

    context = Context(
        scale=data.cases_present(),
        vendor=vendor,
        handler_id=handler.pk,
        handler_cases=CaseUserPermission.objects.filter(user=handler).count(),
    )
    wanted = {part.strip().upper() for part in args.only.split(",") if part.strip()}
    results = []
    for item in items():
        if wanted and item.id not in wanted:
            continue
        print(f"{item.id}: {item.title} ...", flush=True)
        began = time.perf_counter()
        results.append(item.measure(context, args.rounds))
        # Preparation included: the whole suite's time is a target (docs/performance.md).
        print(f"{item.id}: {time.perf_counter() - began:.1f} s", flush=True)
    report = table(results)
    print()
    print(report)
    print(f"\nThe suite took {time.perf_counter() - started:.1f} s on {vendor}.", flush=True)
    if not args.no_write:
        _write(vendor, context, results, report)
    return 0


def _machine(vendor: str) -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select version()" if vendor == "postgresql" else "select sqlite_version()")
        (version,) = cursor.fetchone()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "python": platform.python_version(),
        "database": f"{vendor} {str(version).split(' on ')[0]}",
    }


def _write(vendor: str, context: object, results: list[Any], report: str) -> None:
    machine = _machine(vendor)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{vendor}.json"
    path.write_text(
        json.dumps(
            {
                "machine": machine,
                "scale": getattr(context, "scale", None),
                "items": keep_other_items(
                    path, [{**m.as_dict(), "measured": machine["date"]} for m in results]
                ),
            },
            indent=2,
        )
        + "\n"
    )
    doc = ROOT / "docs" / "performance.md"
    text = doc.read_text()
    begin, end = f"<!-- bench:{vendor} -->", f"<!-- /bench:{vendor} -->"
    block = (
        f"{begin}\n{machine['database']}, {getattr(context, 'scale', 0):,} cases, "
        f"{machine['machine']}, Python {machine['python']}, {machine['date']}.\n\n{report}\n{end}"
    )
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    found = pattern.search(text)
    if not found:
        raise SystemExit(f"docs/performance.md has no {begin} ... {end} block")
    block = keep_other_rows(found.group(0), block)
    doc.write_text(pattern.sub(lambda _: block, text))


def keep_other_items(path: Path, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items measured now, and those of an earlier run this one did not measure (``--only``),
    each dated by its own ``measured``; in item order."""
    try:
        earlier = json.loads(path.read_text())["items"]
    except (OSError, ValueError, KeyError, TypeError):
        earlier = []
    measured = {item["item"] for item in new}
    kept = [item for item in earlier if isinstance(item, dict) and item.get("item") not in measured]
    return sorted([*kept, *new], key=lambda item: int(str(item["item"]).lstrip("B") or 0))


def keep_other_rows(old: str, new: str) -> str:
    """The new block, with the rows of items this run did not measure kept from the old one
    (a run ``--only B7`` must not wipe B2's figures), in item order, each row saying when it
    was measured if that was in another run."""
    row = re.compile(r"^\| (B\d+) \|.*$", re.M)
    measured = {m.group(1) for m in row.finditer(new)}
    old_date = re.search(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC)", old)
    kept = [
        m.group(0)
        if "(measured " in m.group(0) or not old_date
        else m.group(0)[: -len(" |")] + f" (measured {old_date.group(1)}) |"
        for m in row.finditer(old)
        if m.group(1) not in measured
    ]
    if not kept:
        return new
    rows = sorted(
        [m.group(0) for m in row.finditer(new)] + kept,
        key=lambda line: int(line.split("|")[1].strip().lstrip("B")),
    )
    lines = [line for line in new.splitlines() if not row.match(line)]
    at = next(i for i, line in enumerate(lines) if line.startswith("|---")) + 1
    return "\n".join(lines[:at] + rows + lines[at:])


if __name__ == "__main__":
    sys.exit(main())
