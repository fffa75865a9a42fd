"""Every word the staff pages show, Chinese first, English beside (the kiosk's approach).

One table for headings, labels and buttons (STAFF), the verdicts and the classifier's labels
in words; reason codes reuse the kiosk's REASONS (intake.web.i18n), so a driver and a quality
engineer read the same words for the same code. Where a code has a word, pages show the word
with the code in a title attribute (and small print where engineers need it), never the code
alone. `install(env, site_time)` gives the templates `t`, the word filters and the time filters.
"""
from __future__ import annotations

from typing import Final

from jinja2 import Environment
from markupsafe import Markup

from intake.web.admin_words import admin_words
from intake.web.degraded import Problems, banners, none
from intake.web.i18n import VERDICT_LABELS, Text, reason
from intake.web.localtime import SiteTime

# Staff know the gate's verdict names: the word first, the verdict as the gate records it beside.
VERDICTS: Final[dict[str, Text]] = {v: (zh, v.upper()) for v, (zh, _) in VERDICT_LABELS.items()}

# The classifier's labels (intake.config.LABELS), as a quality engineer names them.
CLASS_LABELS: Final[dict[str, Text]] = {
    "clean_sand": ("洁净砂", "Clean sand"),
    "clean_gravel": ("洁净碎石", "Clean gravel"),
    "muddy": ("含泥", "Muddy"),
    "foreign": ("含杂物", "Foreign matter"),
    "empty": ("空车厢", "Empty bed"),
}

