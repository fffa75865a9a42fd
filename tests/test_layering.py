"""DESIGN.md's layering, checked on the source: `intake` may import `vision` and `hardware`;
`vision` and `hardware` never import `intake`; only `hardware/` opens serial ports, Modbus
connections, terminals or `cv2.VideoCapture`; `models/` holds data, not code.

Imports are read from the syntax tree (every `import`, also inside functions, and
`importlib.import_module` / `__import__` with a literal name), so a lazy import counts too.
ruff's banned-api (pyproject.toml) repeats the device rule while editing; this test is the one
that also knows which package a file belongs to."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("intake", "vision", "hardware")

# Top-level packages each package must not import.
FORBIDDEN_IMPORTS: dict[str, frozenset[str]] = {
    "vision": frozenset({"intake"}),
    "hardware": frozenset({"intake"}),
}
# Modules that open devices, and device-opening names of otherwise allowed modules.
DEVICE_MODULES = frozenset({"serial", "pymodbus", "termios", "tty", "pty"})
DEVICE_NAMES = frozenset({"cv2.VideoCapture", "os.openpty"})
DEVICE_OWNER = "hardware"


def _imported(tree: ast.AST, package_path: str) -> list[tuple[int, str]]:
    """(line, dotted module) for every import in the tree, relative ones resolved."""
    found: list[tuple[int, str]] = []
    here = package_path.split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = here[: len(here) - node.level + 1]  # level 1 = this package
                base = ".".join([*parent, base] if base else parent)
            found += [(node.lineno, f"{base}.{alias.name}" if base else alias.name)
                      for alias in node.names]
            if base:
                found.append((node.lineno, base))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str) and _call_name(node.func) in
              ("importlib.import_module", "import_module", "__import__")):
            found.append((node.lineno, node.args[0].value))
    return found


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""


def _attribute_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, "name.attr") for attribute reads on a plain name, e.g. `cv2.VideoCapture`."""
    return [(n.lineno, f"{n.value.id}.{n.attr}") for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)]


def violations(relpath: str, source: str) -> list[str]:
    """The layering rules one file breaks; `relpath` is its path from the repository root
    (e.g. ``vision/classifier.py``), which says which package it belongs to."""
    parts = Path(relpath).with_suffix("").parts
    package = parts[0]
    module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    # A package's own __init__ resolves relative imports from itself.
    package_path = module if parts[-1] == "__init__" else ".".join(parts[:-1])
    tree = ast.parse(source, filename=relpath)
    out: list[str] = []
    banned = FORBIDDEN_IMPORTS.get(package, frozenset())
    for line, name in _imported(tree, package_path):
        top = name.split(".")[0]
        if top in banned:
            out.append(f"{relpath}:{line}: {package}/ imports {name} ({package} never imports {top})")
        if package != DEVICE_OWNER and (top in DEVICE_MODULES or name in DEVICE_NAMES):
            out.append(f"{relpath}:{line}: {name} opens devices: only {DEVICE_OWNER}/ may use it")
    if package != DEVICE_OWNER:
        out += [f"{relpath}:{line}: {name} opens devices: only {DEVICE_OWNER}/ may use it"
                for line, name in _attribute_uses(tree) if name in DEVICE_NAMES]
    return sorted(set(out))


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_the_packages_keep_the_design_layering() -> None:
    found = [v for path in _sources()
             for v in violations(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8"))]
    assert not found, "layering broken (see docs/architecture.md):\n" + "\n".join(found)


def test_models_hold_data_not_code() -> None:
    code = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "models").rglob("*.py"))
    assert not code, f"models/ holds model files and cards only: {code}"


def test_the_walk_sees_every_package() -> None:
    # A rename that left PACKAGES pointing at nothing would make the layering test vacuous.
    for pkg in PACKAGES:
        assert (ROOT / pkg / "__init__.py").is_file()
    assert len(_sources()) > 100


@pytest.mark.parametrize(("relpath", "source", "why"), [
    ("vision/classifier.py", "import intake\n", "vision never imports intake"),
    ("vision/quality.py", "def f():\n    from intake.rules import judge\n", "vision never imports intake"),
    ("hardware/scale/reader.py", "from intake.config import LaneConfig\n", "hardware never imports intake"),
    ("hardware/camera/__init__.py", "from intake import config\n", "hardware never imports intake"),
    ("vision/synth/tray.py", "import importlib\nimportlib.import_module('intake.store')\n",
     "vision never imports intake"),
    ("intake/gate.py", "import serial\n", "opens devices"),
    ("intake/lane/driver.py", "from serial.tools import list_ports\n", "opens devices"),
    ("intake/cli/scale.py", "from pymodbus.client import AsyncModbusTcpClient\n", "opens devices"),
    ("vision/quality.py", "import cv2\ncap = cv2.VideoCapture(0)\n", "opens devices"),
    ("intake/inspection.py", "from cv2 import VideoCapture\n", "opens devices"),
    ("intake/demo/runner.py", "import os\nmaster, slave = os.openpty()\n", "opens devices"),
    ("vision/real.py", "import termios\n", "opens devices"),
])
def test_a_broken_rule_is_found(relpath: str, source: str, why: str) -> None:
    found = violations(relpath, source)
    assert found and all(why in v for v in found), found


@pytest.mark.parametrize(("relpath", "source"), [
    ("intake/gate.py", "from vision.classifier import Classifier\nfrom hardware.scale.reader import ScaleReader\n"),
    ("hardware/scale/reader.py", "import serial\n"),
    ("hardware/camera/capture.py", "import cv2\ncap = cv2.VideoCapture(0)\n"),
    ("vision/quality.py", "import cv2\nimage = cv2.imread('tray.png')\n"),
    ("intake/store/schema.py", "from . import tables\nfrom .chain import ChainLink\n"),
])
def test_allowed_imports_pass(relpath: str, source: str) -> None:
    assert violations(relpath, source) == []
