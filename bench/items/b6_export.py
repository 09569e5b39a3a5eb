"""B6: the case list's CSV export of every case in the database, over HTTP through the real
view (the gate, the list's query, the audit record, the stream), against raw SQL reading the
same columns of the same cases from the exporter's grants and writing the same CSV.

The exporter is a handler made for the item, granted every case (and a second one a quarter
of them, for the memory check: the export streams, so its peak must not grow with the rows).
Both sides' bodies are checked to be the same, byte for byte, before timing. No list decrypts
anything (lists and exports show metadata only and never read a sealed column), so the
issue's "list page that decrypts a field" has no page to measure; decryption is the case
page's (B8).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import tracemalloc
from typing import Any

from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client

from bench.data import granted_handler, staff_client
from bench.harness import Measurement, Side, compare
from bench.items import Context, Item
from permissions.models import CaseUserPermission
from workflows import registry

MEMORY_GROWTH = 1.5
EXPORTERS = {"bench-exporter": 1, "bench-exporter-quarter": 4}  # username: every n-th case


def _through_view(client: Client) -> str:
    """The body's digest, read a chunk at a time as a browser saving it would, keeping none."""
    answer = client.get("/staff/cases/export.csv")
    if answer.status_code != 200:
        raise AssertionError(f"B6: the export answered {answer.status_code}")
    digest = hashlib.sha256()
    for chunk in answer.streaming_content:  # type: ignore[attr-defined]
        digest.update(chunk)
    return digest.hexdigest()


class _Line:
    def write(self, line: str) -> str:
        return line


def _raw(user_id: int) -> str:
    permission = Permission.objects.get(codename="view_case", content_type__app_label="cases")
    labels = {
        (spec.key, state.name): str(state.staff)
        for spec in registry.specs()
        for state in spec.states
    }
    writer = csv.writer(_Line())
    digest = hashlib.sha256()
    digest.update(
        writer.writerow(["reference", "case type", "stage", "category", "received"]).encode()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reference, t.name, t.workflow, c.state, k.name, c.received_on"
            " FROM permissions_caseuserpermission g"
            " JOIN cases_case c ON c.id = g.content_object_id"
            " JOIN cases_casetype t ON t.id = c.case_type_id"
            " LEFT JOIN cases_category k ON k.id = c.category_id"
            " WHERE g.user_id = %s AND g.permission_id = %s"
            " ORDER BY c.received_on DESC, c.reference",
            [user_id, permission.pk],
        )
        while chunk := cursor.fetchmany(2000):
            for reference, type_name, workflow, state, category, received in chunk:
                received = received if isinstance(received, str) else received.isoformat()
                label = labels.get((workflow, state), state)
                line = writer.writerow([reference, type_name, label, category or "", received])
                digest.update(line.encode())
    return digest.hexdigest()


def _peak(work: Any) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(context: Context, rounds: int) -> Measurement:
    exporters = {name: granted_handler(name, every) for name, every in EXPORTERS.items()}
    everyone, quarter = exporters["bench-exporter"], exporters["bench-exporter-quarter"]
    client, quarter_client = staff_client(everyone), staff_client(quarter)
    try:
        if _through_view(client) != _raw(everyone.pk):
            raise AssertionError("B6 sides disagree: the export and the raw CSV differ")
        rows = CaseUserPermission.objects.filter(user=everyone).count()
        measurement = compare(
            item="B6",
            title=f"CSV export of every case over HTTP, streamed ({rows:,} rows)",
            target="≤2x; flat memory (streamed)",
            max_ratio=2.0,
            a=Side("export", lambda _: _through_view(client)),
            b=Side("raw", lambda _: _raw(everyone.pk)),
            rounds=rounds,
        )
        small = _peak(lambda: _through_view(quarter_client))
        growth = measurement.a_peak_bytes / max(small, 1)
        extra = {
            "memory": (
                growth <= MEMORY_GROWTH,
                f"peak {small / 1e6:.1f} MB at a quarter of the rows, "
                f"{measurement.a_peak_bytes / 1e6:.1f} MB at all of them",
            ),
        }
    finally:
        CaseUserPermission.objects.filter(user__in=exporters.values()).delete()
    return dataclasses.replace(measurement, extra=extra)


ITEM = Item("B6", "case list CSV export", measure)
