"""Trigram (``pg_trgm``) GIN indexes for substring search, PostgreSQL only.

Django's ``icontains`` on PostgreSQL is ``UPPER(col::text) LIKE UPPER('%term%')``,
so the index is on ``UPPER(col)`` with ``gin_trgm_ops``: then that very
expression is indexed and ``LIKE '%…%'`` reads the GIN index instead of the
table. SQLite has no such index: the migrations skip it there and the same
``icontains`` query scans (fine for a development database).

Chinese text: pg_trgm makes trigrams of "word" characters as the database's
``LC_CTYPE`` classifies them. Under ``C.UTF-8`` / ``en_US.UTF-8`` /
``zh_CN.UTF-8`` Chinese characters are alphanumeric, so ``show_trgm('快件延误')``
returns trigrams (checked by ``tests/complaints/test_scale_plans.py``). Under
``LC_CTYPE=C`` (plain C, not C.UTF-8) multibyte characters are not word
characters, no trigram is made, and a Chinese search falls back to a full scan:
create the database with ``LC_CTYPE`` ``C.UTF-8`` (or a UTF-8 locale), e.g.
``createdb --locale=C.UTF-8 --template=template0 kefu``. A term needs 3
characters (or a prefix of 2) to give the index a trigram; the admin search
looks shorter terms up as a prefix of the customer's name only.
"""

from __future__ import annotations


def add_trigram_index(app_label: str, model_name: str, field: str, name: str):
    """A ``RunPython`` pair creating / dropping ``USING gin (UPPER(field)
    gin_trgm_ops)`` on PostgreSQL only (written out: Django's ``OpClass``
    around an expression is parenthesised into invalid SQL by the schema editor
    of a historical model)."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = apps.get_model(app_label, model_name)
        quote = schema_editor.quote_name
        column = model._meta.get_field(field).column
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON "
            f"{quote(model._meta.db_table)} USING gin "
            f"(UPPER({quote(column)}) gin_trgm_ops)"
        )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    return forwards, backwards
