"""Fast row writing for the demo's bulk paths (``complaints.demo`` and
``complaints.demo_revisits``): COPY on PostgreSQL, ``bulk_create`` elsewhere."""

from __future__ import annotations

from django.db import connection, models


class RowWriter:
    """Writes row dicts (attnames) fast: COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self):
        self.pg = connection.vendor == "postgresql"
        self._oids: dict[str, dict[str, int]] = {}

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

    def write(self, model, rows: list[dict], *, with_id: bool = False) -> list[int]:
        if not rows:
            return []
        if not self.pg:
            objs = model.objects.bulk_create(
                [model(**row) for row in rows], batch_size=1000
            )
            return [o.pk for o in objs]
        from psycopg.types.json import Jsonb

        # Generated columns are the database's to compute.
        fields = [
            f
            for f in model._meta.concrete_fields
            if (with_id or not f.primary_key) and not f.generated
        ]
        json = {f.attname for f in fields if isinstance(f, models.JSONField)}
        names = [f.attname for f in fields]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        types = self._types(model._meta.db_table, [f.column for f in fields])
        # The binary format: no text to build for each value (timestamps,
        # numbers) on this side, nor to parse on the server's.
        with (
            connection.cursor() as cur,
            cur.cursor.copy(
                f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(types)
            for row in rows:
                copy.write_row(
                    tuple(Jsonb(row[n]) if n in json else row[n] for n in names)
                )
        return [row.get("id") for row in rows]
