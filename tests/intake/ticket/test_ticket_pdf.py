"""The ticket as a PDF, looked at the way a person would: rendered to files under
test-artifacts/tickets/, its Chinese text read back out of the file, its QR code pulled out
as a PNG and decoded by OpenCV to a URL whose code verifies; a second print says 补打 / COPY."""
from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from pypdf import PdfReader
from PIL import Image

from intake.ticket.printing import save_pdf
from intake.ticket.verify import check_ticket
from tests.intake.ticket.conftest import ARTIFACTS, BASE_URL

A5_PT = (419.5, 595.3)


def _text(data: bytes) -> str:
    """The page's text with each run of whitespace as one space: a value wrapped over two
    lines reads as it does unwrapped."""
    return " ".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def _qr_from_pdf(data: bytes, png_path) -> str:
    """The QR code image embedded in the page, saved as a PNG and decoded with OpenCV."""
    page = PdfReader(io.BytesIO(data)).pages[0]
    (image,) = page.images
    Image.open(io.BytesIO(image.data)).save(png_path)
    picture = cv2.imread(str(png_path), cv2.IMREAD_GRAYSCALE)
    assert picture is not None
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(np.ascontiguousarray(picture))
    assert points is not None, "no QR code found"
    return text


@pytest.mark.parametrize("size", ["a5", "80mm"])
def test_pdf_has_the_chinese_text_and_a_qr_code_that_verifies(records, tickets, size):
    t = tickets[0]
    path = ARTIFACTS / f"ticket-{size}.pdf"
    printed = save_pdf(records.engine, t.id, path, size=size, base_url=BASE_URL, tz="Asia/Shanghai")
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and data == printed.data and printed.record.ok
    text = _text(data)
    for words in ("称重磅单", "Weighing ticket", "磅单号", "00000001", "华鑫砂场", "毛重", "皮重", "净重",
                  "25 600 kg", "合格", "ACCEPTED", "衡器", "盲样号", "扫码核验"):
        assert words in text, (words, text)
    assert "补打" not in text and "COPY" not in text
    width, height = (float(v) for v in PdfReader(path).pages[0].mediabox.upper_right)
    if size == "a5":
        assert (round(width, 1), round(height, 1)) == A5_PT
    else:
        assert round(width / 72 * 25.4) == 80 and height > width
    url = _qr_from_pdf(data, ARTIFACTS / f"ticket-{size}-qr.png")
    assert url == f"{BASE_URL}/t/{t.code}"
    check = check_ticket(records.engine, url)
    assert check is not None and check.vouched and check.ticket.number == t.number


def test_a_second_print_is_marked_copy(records, tickets):
    t = tickets[3]
    first = save_pdf(records.engine, t.id, ARTIFACTS / "ticket-sent-back.pdf", base_url=BASE_URL)
    second = save_pdf(records.engine, t.id, ARTIFACTS / "ticket-sent-back-copy.pdf", size="80mm", base_url=BASE_URL)
    assert not first.record.reprint and second.record.reprint
    original, copy = _text(first.data), _text(second.data)
    assert "补打" not in original and "补打 / COPY" in copy
    # Sent back with its load: the second weight is its exit weight, not a tare, and nothing was received.
    for text in (original, copy):
        assert "出场重" in text and "Exit weight" in text and "皮重" not in text
        assert "未收货" in text and "0 kg" in text and "不合格" in text and "Max 60 000 kg, e = 20 kg" in text
    check = check_ticket(records.engine, t.code)
    assert check is not None and check.vouched and [p.reprint for p in check.prints] == [False, True]
