"""What the gate cannot do right now, as every staff page shows it: a banner at the top,
Chinese first, English beside, with the cause. The gate hands the app a callable that names
its problems (code, detail); the words live here, one line per code."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from intake.web.i18n import Text

# (code, detail): e.g. ("model_unavailable", "models/x.onnx: no such file")
Problems = Callable[[], list[tuple[str, str]]]

BANNERS: Final[dict[str, Text]] = {
    "model_unavailable": ("检验模型不可用：抽中的车辆不取样，直接驶入厂区（记录为“未抽检：检验系统不可用”）",
                          "Inspection model unavailable: drawn trucks are not sampled and drive in "
                          "(recorded \"not sampled: model unavailable\")"),
}
UNKNOWN: Final[Text] = ("系统降级运行", "The gate runs degraded")


@dataclass(frozen=True)
class Banner:
    code: str
    zh: str
    en: str
    detail: str


def none() -> list[tuple[str, str]]:
    return []


def banners(problems: Problems) -> list[Banner]:
    """The banners for now; a problems callable that fails is itself a banner, never silence."""
    try:
        found = problems()
    except Exception as exc:   # the page still renders, and says it cannot tell
        found = [("degraded_unknown", type(exc).__name__)]
    return [Banner(code, *BANNERS.get(code, UNKNOWN), detail) for code, detail in found]
