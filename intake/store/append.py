"""One new row of an append-only table, committed on its own (the chain hooks link it on commit)."""
from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel


def append(engine: Engine, row: SQLModel) -> int:
    """Commit `row` and return its id."""
    with Session(engine) as session:
        session.add(row)
        session.commit()
        new_id = getattr(row, "id", None)
        assert isinstance(new_id, int)
        return new_id
