"""Alembic environment: migrates the connection it is handed (yibao.db.migrate) or YIBAO_DATABASE_URL."""

from __future__ import annotations

from alembic import context

from yibao.config import Settings
from yibao.db import make_engine
from yibao.models import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(Settings().resolved_database_url())
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
