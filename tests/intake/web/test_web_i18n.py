"""The kiosk wording table covers every step and verdict, in both languages."""
from __future__ import annotations

import re
from typing import get_args

import pytest

from intake.lane.status import LaneStatus, LaneStep, Verdict
from intake.web import i18n

CJK = re.compile(r"[\u4e00-\u9fff]")


def _is_bilingual(text: i18n.Text) -> bool:
    zh, en = text
    return bool(CJK.search(zh)) and en.isascii() and bool(en.strip())


@pytest.mark.parametrize("step", list(LaneStep))
def test_every_step_has_label_and_instruction(step: LaneStep) -> None:
    assert _is_bilingual(i18n.STEP_LABELS[step])
    assert _is_bilingual(i18n.INSTRUCTIONS[str(step)])


@pytest.mark.parametrize("verdict", get_args(Verdict))
def test_every_verdict_has_label_and_decided_instruction(verdict: str) -> None:
    assert _is_bilingual(i18n.VERDICT_LABELS[verdict])
    route = "plant" if verdict == "pass" else "return"
    assert i18n.instruction_key(LaneStep.DECIDED, verdict, route) == f"decided.{route}.{verdict}"


@pytest.mark.parametrize(("verdict", "route"), [("pass", "plant"), (None, "plant"), ("reject", "return"),
                                                ("review", "return"), (None, "return"), ("pass", "return")])
def test_a_decision_tells_the_driver_the_way_the_arm_opened(verdict: str | None, route: str) -> None:
    """Whatever the verdict, the words name the arm that was ordered open: never "wait" at an
    open return arm, never "leave" at an open plant arm."""
    zh, en = i18n.instruction(LaneStatus(lane="1", step=LaneStep.DECIDED, verdict=verdict, route=route))
    if route == "plant":
        assert "驶入厂区" in zh and "into the plant" in en and "退回" not in zh
    else:
        assert "退回通道" in zh and "return lane" in en and "厂区" not in zh


def test_every_text_is_bilingual() -> None:
    for table in (i18n.INSTRUCTIONS, i18n.VERDICT_LABELS, i18n.LABELS, i18n.MATERIALS):
        for key, text in table.items():
            assert _is_bilingual(text), key


def test_instruction_falls_back_to_step_when_verdict_does_not_change_it() -> None:
    status = LaneStatus(lane="1", step=LaneStep.WEIGHING_OUT, verdict="pass")
    assert i18n.instruction(status) == i18n.INSTRUCTIONS["weighing_out"]
    rejected = LaneStatus(lane="1", step=LaneStep.UNLOADING, verdict="reject")
    assert i18n.instruction(rejected) == i18n.INSTRUCTIONS["unloading.reject"]


def test_decided_without_verdict_holds_the_driver() -> None:
    status = LaneStatus(lane="1", step=LaneStep.DECIDED)
    assert i18n.instruction(status) == ("请等待", "Please wait")


@pytest.mark.parametrize(
    ("kg", "text"),
    [(None, "— —"), (0, "0"), (980, "980"), (32480, "32 480"), (1234567, "1 234 567"), (-1250, "-1 250")],
)
def test_format_weight(kg: int | None, text: str) -> None:
    assert i18n.format_weight(kg) == text


def test_unknown_material_is_shown_as_its_code() -> None:
    assert i18n.material("sand") == ("砂", "Sand")
    assert i18n.material("slag") == ("slag", "slag")
    assert i18n.material(None) is None


def test_client_table_has_string_keys_only() -> None:
    table = i18n.client_table()
    assert set(table["steps"]) == {str(step) for step in LaneStep}
    assert all(isinstance(key, str) for part in table.values() for key in part)
