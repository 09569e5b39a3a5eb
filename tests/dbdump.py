"""Read every row of every table in the test database, as bytes, for "never stored" checks."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection


def table_names() -> list[str]:
    return sorted(connection.introspection.table_names(include_views=False))


def dump_values() -> Iterator[tuple[str, bytes]]:
    """Yield ``(table, value)`` for every non-null value in every table."""
    with connection.cursor() as cursor:
        for table in table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, memoryview | bytes | bytearray):
                        yield table, bytes(value)
                    else:
                        yield table, str(value).encode()


def encodings_of(secret: str) -> set[bytes]:
    """The forms in which a secret string might be found if it leaked."""
    import base64

    forms = {secret, secret.lower(), "-".join(secret[i : i + 4] for i in range(0, len(secret), 4))}
    found: set[bytes] = set()
    for form in forms:
        raw = form.encode()
        found |= {
            raw,
            raw.hex().encode(),
            base64.b64encode(raw),
            base64.urlsafe_b64encode(raw),
            base64.b32encode(raw),
            form.encode("utf-16-le"),
        }
    return found
