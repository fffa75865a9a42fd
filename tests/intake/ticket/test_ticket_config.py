"""[lanes.printer] and [tickets] are strict like the rest of the config: a printer without the
address its link needs, an unknown link, a bad zone or base URL is an error naming the key."""
from __future__ import annotations

import tomllib

import pytest

from intake.config import ConfigError, parse_config
from intake.demo.runner import DEMO_CONFIG
from intake.ticket.desk import link_of


def _raw() -> dict:
    return tomllib.loads(DEMO_CONFIG.read_text(encoding="utf-8"))


def _with_printer(printer: dict) -> dict:
    raw = _raw()
    raw["lanes"][0]["printer"] = printer
    return raw


def test_the_demo_prints_on_a_tcp_printer_and_shows_plant_time():
    cfg = parse_config(_raw())
    printer = cfg.lanes[0].printer
    assert printer is not None and (printer.link, printer.port, printer.paper_mm) == ("tcp", 9100, 80)
    assert link_of(printer).describe() == "tcp:127.0.0.1:9100"
    assert cfg.tickets.timezone == "Asia/Shanghai" and cfg.ticket_url() == "http://127.0.0.1:8080"


@pytest.mark.parametrize("printer, message", [
    ({"link": "tcp"}, "a tcp printer needs host"),
    ({"link": "tcp", "host": "10.0.0.9", "device": "/dev/usb/lp0"}, "a tcp printer needs host (and no device)"),
    ({"link": "serial", "host": "10.0.0.9"}, "a serial printer needs device"),
    ({"link": "usb"}, "a usb printer needs device"),
    ({"link": "parallel", "device": "/dev/lp0"}, "lanes.0.printer.link"),
    ({"link": "tcp", "host": "p", "port": 70000}, "lanes.0.printer.port"),
    ({"link": "tcp", "host": "p", "paper_mm": 76}, "lanes.0.printer.paper_mm"),
    ({"link": "usb", "device": "/dev/usb/lp0", "copies": 2}, "lanes.0.printer.copies: Extra inputs are not permitted"),
])
def test_a_bad_printer_is_named(printer, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_config(_with_printer(printer))


def test_serial_and_usb_printers():
    cfg = parse_config(_with_printer({"link": "serial", "device": "/dev/ttyS1", "baud": 19200, "paper_mm": 58}))
    link = link_of(cfg.lanes[0].printer)   # type: ignore[arg-type]
    assert (link.link, link.device, link.baud) == ("serial", "/dev/ttyS1", 19200)
    cfg = parse_config(_with_printer({"link": "usb", "device": "/dev/usb/lp0"}))
    assert link_of(cfg.lanes[0].printer).describe() == "usb:/dev/usb/lp0"   # type: ignore[arg-type]


@pytest.mark.parametrize("tickets, key", [
    ({"timezone": "Mars/Olympus"}, "tickets.timezone"),
    ({"base_url": "gate.example.com"}, "tickets.base_url"),
    ({"base_url": "https://gate.example.com/?x=1"}, "tickets.base_url"),
    ({"prefix": "T"}, "tickets.prefix"),
])
def test_bad_ticket_settings_are_named(tickets, key):
    raw = _raw()
    raw["tickets"] = tickets
    with pytest.raises(ConfigError, match=key):
        parse_config(raw)


def test_the_qr_points_at_the_public_base_url():
    raw = _raw()
    raw["tickets"] = {"base_url": "https://weigh.plant.example/gate1/"}
    assert parse_config(raw).ticket_url() == "https://weigh.plant.example/gate1/"
