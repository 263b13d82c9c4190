"""The migrations build exactly the schema the models declare, on both databases (no drift)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from yibao.models import metadata


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, metadata) == []
        tables = set(inspect(connection).get_table_names())
    assert {"persons", "enrollments", "bills", "payments", "refunds", "staff_users"} <= tables
