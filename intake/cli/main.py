"""The `intake` command. Sub-commands live in their own modules; this file only mounts them.

Exit codes: 0 success, 2 bad usage or input, 1 failure.
"""
from __future__ import annotations

import typer

from intake.cli import demo, scale, vision

app = typer.Typer(help="Unattended raw-material intake gate.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
app.command("demo")(demo.demo)
app.command("run")(demo.run)
app.add_typer(scale.app, name="scale", help="Read, decode and check weighbridge indicators.")
app.add_typer(vision.app, name="vision", help="Classify sample images; train and evaluate models.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
