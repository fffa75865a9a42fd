"""The staff pages' words: every key bilingual (Chinese first, English beside), every key a
template asks for in the table, and reason codes and labels shown in words, the code beside."""
from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from intake.config import LABELS
from intake.store.reviews import QUEUE_VERDICTS
from intake.web import staff_i18n
from intake.web.i18n import Text
from intake.web.lots import STATUSES
from intake.web.server import WebServer
from tests.intake.web.staff_support import login, visible_text

CJK = re.compile(r"[\u4e00-\u9fff]")
TEMPLATES = Path(staff_i18n.__file__).parent / "templates"


def bilingual(text: Text) -> bool:
    zh, en = text
    return bool(CJK.search(zh)) and en.isascii() and bool(en.strip()) and not CJK.search(en)


@pytest.mark.parametrize("table", ["STAFF", "CLASS_LABELS", "VERDICTS", "ERRORS"])
def test_every_staff_text_is_bilingual(table: str) -> None:
    for key, text in getattr(staff_i18n, table).items():
        assert bilingual(text), (table, key, text)


def test_every_classifier_label_and_verdict_has_words() -> None:
    assert set(staff_i18n.CLASS_LABELS) == set(LABELS)
    assert set(QUEUE_VERDICTS) | {"pass"} <= set(staff_i18n.VERDICTS)
    assert all(f"lot.{s}" in staff_i18n.STAFF for s in STATUSES)
    assert all(f"status.{s}" in staff_i18n.STAFF for s in ("pending", "reviewed", "all"))


def test_every_key_a_template_asks_for_is_in_the_table() -> None:
    asked = {key for path in TEMPLATES.glob("*.html") for key in re.findall(r'\bt\("([^"]+)"\)', path.read_text())}
    assert asked and not asked - set(staff_i18n.STAFF), asked - set(staff_i18n.STAFF)


def test_no_staff_template_formats_a_time_itself() -> None:
    """Every time goes through the site's zone (the localtime filters), none through strftime."""
    staff_pages = [p for p in TEMPLATES.glob("*.html") if not p.name.startswith(("kiosk", "ticket"))]
    offenders = [p.name for p in staff_pages if "strftime" in p.read_text() or "UTC</" in p.read_text()]
    assert not offenders


def test_a_reason_is_shown_in_words_with_its_code_in_small_print() -> None:
    html = str(staff_i18n.reason_words("foreign_matter"))
    assert visible_text(html) == "含有杂物 Foreign matter found foreign_matter"
    assert 'title="foreign_matter"' in html and '<code class="code">foreign_matter</code>' in html
    assert visible_text(str(staff_i18n.reason_words("not_a_code"))) == "not_a_code not_a_code not_a_code"
    assert "&lt;b&gt;" in str(staff_i18n.reason_words("<b>"))            # escaped, never markup


@pytest.fixture
def rev(staff_server: WebServer) -> httpx.Client:
    return login(staff_server.url, "rev")


def test_the_queue_reads_in_chinese_first(rev: httpx.Client) -> None:
    html = rev.get("/review").text
    text = visible_text(html)
    for words in ("复核队列 Queue", "判定时间 Decided", "车牌 Plate", "原因 Reasons", "筛选 Filter",
                  "含泥量超标 Too much mud or clay", "无法确定，需人工复核 Not certain", "含泥 Muddy", "不合格 REJECT",
                  "待复核 REVIEW", "rev · 复核员 reviewer"):
        assert words in text, words
    # Raw codes only in small print or a title: every reason cell leads with its words.
    cells = re.findall(r'<td class="reasons">(.*?)</td>', html, re.S)
    assert cells and all(CJK.match(visible_text(c)) for c in cells)


def test_the_inspection_page_reads_in_chinese_first(rev: httpx.Client, store) -> None:  # type: ignore[no-untyped-def]
    text = visible_text(rev.get(f"/review/{store.items[0].inspection}").text)
    for words in ("图像 Frames", "标签概率 Label probabilities", "触发的规则 Rules that fired", "毛重 Gross",
                  "审计记录 Audit trail", "复核决定 Decision", "合格 PASS", "不合格 REJECT", "洁净砂 Clean sand",
                  "提交决定 Record decision"):
        assert words in text, words


def test_suppliers_and_login_read_in_chinese_first(rev: httpx.Client, staff_server: WebServer) -> None:
    text = visible_text(rev.get("/suppliers").text)
    for words in ("各供应商、物料的不合格率", "批次 Lots", "不合格率 Reject rate", "起始日期 From"):
        assert words in text, words
    login_page = visible_text(httpx.get(f"{staff_server.url}/login").text)
    assert "用户名 Username" in login_page and "密码 Password" in login_page


def test_date_fields_take_iso_dates_whatever_the_browser_locale(rev: httpx.Client) -> None:
    html = rev.get("/review?date_from=2026-03-14").text
    field = re.search(r'<input type="text" name="date_from" value="2026-03-14"[^>]*>', html)
    assert field and 'pattern="[0-9]{4}-[0-9]{2}-[0-9]{2}"' in field.group(0) and 'placeholder="YYYY-MM-DD"' in field.group(0)
    assert 'type="date"' not in html


def test_a_failed_login_says_so_in_both_languages(staff_server: WebServer) -> None:
    from tests.intake.web.staff_support import csrf_of

    client = httpx.Client(base_url=staff_server.url, headers={"Sec-Fetch-Site": "same-origin"}, timeout=10)
    form = client.get("/login")
    reply = client.post("/login", data={"csrf": csrf_of(form.text), "username": "rev", "password": "not it at all",
                                        "next": "/review"}, headers={"Origin": staff_server.url})
    assert reply.status_code == 401
    assert "用户名或密码错误 wrong username or password" in visible_text(reply.text)


def test_review_messages_have_chinese_before_the_english() -> None:
    assert all(CJK.search(zh) for zh in staff_i18n.MESSAGES.values())
    shown = visible_text(str(staff_i18n.message("label must be one of clean_sand, muddy")))
    assert shown == "标签不在可选范围内 label must be one of clean_sand, muddy"
    assert str(staff_i18n.message("<new message>")) == "&lt;new message&gt;"     # unknown: as it is, escaped
