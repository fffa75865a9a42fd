"""The degraded banner: while the gate has no model in service every staff page says so at
the top, Chinese first and English beside, with the cause; it goes when the model is back,
and a problems callable that fails still shows a banner rather than none."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from intake.lane.status import StatusHub
from intake.web.app import create_app
from intake.web.server import WebServer
from intake.web.staff import StaffSettings
from tests.intake.web.review_seed import SEED_NOW
from tests.intake.web.staff_support import Store, login, visible_text

CAUSE = "models/intake-classifier/model.onnx: no such file"
PAGES = ("/review", "/suppliers", "/admin/orders", "/admin/vehicles", "/admin/users")


class Problems:
    def __init__(self) -> None:
        self.now: list[tuple[str, str]] | None = [("model_unavailable", CAUSE)]

    def __call__(self) -> list[tuple[str, str]]:
        if self.now is None:
            raise RuntimeError("gate state unreadable")
        return self.now


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def adm(hub: StatusHub, store: Store, problems: Problems) -> Iterator[httpx.Client]:
    server = WebServer(create_app(hub, engine=store.engine, data_dir=store.data_dir, degraded=problems,
                                  staff=StaffSettings(today=SEED_NOW.date)))
    server.start()
    client = login(server.url, "adm")
    try:
        yield client
    finally:
        client.close()
        server.stop()


def banner(html: str) -> str:
    if 'data-testid="degraded"' not in html:
        return ""
    return visible_text(html.split('data-testid="degraded"', 1)[1].split("</p>", 1)[0])


def test_every_staff_page_carries_the_banner_with_its_cause(adm: httpx.Client) -> None:
    for page in PAGES:
        reply = adm.get(page)
        assert reply.status_code == 200, page
        text = banner(reply.text)
        zh, en = text.find("检验模型不可用"), text.find("Inspection model unavailable")
        assert 0 <= zh < en, (page, text)   # Chinese first, English beside
        assert "未抽检" in text and "not sampled" in text and CAUSE in text, (page, text)
    assert banner(httpx.get(str(adm.base_url) + "/login").text)   # before logging in too


def test_the_banner_goes_when_the_model_is_back(adm: httpx.Client, problems: Problems) -> None:
    problems.now = []
    assert banner(adm.get("/review").text) == ""


def test_a_failing_problems_probe_still_shows_a_banner(adm: httpx.Client, problems: Problems) -> None:
    problems.now = None
    reply = adm.get("/review")
    assert reply.status_code == 200 and "系统降级运行" in banner(reply.text)
