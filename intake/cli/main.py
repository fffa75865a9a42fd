"""The `intake` command. Sub-commands live in their own modules; this file only mounts them.

Exit codes: 0 success, 2 bad usage or input, 1 failure.
"""
from __future__ import annotations

import typer

from intake.cli import alarms, audit, db, demo, lane, masterdata, masterdata_add, run, sample, sampling, scale, settlement, sync, ticket, users, vision  # noqa: F401 (masterdata_add adds its commands to the masterdata apps)

app = typer.Typer(help="Unattended raw-material intake gate.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)


def _version(asked: bool) -> None:
    """The version and the legal software's hash, as every weighing record names them."""
    if asked:
        from intake.cli.output import finish, line
        from intake.store.software import software_hash, software_version

        line(f"intake-gate {software_version()} (legal part sha256 {software_hash()})")
        finish(True)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", is_eager=True, callback=_version,
                                       help="Print the version and the legal software's hash.")) -> None:
    """Unattended raw-material intake gate."""
app.command("demo")(demo.demo)
app.command("init")(__import__("intake.cli.init").cli.init.init)
app.command("run")(run.run)
app.add_typer(scale.app, name="scale", help="Read, decode and check weighbridge indicators.")
app.add_typer(vision.app, name="vision", help="Classify sample images; train and evaluate models.")
app.add_typer(__import__("intake.cli.camera").cli.camera.app, name="camera", help="Check a camera picture; calibrate mm per pixel and white balance.")
app.add_typer(users.app, name="users", help="Staff accounts for the review pages.")
app.add_typer(db.app, name="db", help="Migrate, back up and check the gate's database.")
app.add_typer(audit.app, name="audit", help="Verify the keyed hash chain of the records; export its head.")
app.add_typer(sample.app, name="sample", help="Blind sample labels (QR) and lab results.")
app.add_typer(sampling.app, name="sampling", help="Sampling plan: audit a day, reveal its seed, draw a plan, rates.")
app.add_typer(sync.app, name="sync", help="Forward the records to the central PostgreSQL (store and forward).")
app.add_typer(lane.app, name="lane", help="Reset a lane after a latched safety fault; its safety log.")
app.add_typer(__import__("intake.cli.model").cli.model.app, name="model", help="Model registry: promote, roll back, list.")
app.add_typer(ticket.app, name="ticket", help="Weighing tickets (磅单): issue, print, verify against the records.")
app.add_typer(alarms.app, name="alarms", help="Alarms: list the outbox, send a test alarm to each channel, retry.")
app.add_typer(settlement.app, name="settlement", help="Settlement export for the ERP: deliveries, daily summary.")
app.add_typer(masterdata.materials_app, name="materials", help="Add materials, or import them from CSV (master data, chained).")
app.add_typer(masterdata.suppliers_app, name="suppliers", help="Add suppliers, or import them from CSV (master data, chained).")
app.add_typer(masterdata.vehicles_app, name="vehicles", help="Add vehicles and bind their RFID cards, or import them from CSV (master data, chained).")
app.add_typer(masterdata.orders_app, name="orders", help="Add delivery orders, or import them from CSV (master data, chained).")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