STAFF: Final[dict[str, Text]] = {
    # navigation and session
    "brand": ("进料质检", "Intake review"),
    "nav.queue": ("复核队列", "Queue"),
    "nav.suppliers": ("供应商", "Suppliers"),
    "nav.orders": ("送货单", "Orders"),
    "nav.vehicles": ("车辆", "Vehicles"),
    "nav.users": ("用户", "Users"),
    "logout": ("退出", "Log out"),
    "role.reviewer": ("复核员", "reviewer"),
    "role.admin": ("管理员", "admin"),
    "role.attendant": ("值守员", "attendant"),
    "nav.lanes": ("车道总览", "Lanes"),
    "nav.console": ("值守台", "Console"),
    # the lane overview and the attendant console
    "lanes.title": ("车道总览", "Lane overview"),
    "lanes.lane": ("地磅", "Lane"),
    "lanes.empty": ("尚无车道运行", "No lane is running yet"),
    "lanes.connection_lost": ("实时连接中断，正在重新连接", "Live link lost, reconnecting"),
    "lane.weight": ("重量", "Weight"),
    "lane.plate": ("车牌", "Plate"),
    "lane.current": ("本车判定", "This truck"),
    "lane.last": ("上一判定", "Last decision"),
    "lane.updated": ("更新于", "Updated"),
    "lane.hold_left": ("等候值守剩余", "Waiting for the attendant, left"),
    "lane.called": ("司机正在呼叫值守员", "The driver is calling the attendant"),
    "lane.fault": ("故障", "Fault"),
    "lane.frames": ("最新取样照片", "Latest sample frames"),
    "lane.frames_none": ("暂无取样照片", "No sample frames yet"),
    "lane.deck": ("地磅抓拍", "Deck snapshots"),
    "lane.deck_none": ("暂无地磅抓拍", "No deck snapshots yet"),
    "console.title": ("远程值守台", "Remote attendant console"),
    "console.held": ("本车待复核，等候值守员处理", "Held in REVIEW: waiting for your answer"),
    "console.reason": ("理由（必填）", "Reason (required)"),
    "console.action.release": ("放行入厂", "Release to the plant"),
    "console.action.send_back": ("退回", "Send back"),
    "console.action.park": ("停车区等候", "Hold in the parking bay"),
    "console.refused.reason_required": ("未提交：必须填写理由", "Not sent: a reason is required"),
    "console.refused.bad_action": ("未提交：未知操作", "Not sent: unknown action"),
    "console.refused.not_held": ("未提交：该车已不在等候值守状态", "Not sent: that truck is no longer held"),
    "console.sent": ("已提交，由闸口执行并记录", "Sent: the gate carries it out and records it"),
    "console.sound": ("开启提示音", "Turn the sound on"),
    "console.log": ("值守记录", "Attendant log"),
    "console.kind.call": ("司机呼叫", "driver's call"),
    "console.kind.request": ("值守员提交", "attendant's request"),
    "console.kind.done": ("已执行", "carried out"),
    "console.kind.refused": ("闸口拒绝", "refused by the gate"),
    "login": ("登录", "Log in"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "login.wrong": ("用户名或密码错误", "wrong username or password"),
    "login.throttled": ("登录失败次数过多，请 {wait} 秒后再试", "too many failed attempts; try again in {wait} s"),
    "zoom_hint": ("点击图像（或按 z）放大；滚轮或 +/- 缩放，0 复位，Esc 或点击关闭",
                  "Click a frame (or z) to open it; wheel or +/- zoom, 0 resets, Esc or a click closes"),
    # queue filters
    "from": ("起始日期", "From"),
    "to": ("截止日期", "To"),
    "supplier": ("供应商", "Supplier"),
    "material": ("物料", "Material"),
    "verdict": ("判定", "Verdict"),
    "label": ("标签", "Label"),
    "status": ("状态", "Status"),
    "all": ("全部", "all"),
    "reject_review": ("不合格 + 待复核", "reject + review"),
    "status.pending": ("待复核", "pending"),
    "status.reviewed": ("已复核", "reviewed"),
    "status.all": ("全部", "all"),
    "status.flagged": ("抽检存疑", "flagged"),
    "search": ("查找", "Search"),
    "search.clear": ("清除查找", "clear search"),
    "search_hint": ("车牌、单号、进场编号或盲样编号", "plate, order, visit or blind code"),
    "filter": ("筛选", "Filter"),
    "show": ("显示", "Show"),
    "items": ("条", "items"),
    "export.visits": ("进场记录 CSV", "visits CSV"),
    "export.inspections": ("检验记录 CSV", "inspections CSV"),
    "date_hint": ("日期格式 年-月-日", "dates as YYYY-MM-DD"),
    # queue table
    "col.decided": ("判定时间", "Decided"),
    "col.conf": ("置信度", "Conf."),
    "col.plate": ("车牌", "Plate"),
    "col.reasons": ("原因", "Reasons"),
    "col.review": ("复核", "Review"),
    "col.photo": ("图像", "Photo"),
    "photos_removed": ("图像已删除", "Photos removed under the retention policy"),
    "nothing": ("没有记录", "Nothing here."),
    "queue.done": ("此筛选下没有更多待复核记录", "No more pending items under this filter."),
    "fails_verification": ("记录校验失败", "FAILS VERIFICATION"),
    "row_fails": ("记录校验失败", "fails verification"),
    "newest": ("最新", "newest"),
    "older": ("更早", "older"),
    "keys": ("快捷键", "Keys"),
    # inspection page
    "back": ("返回队列", "queue"),
    "frames": ("图像", "Frames"),
    "probs": ("标签概率", "Label probabilities"),
    "frame_labels": ("各帧标签（置信度）", "Frame labels (confidence)"),
    "no_classification": ("无分类结果", "No classification."),
    "aggregate": ("综合结果", "Aggregate"),
    "frames_agree": ("各帧一致", "Frames agree"),
    "faults": ("故障", "Faults"),
    "model": ("模型", "Model"),
    "measurements": ("测量", "Measurements"),
    "truck": ("车辆、订单、重量", "Truck, order, weights"),
    "order": ("送货单", "Order"),
    "visit": ("进场", "Visit"),
    "lane": ("地磅", "lane"),
    "gross": ("毛重", "Gross"),
    "tare": ("皮重", "Tare"),
    "net": ("净重", "Net"),
    "expected": ("预计", "expected"),
    "sample": ("样品", "Sample"),
    "blind_code": ("盲样编号", "blind code"),
    "lab": ("化验", "Lab"),
    "sampling_points": ("取样点", "Sampling points"),
    "not_sampled": ("未取样", "Not sampled."),
    "rules": ("触发的规则", "Rules that fired"),
    "gate_verdict": ("系统判定", "Gate verdict"),
    "at": ("时间", "at"),
    "none": ("无", "none"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "audit": ("审计记录", "Audit trail"),
    "review_by": ("复核人", "Review by"),
    "decision": ("复核决定", "Decision"),
    "label_training": ("标签（用于训练）", "Label (training)"),
    "reason": ("理由", "Reason"),
    "record": ("提交决定", "Record decision"),
    "skip": ("跳过", "skip"),
    "quality_ok": ("图像质量合格", "quality ok"),
    "quality_bad": ("图像质量不合格", "quality"),
    # the measurement block (_measurements.html)
    "particles": ("颗粒", "Particles"),
    "largest": ("最大粒径", "Largest"),
    "median": ("中值粒径", "Median"),
    "elongated": ("针片状比例", "Elongated"),
    "grains_sized": ("已测颗粒", "Grains sized"),
    "scale": ("比例尺", "Scale"),
    "not_measured": ("未测量", "Not measured"),
    "grading": ("级配（压实表面）", "Grading (packed surface)"),
    "frames_graded": ("已测级配帧数", "Frames graded"),
    "not_graded": ("未测级配", "Not graded"),
    # suppliers
    "reject_rate_chart": ("各供应商、物料的不合格率", "Reject rate per supplier and material"),
    "totals": ("合计", "Totals"),
    "supplier_material": ("供应商 / 物料", "Supplier / material"),
    "sampled": ("抽检", "Sampled"),
    "rejected": ("不合格", "Rejected"),
    "held": ("待复核", "Held (review)"),
    "reject_rate": ("不合格率", "Reject rate"),
    "no_sampled": ("此期间没有抽检记录", "No sampled loads in this period."),
    "lots": ("批次", "Lots"),
    "lot": ("批次", "Lot"),
    "lot_state": ("开闭", "State"),
    "trucks": ("车数", "Trucks"),
    "passed": ("合格", "Passed"),
    "first": ("首车", "First"),
    "last": ("末车", "Last"),
    "open": ("进行中", "open"),
    "closed": ("已结束", "closed"),
    "no_lots": ("此期间没有批次", "No lots in this period."),
    "lot.rejected": ("不合格", "rejected"),
    "lot.held": ("待复核", "held"),
    "lot.passed": ("合格", "passed"),
    "lot.sampling": ("检验中", "sampling"),
    "lot.unsampled": ("未抽检", "unsampled"),
    # admin pages
    "orders_title": ("送货单", "Delivery orders"),
    "vehicles_title": ("车辆：存储皮重", "Vehicles: stored tare"),
    "users_title": ("用户", "Users"),
    "code_or_plate": ("单号或车牌", "Code or plate"),
    "vehicle": ("车辆", "Vehicle"),
    "expected_kg": ("预计重量 kg", "Expected kg"),
    "state": ("状态", "State"),
    "change_reason": ("修改（须填理由）", "Change, with a reason"),
    "stored_tare": ("存储皮重 kg", "Stored tare kg"),
    "weighed": ("称重时间", "Weighed"),
    "correct": ("修正", "Correct"),
    "user": ("用户", "User"),
    "role": ("角色", "Role"),
    "created": ("创建日期", "Created"),
    "enable": ("启用", "Enable"),
    "disable": ("停用", "Disable"),
    "active": ("启用中", "active"),
    "disabled": ("已停用", "disabled"),
    "clear_delay": ("清除登录延迟", "Clear login delay"),
    "close": ("关闭", "Close"),
    "reopen": ("打开", "Open"),
    "recent_changes": ("最近修改", "Recent changes"),
    "when": ("时间", "When"),
    "who": ("修改人", "Who"),
    "row": ("记录", "Row"),
    "change": ("修改内容", "Change"),
    "why": ("理由", "Why"),
    "no_changes": ("尚无修改记录", "No changes recorded yet."),
    "no_match": ("没有匹配的记录", "No rows match."),
    "nav.admin_suppliers": ("供应商资料", "Supplier records"),
    "suppliers_title": ("供应商资料", "Suppliers"),
    "add_supplier": ("添加供应商", "Add a supplier"),
    "add_vehicle": ("添加车辆（含 IC 卡）", "Add a vehicle (with its card)"),
    "add_order": ("添加送货单", "Add a delivery order"),
    "add": ("添加", "Add"),
    "code": ("编号", "Code"),
    "name": ("名称", "Name"),
    "bed_length": ("车厢内长 mm", "Bed length mm"),
    "bed_width": ("车厢内宽 mm", "Bed width mm"),
    "card": ("IC 卡号", "Card"),
    "cards": ("IC 卡", "Cards"),
    "bind_card": ("绑定", "Bind"),
    "bind_card_title": ("绑定 IC 卡", "Bind a card to a vehicle"),
    "withdraw_card": ("注销卡", "Withdraw a card"),
    "withdraw": ("注销", "Withdraw"),
    "order_code_auto": ("留空则自动生成", "blank: a new keypad code"),
    "reason_field": ("理由", "Reason"),
    "hint.suppliers": ("添加供应商须填写理由；每次添加记入链式修改记录。批量导入用命令 intake suppliers import。",
                       "Add a supplier with a reason; each addition is a chained change record."),
    # explanations: pages show the Chinese sentence, then their fuller English one (with commands)
    "hint.orders": ("打开或关闭送货单；每次修改都须填写理由，并记入链式修改记录。",
                    "Open or close an order; each change needs a reason and is a chained change record."),
    "hint.vehicles": ("修正存储皮重须填写空车称重日期和理由；每次修改记入链式修改记录，皮重从该日期起计算有效期。",
                      "Correct a stored tare with the date it was weighed and a reason; the tare ages from that date."),
    "hint.users": ("在闸机电脑上用命令添加用户、设置密码。", "Add users and set passwords on the gate."),
    "hint.lots": ("批次为同一供应商同一物料的连续送货（抽样计划的分组，每批至少抽检一次）。",
                  "A lot is a run of one supplier's deliveries of one material."),
    "hint.record_fails": ("记录校验失败：数据库中的内容已与闸机记录不一致，依赖这些记录的数值不显示；问题解决前各车道不接收车辆。",
                          "Record fails verification: values resting on those rows are not shown."),
    "no_frames": ("未拍摄图像", "No frames were taken"),
    # spot-checks of PASS loads (intake.store.spotchecks)
    "spot.title": ("抽检合格车辆", "Spot-check this PASS"),
    "spot.finding": ("抽检结论", "Finding"),
    "spot.agrees": ("同意合格", "agrees"),
    "spot.disagrees": ("不同意", "disagrees"),
    "spot.reason": ("说明（不同意时必填）", "Note (required to disagree)"),
    "spot.record": ("提交抽检", "Record spot-check"),
    "spot_check_hint": ("抽检不改变系统判定；不同意时此车标记为存疑，由另一位质检员复核。",
                        "A spot-check never changes the decision; one that disagrees flags the load for another "
                        "quality engineer's review."),
    "flagged.notice": ("抽检不同意此合格判定：请另一位质检员复核。", "A spot-check disagreed with this PASS: it waits for a review."),
    "flagged.by_you": ("此车由您标记，须由他人复核。", "You flagged it: someone else reviews it."),
    # repeat weighings (intake.store.repeats)
    "repeat.earlier": ("重复称重：上一次进场", "Repeat of the earlier visit"),
    "repeat.later": ("此后的重复称重", "Weighed again in visit"),
    "weighed_out": ("出场称重", "weighed out"),
    # lab results (intake.lab.results)
    "lab.pass": ("化验合格", "lab pass"),
    "lab.fail": ("化验不合格", "lab fail"),
    "lab.none": ("尚无化验结果", "No lab result yet"),
    # suppliers: anti-cheat apart from quality (intake.store.supplier_rates)
    "held_quality": ("质量待复核", "Held (quality)"),
    "anti_cheat": ("防作弊拦截", "Anti-cheat holds"),
    "hint.anti_cheat": ("防作弊拦截（重复称重、皮重或身份与记录不符）单独计数，不计入物料质量问题。",
                        "Anti-cheat holds (a repeat weighing, a tare or identity that does not match the record) are "
                        "counted apart: they are not quality problems of the material."),
}

# What the lab reports (intake sample result --property), as a quality engineer names it.
LAB_PROPERTIES: Final[dict[str, Text]] = {
    "silt_pct": ("含泥量 %", "Silt content %"),
    "clay_lumps_pct": ("泥块含量 %", "Clay lumps %"),
    "fineness_modulus": ("细度模数", "Fineness modulus"),
    "moisture_pct": ("含水率 %", "Moisture %"),
    "crushing_value_pct": ("压碎值 %", "Crushing value %"),
    "flaky_pct": ("针片状含量 %", "Flaky and elongated %"),
}

# Error pages (staff and kiosk style): the status's words; the detail follows in English.
ERRORS: Final[dict[int, Text]] = {
    400: ("请求有误", "Bad request"),
    403: ("没有权限", "Not allowed"),
    404: ("页面或记录不存在", "Not found"),
    405: ("不支持此操作", "Method not allowed"),
    409: ("记录已被修改", "Conflict"),
    413: ("提交的内容过大", "Too large"),
    422: ("填写的内容有误", "Invalid input"),
    429: ("请求过于频繁，请稍后再试", "Too many requests"),
    500: ("系统内部错误，请联系技术人员", "Internal error: call the technician"),
    503: ("服务暂不可用，请稍候", "Service unavailable"),
}


# Messages the review post answers with (intake.store.reviews, intake.web.review), by how the
# English starts: the Chinese is put before it; an unknown message is shown as it is.
MESSAGES: Final[dict[str, str]] = {
    "verdict must be one of": "复核结论只能是合格或不合格",
    "label must be one of": "标签不在可选范围内",
    "a reason of 3 to 500 characters is required": "请填写 3 至 500 字的理由",
    "this item changed since it was opened": "打开后此记录已有变化，请重新查看",
    "someone else reviewed this item first": "已有其他人先复核了此记录",
    "this record fails verification": "此记录校验失败，不能复核",
    "only a PASS load is spot-checked": "只有合格车辆可以抽检",
    "a PASS load is spot-checked first": "合格车辆须先抽检，抽检不同意后才可复核",
    "a load you flagged is reviewed by someone else": "您标记的车辆须由他人复核",
}


def message(en: str | None) -> Markup:
    """A message for staff: the Chinese for it when there is one, the English beside."""
    if not en:
        return Markup("")
    zh = next((zh for start, zh in MESSAGES.items() if en.startswith(start)), None)
    return _pair((zh, en)) if zh else Markup("{}").format(en)


def text(key: str) -> Text:
    return STAFF[key]   # a missing key is a bug in a template: fail loudly, in the tests


def _pair(words: Text, code: str | None = None) -> Markup:
    zh, en = words
    title = Markup(' title="{}"').format(code) if code else Markup("")
    return Markup('<span class="i18n"{}><span lang="zh-CN">{}</span> <span lang="en" class="en">{}</span></span>'
                  ).format(title, zh, en)


def t(key: str) -> Markup:
    """A heading, label or button: Chinese, then English in smaller type."""
    return _pair(text(key))


def verdict(code: str | None) -> Markup:
    if not code:
        return _pair(STAFF["none"])
    return _pair(VERDICTS.get(code, (code, code.upper())), code)


def class_label(code: str | None) -> Markup:
    if not code:
        return Markup("—")
    return _pair(CLASS_LABELS.get(code, (code, code)), code)


def reason_words(code: str) -> Markup:
    """A reason code in words, the code kept in small print for engineers."""
    zh, en = reason(code)
    return Markup('<span class="reason" title="{}"><span lang="zh-CN">{}</span> <span lang="en" class="en">{}</span>'
                  ' <code class="code">{}</code></span>').format(code, zh, en, code)


def reasons_words(codes: list[str] | None) -> Markup:
    return Markup("；").join(reason_words(c) for c in codes or []) or Markup("—")


def lab_property(code: str) -> Markup:
    return _pair(LAB_PROPERTIES.get(code, (code, code)), code)


def error_words(status: int) -> Text:
    return ERRORS.get(status, ERRORS[500] if status >= 500 else ERRORS[400])


def install(env: Environment, site_time: SiteTime, problems: Problems = none) -> None:
    """The words and the site's times for every template of the app; `problems` names what
    the gate cannot do now (a banner on every staff page, intake.web.degraded)."""
    env.globals.update(t=t, site_time=site_time, words=STAFF, verdict_names=VERDICTS, label_names=CLASS_LABELS,
                       degraded=lambda: banners(problems), lab_property=lab_property)
    env.filters.update(message_words=message, admin_words=admin_words, verdict_words=verdict, label_words=class_label, reason_words=reason_words,
                       reasons_words=reasons_words, localtime=site_time.minute, localtime_s=site_time.second,
                       localday=site_time.day)
