"""The admin pages' answers in Chinese first, English beside. The store and the CLI speak
English (their messages carry codes and plates); here each known message shape gets its
Chinese, with the same values put in, and an unknown one still gets a Chinese lead-in, so no
admin sees an English-only sentence."""
from __future__ import annotations

import re
from typing import Final

from markupsafe import Markup

# (English message shape, its Chinese with the shape's groups as {1}, {2}, ...); first match wins.
SHAPES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple((re.compile(p), zh) for p, zh in (
    (r"^no such order$", "没有这个送货单"),
    (r"^no such vehicle$", "没有这辆车"),
    (r"^no such action$", "没有这个操作"),
    (r"^order (\S+) is already open$", "送货单 {1} 已是打开状态"),
    (r"^order (\S+) is already closed$", "送货单 {1} 已是关闭状态"),
    (r"^order (\S+): its vehicle already has open order (\S+); close that first$",
     "送货单 {1}：该车已有打开的送货单 {2}，请先关闭"),
    (r"^weighed on: the date is in the future$", "称重日期不能晚于今天"),
    (r"^weighed on: a date as YYYY-MM-DD is needed$", "称重日期须为 年-月-日"),
    (r"^a reason is required", "须填写理由（至少 4 个字）"),
    (r"^the reason is longer than 300 characters$", "理由不能超过 300 字"),
    (r"^tare: ", "皮重须为 500 至 60000 kg 的整数"),
    (r"^(supplier|vehicle|order|material) (\S+) exists already", "{1} {2} 已存在（修改请用导入或修正）"),
    (r"^no (supplier|material|vehicle) '([^']*)'", "没有{1} {2}"),
    (r"^card (\S+) is already bound to (.+); withdraw it first$", "卡 {1} 已绑定到 {2}，请先注销"),
    (r"^card (\S+) is not bound to any vehicle$", "卡 {1} 未绑定任何车辆"),
    (r"^card: .* is not a card number", "卡号须为读卡器显示的 8 至 20 位十六进制数字"),
    (r"^no vehicle '([^']*)': add it first$", "没有车辆 {1}，请先添加"),
    (r"^vehicle (\S+) would have ", "车辆 {1} 将有多个打开的送货单"),
    (r"^the gate admits against one", "闸机只按一个打开的送货单放行，请关闭其他送货单"),
    (r"^(plate|code|name|supplier|material|vehicle|expected_kg|bed_length_mm|bed_width_mm|name_zh): ",
     "{1} 填写有误"),
    (r"differs from its change record", "记录与其修改记录不一致（系统外被修改），请运行 intake audit verify"),
    (r"^you cannot disable yourself$", "不能停用自己的账户"),
    (r"^no user '([^']*)'", "没有用户 {1}"),
))
NOUNS: Final[dict[str, str]] = {"supplier": "供应商", "vehicle": "车辆", "order": "送货单", "material": "物料",
                                "plate": "车牌", "code": "编号", "name": "名称", "expected_kg": "预计重量",
                                "bed_length_mm": "车厢长度", "bed_width_mm": "车厢宽度", "name_zh": "中文名称", "this vehicle": "本车"}
REFUSED: Final[str] = "操作未完成"


def chinese(en: str) -> str:
    """The Chinese for one English admin message (REFUSED when its shape is not known)."""
    for shape, zh in SHAPES:
        found = shape.search(en)
        if found:
            groups = [NOUNS.get(g, g) for g in found.groups()]
            return zh.format(None, *groups)
    return REFUSED


def admin_words(en: str | None, lead_in: bool = True) -> Markup:
    """Every part of a message ("a; b") in Chinese, then the whole English beside. Without
    `lead_in` (error pages, whose heading is already in words) an unknown message stays as it is."""
    if not en:
        return Markup("")
    zh = chinese(en)
    if zh == REFUSED:   # several messages joined ("a; b"): each one's Chinese
        zh = "；".join(dict.fromkeys(chinese(part.strip()) for part in en.split("; ")))
    if zh == REFUSED and not lead_in:
        return Markup("{}").format(en)
    return Markup('<span class="i18n"><span lang="zh-CN">{}</span> <span lang="en" class="en">{}</span></span>'
                  ).format(zh, en)
