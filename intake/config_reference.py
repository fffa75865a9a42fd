"""Every key of a site's gate.toml, from the config models themselves: `docs/config.md` is
written from this (`scripts/config_reference.py --write`), and a test fails when the models and
the page disagree, so the reference cannot fall behind the code."""
from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

HEADER = """# Configuration reference

Every key of a site's `gate.toml`, generated from the config models (`intake/config.py`,
`intake/alarms/config.py`) by `scripts/config_reference.py --write`; `tests/test_config_reference.py`
fails when this page and the models disagree. A key not listed is an error that names it. `[]`
marks a list of tables (`[[lanes]]`), `<name>` a table per name (`[materials.sand]`). Examples
and the reasons behind the values are in the README's Configuration section and in
`docs/install.md`.

| Key | Type | Default | Meaning |
|---|---|---|---|
"""


def _models(annotation: Any) -> list[tuple[str, type[BaseModel]]]:
    """The config models inside a field's type, with the suffix their keys get ([] or .<name>)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [("", annotation)]
    if origin in (list, tuple) and args:
        return [("[]" + s, m) for s, m in _models(args[0])]
    if origin is dict and len(args) == 2:
        return [(".<name>" + s, m) for s, m in _models(args[1])]
    if origin in (typing.Union, types.UnionType):
        return [found for arg in args for found in _models(arg)]
    return []


def _type(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "").replace("pathlib.", "").replace("NoneType", "None")
    for prefix in ("intake.config.", "intake.alarms.config.", "datetime."):
        text = text.replace(prefix, "")
    return text.replace("<class '", "").replace("'>", "").replace("|", "\\|")


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.default if field.default_factory is None else field.default_factory()
    if isinstance(value, BaseModel):
        return "(table)"
    if value is None:
        return "—"
    shown = repr(str(value)) if isinstance(value, PurePath) else repr(value)
    return f"`{shown}`".replace("|", "\\|")


def rows(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        inner = _models(field.annotation)
        meaning = (field.description or "").replace("|", "\\|")
        if inner and not meaning:
            meaning = "table" if inner[0][0] == "" else "tables"
        yield f"| `{key}` | {_type(field.annotation)} | {_default(field)} | {meaning} |"
        seen: set[type[BaseModel]] = set()
        for suffix, sub in inner:
            if sub not in seen:
                seen.add(sub)
                yield from rows(sub, f"{key}{suffix}.")


def reference() -> str:
    from intake.config import GateConfig

    return HEADER + "\n".join(rows(GateConfig)) + "\n"
