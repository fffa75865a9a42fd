"""The CLI contract has one implementation (intake/cli/output.py): exit 0/1/2, `--json` lines on
stdout, errors on stderr; and the command modules write through it, not past it."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from intake.cli import output

ROOT = Path(__file__).resolve().parents[2]
COMMAND_MODULES = sorted([*(ROOT / "intake" / "cli").glob("*.py"),
                          ROOT / "intake" / "metrology" / "commands.py",
                          ROOT / "intake" / "metrology" / "calibrate_cmd.py"])
# Written before the helper existed; to move onto it (docs/architecture.md).
NOT_YET: set[str] = set()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def go(what: str, json_out: bool = output.JSON) -> None:
        if what == "bad":
            output.fail("no such thing")
        if what == "broken":
            output.fail("the device did not answer", output.FAILED)
        if json_out:
            output.emit({"what": what, "name": "沪A·S1001"})
            output.emit({"what": what, "n": 2})
        else:
            output.line(f"done {what}")
        output.note("progress on stderr")
        output.finish(what != "no")

    return app


def test_exit_codes_and_streams() -> None:
    runner = CliRunner()
    ok = runner.invoke(_app(), ["yes"])
    assert ok.exit_code == 0 and ok.stdout == "done yes\n" and ok.stderr == "progress on stderr\n"
    assert runner.invoke(_app(), ["no"]).exit_code == 1
    bad = runner.invoke(_app(), ["bad"])
    assert bad.exit_code == 2 and bad.stdout == "" and bad.stderr == "error: no such thing\n"
    assert runner.invoke(_app(), ["broken"]).exit_code == 1


def test_json_is_one_object_per_line_on_stdout() -> None:
    done = CliRunner().invoke(_app(), ["yes", "--json"])
    lines = done.stdout.splitlines()
    assert [json.loads(x) for x in lines] == [{"what": "yes", "name": "沪A·S1001"}, {"what": "yes", "n": 2}]
    assert "沪A" in lines[0]  # UTF-8 text as is, not \u escapes


def _direct_output(path: Path) -> list[str]:
    """print(), typer.echo(), typer.Exit and new Rich consoles: output past the helper."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("print", "Console"):
            found.append(f"{node.lineno}: {node.func.id}()")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                (node.value.id, node.attr) in (("typer", "echo"), ("typer", "Exit")):
            found.append(f"{node.lineno}: typer.{node.attr}")
    return found


def test_command_modules_write_through_the_helper() -> None:
    found = {}
    for path in COMMAND_MODULES:
        rel = path.relative_to(ROOT).as_posix()
        if rel in NOT_YET or rel == "intake/cli/output.py":
            continue
        if hits := _direct_output(path):
            found[rel] = hits
    assert not found, f"use intake.cli.output (emit, line, show, note, fail, finish): {found}"


def test_version_names_the_release_and_the_legal_software_hash() -> None:
    from intake.cli.main import app
    from intake.store.software import software_hash, software_version

    done = CliRunner().invoke(app, ["--version"])
    assert done.exit_code == 0
    assert done.stdout.strip() == f"intake-gate {software_version()} (legal part sha256 {software_hash()})"
