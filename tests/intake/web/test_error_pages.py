"""Errors take the form of who asked: a bilingual page in the staff style for staff routes, in
the kiosk style for /kiosk/*, JSON for machines (/api/*, /health, a kiosk's event stream). A
500 carries no traceback and not the exception's text. Real uvicorn, real HTTP."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from intake.lane.status import StatusHub
from intake.web.app import create_app
from intake.web.server import WebServer
from tests.intake.web.staff_support import login, visible_text

SECRET = "db password is hunter2"


def is_staff_page(reply: httpx.Response, status: int, words: str) -> bool:
    return (reply.status_code == status and reply.headers["content-type"].startswith("text/html")
            and "/static/review.css" in reply.text and f'data-status="{status}"' in reply.text
            and words in visible_text(reply.text))


def test_staff_routes_answer_with_a_staff_page(staff_server: WebServer) -> None:
    rev = login(staff_server.url, "rev")
    missing = rev.get("/review/999999")
    assert is_staff_page(missing, 404, "页面或记录不存在 Not found") and "no such item" in missing.text
    assert is_staff_page(rev.get("/review/visit/nope"), 404, "页面或记录不存在")
    bad = rev.get("/review?verdict=bogus")
    assert is_staff_page(bad, 400, "请求有误 Bad request") and "verdict: must be one of" in bad.text
    assert is_staff_page(rev.get("/admin/users"), 403, "没有权限 Not allowed")
    invalid = rev.get("/review/next?after=abc")
    assert is_staff_page(invalid, 422, "填写的内容有误 Invalid input") and "query.after:" in visible_text(invalid.text)
    assert "abc" not in visible_text(invalid.text)                     # names the field, never echoes it
    refused = httpx.post(f"{staff_server.url}/review/decide", data={"csrf": "x"})
    assert is_staff_page(refused, 403, "没有权限")


def test_kiosk_routes_answer_in_the_kiosk_style_and_streams_in_json(staff_server: WebServer) -> None:
    page = httpx.get(f"{staff_server.url}/kiosk/9")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "/static/kiosk.css" in page.text and "/static/review.css" not in page.text
    assert "页面或记录不存在" in page.text and "请联系调度或技术人员" in page.text
    stream = httpx.get(f"{staff_server.url}/kiosk/9/events")
    assert stream.status_code == 404 and stream.json() == {"detail": "unknown lane '9'"}


def test_machine_routes_keep_json(staff_server: WebServer) -> None:
    reply = httpx.get(f"{staff_server.url}/api/lanes/9")
    assert reply.status_code == 404 and reply.headers["content-type"] == "application/json"
    assert "detail" in reply.json()


@pytest.fixture
def crashing() -> Iterator[WebServer]:
    """The app with routes that fail as code can: an uncaught exception, a bad parameter."""
    hub = StatusHub()
    app: FastAPI = create_app(hub)

    def boom() -> None:
        raise RuntimeError(SECRET)

    def number(n: int) -> dict[str, int]:
        return {"n": n}

    app.add_api_route("/review-probe/boom", boom)
    app.add_api_route("/kiosk/probe/boom", boom)
    app.add_api_route("/api/probe/boom", boom)
    app.add_api_route("/api/probe/{n}", number)
    server = WebServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_crash_is_a_500_without_a_traceback(crashing: WebServer) -> None:
    staff = httpx.get(f"{crashing.url}/review-probe/boom")
    assert is_staff_page(staff, 500, "系统内部错误，请联系技术人员")
    kiosk = httpx.get(f"{crashing.url}/kiosk/probe/boom")
    assert kiosk.status_code == 500 and "/static/kiosk.css" in kiosk.text and "系统内部错误" in kiosk.text
    api = httpx.get(f"{crashing.url}/api/probe/boom")
    assert api.status_code == 500 and api.json() == {"detail": "internal error"}
    for reply in (staff, kiosk, api):
        assert SECRET not in reply.text and "Traceback" not in reply.text and "RuntimeError" not in reply.text


def test_a_bad_api_parameter_stays_a_json_422(crashing: WebServer) -> None:
    reply = httpx.get(f"{crashing.url}/api/probe/x")
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"] == ["path", "n"]
