"""The ticket on a thermal printer: ESC/POS bytes sent over real TCP to the printer simulator
(and down a real serial line, and into a character device), decoded back: initialised, the text
in GB18030, the QR command carrying the verify URL, the cut. A printer that is off makes a
failed print record, and the next print that gets out is still the original."""
from __future__ import annotations

import os
import threading
import tty

import pytest

from hardware.printer.driver import PrinterError, PrinterLink
from hardware.printer.escpos import Receipt, display_width
from hardware.printer.simulator import PrinterSimulator
from hardware.printer.status import QUERY, PrinterStatus
from intake.ticket.printing import print_receipt
from intake.ticket.verify import check_ticket
from tests.intake.ticket.conftest import ARTIFACTS, BASE_URL
from tests.intake.ticket.escpos_decode import decode


@pytest.fixture
def printer():
    sim = PrinterSimulator().start()
    yield sim
    sim.stop()


def _link(sim: PrinterSimulator) -> PrinterLink:
    return PrinterLink("tcp", host=sim.host, port=sim.port, timeout_s=2.0)


def test_receipt_over_tcp_decodes_to_the_ticket(records, tickets, printer):
    t = tickets[0]
    done = print_receipt(records.engine, t.id, _link(printer), base_url=BASE_URL, tz="Asia/Shanghai")
    (job,) = printer.wait_jobs(1)
    assert job == QUERY + done.data and done.record.ok and not done.record.reprint   # asked its status first
    (ARTIFACTS / "ticket-80mm.escpos").parent.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "ticket-80mm.escpos").write_bytes(job)
    got = decode(job)
    assert got.initialised and got.chinese_mode == [True, False] and got.cut and got.after_cut == b""
    text = "\n".join(got.lines)
    for words in ("称重磅单 Weighing ticket", "磅单号 Ticket no.", "00000001", "车牌 Plate", "沪A·S1001",
                  "华鑫砂场", "毛重 Gross", "皮重 Tare (weighed)", "净重 Net", "25 600 kg", "合格 ACCEPTED",
                  "扫码核验 Scan to verify"):
        assert words in text, (words, text)
    assert "补打" not in text
    # nothing runs past 80 mm paper: 48 columns, 24 at double size
    assert all(display_width(line) <= (24 if line in got.big_lines else 48) for line in got.lines)
    assert got.qr == [f"{BASE_URL}/t/{t.code}".encode()] and got.qr_model == 2
    check = check_ticket(records.engine, got.qr[0].decode())
    assert check is not None and check.vouched


def test_a_reprint_says_copy_in_large_letters(records, tickets, printer):
    t = tickets[3]
    print_receipt(records.engine, t.id, _link(printer), base_url=BASE_URL)
    again = print_receipt(records.engine, t.id, _link(printer), base_url=BASE_URL, paper_mm=58)
    first, second = (decode(job) for job in printer.wait_jobs(2))
    assert again.record.reprint and "补打 / COPY" in second.big_lines and "补打 / COPY" not in first.lines
    # 58 mm paper: 32 columns, 16 at double size
    assert all(display_width(line) <= (16 if line in second.big_lines else 32) for line in second.lines)
    lines = "\n".join(second.lines)
    assert "出场重 Exit weight" in lines and "皮重" not in lines and "未收货" in lines


def test_a_printer_that_is_off_makes_a_failed_print_and_no_original(records, tickets, printer):
    t = tickets[1]
    printer.offline = True
    off = print_receipt(records.engine, t.id, PrinterLink("tcp", host="127.0.0.1", port=1, timeout_s=1.0),
                        base_url=BASE_URL)
    assert not off.record.ok and "printer tcp:127.0.0.1:1" in (off.record.error or "")
    printer.offline = False
    later = print_receipt(records.engine, t.id, _link(printer), base_url=BASE_URL)
    assert later.record.ok and not later.record.reprint    # the first paper that got out is the original
    check = check_ticket(records.engine, t.code)
    assert check is not None and check.vouched and [(p.ok, p.reprint) for p in check.prints] == [(False, False), (True, False)]


@pytest.mark.parametrize(("state", "why"), [(PrinterStatus(paper_out=True), "paper_out"),
                                            (PrinterStatus(cover_open=True), "cover_open")])
def test_a_printer_out_of_paper_or_open_is_sent_nothing_and_the_print_is_failed(records, tickets, printer,
                                                                                  state, why):
    """Asked first, it says it cannot print: no half ticket in its buffer, the record says why,
    and the next print once it is fixed is the original."""
    t = tickets[2]
    printer.status = state
    failed = print_receipt(records.engine, t.id, _link(printer), base_url=BASE_URL)
    assert not failed.record.ok and why in (failed.record.error or "") and "nothing sent" in (failed.record.error or "")
    assert printer.wait_jobs(1, timeout_s=0.3) == []
    printer.status = PrinterStatus()
    fixed = print_receipt(records.engine, t.id, _link(printer), base_url=BASE_URL)
    assert fixed.record.ok and not fixed.record.reprint and len(printer.wait_jobs(1)) == 1


@pytest.mark.parametrize("answers", [True, False])
def test_paper_near_its_end_or_no_status_answer_still_prints(records, tickets, printer, answers):
    printer.status, printer.answers_status = PrinterStatus(paper_near_end=True), answers
    done = print_receipt(records.engine, tickets[0].id, _link(printer), base_url=BASE_URL)
    (job,) = printer.wait_jobs(1)
    assert done.record.ok and decode(job).cut and decode(job).status_asked == [2, 4]


def _pty() -> tuple[int, int, str]:
    """A raw pty; the test holds its slave open so the line is not hung up when the link
    closes its own descriptor (the buffered job would be lost with the hang-up)."""
    master, slave = os.openpty()
    tty.setraw(slave)
    return master, slave, os.ttyname(slave)


def _read_all(fd: int, into: bytearray, stop: threading.Event) -> None:
    import select

    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                into += os.read(fd, 65536)
            except OSError:
                return


@pytest.mark.parametrize("link", ["serial", "usb"])
def test_serial_and_character_device_links_deliver_the_same_job(link):
    """A pty is a real serial line (pyserial opens it) and a real character device (usb opens it
    as usblp's /dev/usb/lp0 would be): the bytes on the other end are the job."""
    master, slave, path = _pty()
    got, stop = bytearray(), threading.Event()
    reader = threading.Thread(target=_read_all, args=(master, got, stop))
    reader.start()
    try:
        job = Receipt(58).text("磅单 Ticket 沪A·S1001").qr("https://gate.example.test/t/ABCD").bytes()
        PrinterLink(link, device=path, baud=19200, timeout_s=2.0).send(job)
        for _ in range(100):
            if len(got) >= len(job):
                break
            stop.wait(0.02)
    finally:
        stop.set()
        reader.join()
        os.close(master)
        os.close(slave)
    decoded = decode(bytes(got))
    asked = QUERY if link == "serial" else b""   # a serial printer is asked its status; usblp cannot answer
    assert bytes(got) == asked + job and decoded.lines[0] == "磅单 Ticket 沪A·S1001" and decoded.cut


def test_missing_devices_are_printer_errors(tmp_path):
    for link in (PrinterLink("serial", device=str(tmp_path / "ttyNONE")), PrinterLink("usb", device=str(tmp_path / "lp9")),
                 PrinterLink("tcp", host=None)):
        with pytest.raises(PrinterError):
            link.send(b"\x1b@")


def test_text_a_printer_cannot_encode_is_refused():
    with pytest.raises(UnicodeEncodeError):
        Receipt().text("\ud800")
