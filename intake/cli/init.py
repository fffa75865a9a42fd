"""`intake init DIR --name NAME`: a new site folder (gate.toml, audit key, database)."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from intake.cli.output import JSON, emit, fail, show


def init(folder: Path = typer.Argument(..., help="The site's folder, e.g. /etc/intake (made 0700)."),
         name: str = typer.Option(..., "--name", help="The plant's name, as tickets and the centre show it."),
         timezone: str = typer.Option("Asia/Shanghai", "--timezone", help="The plant's IANA time zone."),
         json_out: bool = JSON) -> None:
    """Make a site: gate.toml with fresh secrets, the audit key and the migrated database."""
    from intake.config import ConfigError
    from intake.site.init import SiteExists, init_site

    try:
        site = init_site(folder, name, timezone)
    except SiteExists as exc:
        fail(str(exc), 2)
    except ConfigError as exc:
        fail(str(exc), 2)
    made = {"folder": str(site.folder), "config": str(site.config), "audit_key": str(site.key),
            "database": site.database}
    if json_out:
        emit(made)
        return
    table = Table("made", "where", title=f"site {name!r}")
    for what, where in made.items():
        table.add_row(what, where)
    show(table)
    show(f"next: set each lane's device addresses in {site.config} (docs/install.md), then\n"
         f"  intake db check --config {site.config}\n  intake run --config {site.config}", highlight=False)
