"""The service may open every kind of serial port an indicator sits on, and the udev rules
that give them fixed names are well formed."""
import re
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
_RULE_KEY = re.compile(r'^\s*([A-Z_]+(?:\{[^}]+\})?)\s*(==|!=|\+=|=|:=)\s*"([^"]*)"\s*$')


def _device_allow() -> dict[str, str]:
    lines = (DEPLOY / "intake-gate.service").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("=", 1)[1].split() for line in lines if line.startswith("DeviceAllow=")]
    return {device: access for device, access in pairs}


def test_the_unit_allows_onboard_and_usb_serial_ports_and_nothing_broader():
    allowed = _device_allow()
    assert {"char-ttyS", "char-ttyUSB", "char-ttyACM"} <= set(allowed)
    assert all(access == "rw" for access in allowed.values())
    assert not any(d in ("char-tty", "/dev/tty", "char-*") for d in allowed), "broader than the ports needed"


def _rules(text: str) -> list[list[tuple[str, str, str]]]:
    out = []
    for line in text.splitlines():
        body = line.lstrip("# ").strip() if line.startswith("# SUBSYSTEM") else line.strip()
        if not body or body.startswith("#"):
            continue
        parts = [_RULE_KEY.match(p) for p in body.split(", ")]
        assert all(parts), f"malformed udev rule: {line}"
        out.append([m.groups() for m in parts if m])
    return out


def test_udev_rules_name_usb_adapters_and_onboard_ports():
    rules = _rules((DEPLOY / "99-intake-serial.rules").read_text(encoding="utf-8"))
    named = [dict((k, v) for k, _, v in r) for r in rules if any(k == "SYMLINK" for k, _, _ in r)]
    assert any("ATTRS{serial}" in r for r in named), "USB adapters by serial number"
    onboard = [r for r in named if r.get("KERNEL") == "ttyS*"]
    assert onboard and all("KERNELS" in r for r in onboard), "onboard ports by where they sit"
    assert all(r["SYMLINK"].startswith("intake-") for r in named)
