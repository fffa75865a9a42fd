"""Alembic environment. The gate passes its own connection in `config.attributes["connection"]`;
the `alembic` command line (alembic.ini at the repo root) uses `-x db=URL` or INTAKE_DB."""
from __future__ import annotations

import os

from alembic import context
from sqlmodel import SQLModel

from intake.store.schema import import_table_modules

import_table_modules()
target_metadata = SQLModel.metadata


def _run(connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things, so changes become copy-and-swap.
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from intake.store.db import make_engine

    url = context.get_x_argument(as_dictionary=True).get("db") or os.environ.get("INTAKE_DB")
    if not url:
        raise SystemExit("give the database: alembic -x db=sqlite:///var/intake.db ... (or INTAKE_DB)")
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)


main()
