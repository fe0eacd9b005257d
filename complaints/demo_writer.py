"""Fast row writing for the demo's bulk paths (``complaints.demo`` and
``complaints.demo_revisits``): COPY on PostgreSQL, ``bulk_create`` elsewhere.

On PostgreSQL the rows can also be encoded into a binary COPY stream without a
round trip (``encode``), in another process than the one that sends it
(``write_encoded``): the demo's million-complaint bulk builds and encodes its
rows in a forked process while the main one feeds PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, models
from psycopg import Copy
from psycopg.copy import Writer
from psycopg.types.json import Jsonb


@dataclass(frozen=True)
class _Layout:
    names: tuple[str, ...]  # the rows' keys (attnames), in column order
    json: frozenset[str]
    sql: str  # the COPY statement
    types: tuple[int, ...]  # the columns' type oids (binary format)


class _Buffer(Writer):
    """A COPY writer that keeps the stream in memory (psycopg's ``Writer``
    interface, as its ``FileWriter``)."""

    def __init__(self):
        self.data = bytearray()

    def write(self, data) -> None:
        self.data += data


class RowWriter:
    """Writes row dicts (attnames) fast: COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self):
        self.pg = connection.vendor == "postgresql"
        self._oids: dict[str, dict[str, int]] = {}
        self._layouts: dict[tuple[type, bool], _Layout] = {}

    def _types(self, table: str, columns: list[str]) -> list[int]:
        """The columns' type oids, for COPY's binary format (read once per table)."""
        if table not in self._oids:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT attname, atttypid FROM pg_attribute "
                    "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                    [table],
                )
                self._oids[table] = dict(cur.fetchall())
        return [self._oids[table][column] for column in columns]

    def layout(self, model, *, with_id: bool = False) -> _Layout:
        """The model's COPY layout (read from the database once: call it
        before ``encode`` in a process that must not query)."""
        key = (model, with_id)
        if key not in self._layouts:
            # Generated columns are the database's to compute.
            fields = [
                f
                for f in model._meta.concrete_fields
                if (with_id or not f.primary_key) and not f.generated
            ]
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            table = connection.ops.quote_name(model._meta.db_table)
            self._layouts[key] = _Layout(
                names=tuple(f.attname for f in fields),
                json=frozenset(
                    f.attname for f in fields if isinstance(f, models.JSONField)
                ),
                # The binary format: no text to build for each value
                # (timestamps, numbers) on this side, nor to parse on the
                # server's.
                sql=f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)",
                types=tuple(
                    self._types(model._meta.db_table, [f.column for f in fields])
                ),
            )
        return self._layouts[key]

    def reserve_ids(self, model, n: int) -> list[int] | None:
        if not self.pg:
            return None
        table = model._meta.db_table
        with connection.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                "FROM generate_series(1, %s)",
                [table, n],
            )
            return [row[0] for row in cur.fetchall()]

    def reserve_range(self, model, n: int) -> int:
        """PostgreSQL: the first of ``n`` consecutive ids taken from the
        model's sequence. The caller holds a lock on the table that keeps
        inserts out (nextval is not transactional: an insert meanwhile would
        take an id inside the range)."""
        with connection.cursor() as cur:
            cur.execute(
                "SELECT first, setval(s.seq, first + %s - 1) FROM "
                "(SELECT pg_get_serial_sequence(%s, 'id') AS seq) s, "
                "LATERAL (SELECT nextval(s.seq) AS first) f",
                [n, model._meta.db_table],
            )
            return cur.fetchone()[0]

    def _values(self, layout: _Layout, rows):
        names, json = layout.names, layout.json
        for row in rows:
            yield tuple(Jsonb(row[n]) if n in json else row[n] for n in names)

    def write(self, model, rows: list[dict], *, with_id: bool = False) -> list[int]:
        if not rows:
            return []
        if not self.pg:
            objs = model.objects.bulk_create(
                [model(**row) for row in rows], batch_size=1000
            )
            return [o.pk for o in objs]
        layout = self.layout(model, with_id=with_id)
        with connection.cursor() as cur, cur.cursor.copy(layout.sql) as copy:
            copy.set_types(layout.types)
            for values in self._values(layout, rows):
                copy.write_row(values)
        return [row.get("id") for row in rows]

    def encode(self, model, rows: list[dict], *, with_id: bool = False) -> bytes:
        """PostgreSQL: the rows as a whole binary COPY stream, for
        ``write_encoded``. Nothing is sent: the formatting uses the
        connection's adapters only, so a forked process may call it (with
        the layout read beforehand)."""
        if not rows:
            return b""
        layout = self.layout(model, with_id=with_id)
        buffer = _Buffer()
        with (
            connection.connection.cursor() as cur,
            Copy(cur, binary=True, writer=buffer) as copy,
        ):
            copy.set_types(layout.types)
            for values in self._values(layout, rows):
                copy.write_row(values)
        return bytes(buffer.data)

    def write_encoded(self, model, data: bytes, *, with_id: bool = False) -> None:
        """Send a stream made by ``encode`` (same ``model`` and ``with_id``)."""
        if not data:
            return
        layout = self.layout(model, with_id=with_id)
        with connection.cursor() as cur, cur.cursor.copy(layout.sql) as copy:
            copy.write(data)
