"""The kiosk page as the server renders it: every step in Chinese and English, escaping, 404s."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from intake.lane.status import LaneStatus, LaneStep, StatusHub
from intake.web import i18n

VOID = {"meta", "link", "br", "img", "input", "hr"}


class PageParts(HTMLParser):
    """Text and attributes of every element carrying data-testid (nested text included)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.attrs: dict[str, dict[str, str | None]] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        found = dict(attrs).get("data-testid")
        if found:
            self.text[found] = ""
            self.attrs[found] = dict(attrs)
        self._open.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for name in self._open:
            if name:
                self.text[name] += data


def render(client: TestClient, hub: StatusHub, status: LaneStatus) -> PageParts:
    hub.publish(status)
    response = client.get(f"/kiosk/{status.lane}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = PageParts()
    page.feed(response.text)
    return page


def visible(page: PageParts, testid: str) -> bool:
    return "hidden" not in page.attrs[testid]


@pytest.mark.parametrize("step", [s for s in LaneStep if s is not LaneStep.DECIDED])
def test_each_step_shows_chinese_and_english(client: TestClient, hub: StatusHub, step: LaneStep) -> None:
    page = render(client, hub, LaneStatus(lane="1", step=step))
    zh, en = i18n.INSTRUCTIONS[str(step)]
    assert zh in page.text["instruction"] and en in page.text["instruction"]
    step_zh, step_en = i18n.STEP_LABELS[step]
    assert step_zh in page.text["step"] and step_en in page.text["step"]
    assert not visible(page, "verdict")
    assert not visible(page, "connection")  # the script shows it; the server never does


@pytest.mark.parametrize(
    ("verdict", "route", "zh", "en"),
    [
        ("pass", "plant", "合格，请驶入厂区卸料", "Accepted: drive into the plant to unload"),
        ("reject", "return", "不合格，请从退回通道离开", "Rejected: leave by the return lane"),
        ("review", "return", "待人工复核，请从退回通道离开", "Held for review: leave by the return lane"),
    ],
)
def test_decided_shows_verdict_block_and_reasons(
    client: TestClient, hub: StatusHub, verdict: str, route: str, zh: str, en: str
) -> None:
    status = LaneStatus(lane="1", step=LaneStep.DECIDED, verdict=verdict, route=route,
                        reasons=["low_confidence", "muddy"])
    page = render(client, hub, status)
    assert zh in page.text["instruction"] and en in page.text["instruction"]
    assert visible(page, "verdict")
    assert f"verdict-{verdict}" in (page.attrs["verdict"]["class"] or "")
    label_zh, label_en = i18n.VERDICT_LABELS[verdict]
    assert label_zh in page.text["verdict"] and label_en in page.text["verdict"]
    for code in ("low_confidence", "muddy"):  # recorded codes, shown to the driver in both languages
        assert i18n.REASONS[code][0] in page.text["reasons"] and i18n.REASONS[code][1] in page.text["reasons"]


def test_live_weight_plate_and_material(client: TestClient, hub: StatusHub) -> None:
    status = LaneStatus(
        lane="1", step=LaneStep.WEIGHING_IN, weight_kg=32480, weight_stable=True, plate="苏A·12345", material="sand"
    )
    page = render(client, hub, status)
    assert page.text["weight"].strip() == "32 480kg"
    assert "稳定" in page.text["stability"] and "Stable" in page.text["stability"]
    assert page.text["plate"].strip() == "苏A·12345"
    assert "砂" in page.text["material"] and visible(page, "material")


def test_moving_weight_is_marked(client: TestClient, hub: StatusHub) -> None:
    page = render(client, hub, LaneStatus(lane="1", step=LaneStep.WEIGHING_IN, weight_kg=31950, weight_stable=False))
    assert "波动" in page.text["stability"] and "Moving" in page.text["stability"]
    assert "stability-moving" in (page.attrs["stability"]["class"] or "")


def test_unknown_weight_and_plate_show_dashes(client: TestClient, hub: StatusHub) -> None:
    page = render(client, hub, LaneStatus(lane="1", step=LaneStep.POSITIONING, weight_stable=True))
    assert page.text["weight"].strip().startswith("— —")
    assert page.text["stability"].strip() == ""  # no stable claim for a weight nobody knows
    assert page.text["plate"].strip() == "— —"
    assert not visible(page, "material")


def test_out_of_service_shows_fault(client: TestClient, hub: StatusHub) -> None:
    page = render(client, hub, LaneStatus(lane="1", step=LaneStep.OUT_OF_SERVICE, fault="scale_stale"))
    assert "暂停服务" in page.text["step"] and "Out of service" in page.text["step"]
    assert visible(page, "fault") and "scale_stale" in page.text["fault"]


def test_driver_supplied_text_is_escaped(client: TestClient, hub: StatusHub) -> None:
    evil = '<script>alert(1)</script>'
    hub.publish(LaneStatus(lane="1", plate=evil, step=LaneStep.DECIDED, verdict="review", reasons=[evil]))
    body = client.get("/kiosk/1").text
    assert evil not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_page_has_no_navigation_and_no_inline_script(client: TestClient) -> None:
    body = client.get("/kiosk/1").text
    assert "<a " not in body and "<form" not in body
    assert '<script src="/static/kiosk.js" defer></script>' in body
    assert body.count("<script") == 2  # the script file and the JSON data block, nothing inline
    assert "http://" not in body and "https://" not in body  # nothing from the internet


def test_unknown_lane_is_404(client: TestClient) -> None:
    assert client.get("/kiosk/9").status_code == 404
    assert client.get("/kiosk/9/events").status_code == 404


def test_root_redirects_to_first_lane(client: TestClient, hub: StatusHub) -> None:
    hub.publish(LaneStatus(lane="2"))
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/kiosk/1"


def test_root_without_lanes_is_503() -> None:
    from intake.web.app import create_app

    with TestClient(create_app(StatusHub())) as client:
        assert client.get("/", follow_redirects=False).status_code == 503


def test_static_files_are_served(client: TestClient) -> None:
    assert "EventSource" in client.get("/static/kiosk.js").text
    assert client.get("/static/kiosk.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/../app.py").status_code == 404


def test_a_truck_not_sampled_is_told_to_drive_into_the_plant(client: TestClient, hub: StatusHub) -> None:
    page = render(client, hub, LaneStatus(lane="1", step=LaneStep.DECIDED, route="plant"))
    assert "本车未抽检，请驶入厂区卸料" in page.text["instruction"]
    assert "drive into the plant" in page.text["instruction"]
    assert not visible(page, "verdict")


@pytest.mark.parametrize(
    ("probe", "step", "zh", "points"),
    [
        ("press", LaneStep.SAMPLING, "按下绿色确认按钮", None),
        ("confirmed", LaneStep.SAMPLING, "已确认，请留在安全区", "已取样 0 / 6 点"),
        ("running", LaneStep.SAMPLING, "正在取样，请留在安全区", "已取样 4 / 6 点"),
        ("done", LaneStep.INSPECTING, "请回到驾驶室", None),
    ],
)
def test_the_probe_cycle_shows_the_press_taken_progress_and_when_to_get_back_in(
    client: TestClient, hub: StatusHub, probe: str, step: LaneStep, zh: str, points: str | None
) -> None:
    done = 4 if probe == "running" else 0
    page = render(client, hub, LaneStatus(lane="1", step=step, probe=probe, points_done=done, points_total=6))
    assert zh in page.text["instruction"]
    assert visible(page, "points") == (points is not None)
    if points is not None:
        assert points in page.text["points"]
        assert f"Core {done} of 6 taken" in page.text["points"]


def test_leaving_shows_the_weighings_and_the_ticket(client: TestClient, hub: StatusHub) -> None:
    from intake.lane.status import Receipt

    receipt = Receipt(gross_kg=39800, tare_kg=14200, net_kg=25600, received=True, ticket=1042)
    page = render(client, hub, LaneStatus(lane="1", step=LaneStep.LEAVING, route="return", verdict="pass",
                                          receipt=receipt))
    shown = " ".join(page.text["receipt"].split())
    for words in ("毛重", "39 800 kg", "皮重", "14 200 kg", "净重", "Net", "25 600 kg", "磅单号", "1042"):
        assert words in shown, words
    assert "称重完成" in page.text["instruction"]


def test_a_load_sent_back_shows_its_exit_weight_and_net_zero(client: TestClient, hub: StatusHub) -> None:
    from intake.lane.status import Receipt

    receipt = Receipt(gross_kg=38960, exit_kg=38940, net_kg=0, received=False, ticket=1043)
    page = render(client, hub, LaneStatus(lane="1", step=LaneStep.LEAVING, route="return", verdict="reject",
                                          receipt=receipt))
    shown = " ".join(page.text["receipt"].split())
    assert "出场重量" in shown and "38 940 kg" in shown and "皮重" not in shown
    assert "净重" in shown and "0 kg" in shown


def test_material_is_named_as_the_plant_names_it(client: TestClient, hub: StatusHub) -> None:
    page = render(client, hub, LaneStatus(lane="1", step=LaneStep.WEIGHING_IN, plate="苏A·12345",
                                          material="sand", material_name=("机制砂 0-4", "Manufactured sand 0/4")))
    assert "机制砂 0-4" in page.text["material"] and "Manufactured sand 0/4" in page.text["material"]
