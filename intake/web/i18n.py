"""Every string the driver kiosk shows, Chinese first, English second.

The same table is rendered by the server (first paint) and embedded as JSON for the page's
script (live updates), so the two can never disagree about wording.
"""
from __future__ import annotations

from typing import Final

from intake.lane.status import LaneStatus, LaneStep, Verdict

Text = tuple[str, str]  # (zh, en)

# Short name of the step, shown in the header pill.
STEP_LABELS: Final[dict[LaneStep, Text]] = {
    LaneStep.IDLE: ("等待车辆", "Waiting for truck"),
    LaneStep.ARRIVING: ("车辆识别", "Identifying"),
    LaneStep.POSITIONING: ("车辆就位", "Positioning"),
    LaneStep.WEIGHING_IN: ("称毛重", "Weighing in"),
    LaneStep.SAMPLING: ("取样", "Sampling"),
    LaneStep.INSPECTING: ("检验", "Inspecting"),
    LaneStep.HELD: ("等候值守员", "Waiting for the attendant"),
    LaneStep.DECIDED: ("判定结果", "Decision"),
    LaneStep.UNLOADING: ("卸料", "Unloading"),
    LaneStep.WEIGHING_OUT: ("称皮重", "Weighing out"),
    LaneStep.LEAVING: ("离场", "Leaving"),
    LaneStep.OUT_OF_SERVICE: ("暂停服务", "Out of service"),
}

# What the driver must do now. Keyed by step, "step.probe" in the probe cycle, and
# "step.route.verdict" / "step.route" once an exit arm is ordered, so the words follow the arm
# that opened (see instruction_key()). Before the probe may move, the driver leaves the cab for
# the marked safe zone beside the kiosk and confirms with its pushbutton (a sampler interlock).
INSTRUCTIONS: Final[dict[str, Text]] = {
    "idle": ("请驶上地磅", "Please drive onto the scale"),
    "arriving": ("正在识别车辆，请稍候", "Identifying your truck, please wait"),
    "positioning": ("请完全驶上地磅并停车", "Drive fully onto the scale and stop"),
    "weighing_in": ("正在称重，请勿移动", "Weighing, do not move"),
    "sampling": ("请下车到安全区，按下绿色确认按钮", "Leave the cab, stand in the safe zone, press the green button"),
    "sampling.confirmed": ("已确认，请留在安全区，取样即将开始", "Button press taken: stay in the safe zone, sampling starts"),
    "sampling.running": ("正在取样，请留在安全区，远离车辆", "Sampling: stay in the safe zone, keep away from the truck"),
    "inspecting": ("请稍候，正在处理", "Please wait, processing"),
    "inspecting.done": ("取样完成，请回到驾驶室，等待检验结果", "Sampling done: get back in the cab and wait for the result"),
    "held": ("请留在地磅上等候，值守员正在查看本车", "Stay on the scale: the attendant is looking at your load"),
    # The remote attendant's answer (keyed by it in place of the verdict; see status_key).
    "decided.plant.release": ("值守员已放行，请驶入厂区卸料", "Released by the attendant: drive into the plant to unload"),
    "decided.return.send_back": ("值守员决定退回，请从退回通道离开", "Sent back by the attendant: leave by the return lane"),
    "decided.return.park": ("请经退回通道驶入停车区等候通知", "Take the return lane to the parking bay and wait there"),
    # A decision whose arm is not ordered yet: hold the driver.
    "decided": ("请等待", "Please wait"),
    "decided.plant": ("请驶入厂区卸料", "Drive into the plant to unload"),
    "decided.plant.pass": ("合格，请驶入厂区卸料", "Accepted: drive into the plant to unload"),
    "decided.plant.unsampled": ("本车未抽检，请驶入厂区卸料", "Not sampled this time: drive into the plant to unload"),
    "decided.return": ("请从退回通道离开", "Leave by the return lane"),
    "decided.return.reject": ("不合格，请从退回通道离开", "Rejected: leave by the return lane"),
    "decided.return.review": ("待人工复核，请从退回通道离开，等待通知",
                              "Held for review: leave by the return lane, the plant will contact you"),
    "unloading": ("卸料后请返回地磅称皮重", "After unloading, return to the scale"),
    "unloading.reject": ("请从退回通道离开", "Leave by the return lane"),
    "weighing_out": ("正在称皮重，请勿移动", "Weighing the empty truck, do not move"),
    "leaving": ("称重完成，请驶离地磅", "Done: please drive off the scale"),
    "out_of_service": ("暂停服务，请勿驶上地磅", "Out of service: do not drive onto the scale"),
}

VERDICT_LABELS: Final[dict[str, Text]] = {
    "pass": ("合格", "ACCEPTED"),
    "reject": ("不合格", "REJECTED"),
    "review": ("待复核", "HELD FOR REVIEW"),
}

# Declared materials as configured; unknown ones are shown as their code.
MATERIALS: Final[dict[str, Text]] = {
    "sand": ("砂", "Sand"),
    "gravel": ("碎石", "Gravel"),
}

LABELS: Final[dict[str, Text]] = {
    "lane": ("{lane} 号地磅", "Lane {lane}"),
    "weight": ("重量", "Weight"),
    "plate": ("车牌", "Plate"),
    "material": ("物料", "Material"),
    "stable": ("稳定", "Stable"),
    "moving": ("波动", "Moving"),
    "reasons": ("原因", "Reasons"),
    "fault": ("故障", "Fault"),
    "connection_lost": ("连接中断，正在重新连接", "Connection lost, reconnecting"),
    "call": ("呼叫值守员", "Call the attendant"),
    "called": ("已呼叫值守员，请稍候", "The attendant has been called, please wait"),
    "call_failed": ("呼叫未送达，请再按一次", "The call did not go through, press again"),
    "points": ("已取样 {done} / {total} 点", "Core {done} of {total} taken"),
    "gross": ("毛重", "Gross"),
    "tare": ("皮重", "Tare"),
    "exit": ("出场重量", "Exit weight"),
    "net": ("净重", "Net"),
    "not_received": ("未收货", "Not received"),
    "ticket": ("磅单号", "Ticket no."),
    # The on-screen keypad (intake.web.kiosk_keypad): a driver whose card is not read keys the
    # delivery order code printed on the order.
    "keypad": ("无卡？请输入送货单号", "No card? Key in the delivery order code"),
    "keypad_ok": ("确认", "OK"),
    "keypad_back": ("退格", "Back"),
    "keypad_clear": ("清除", "Clear"),
    "code_accepted": ("单号已确认，请驶上地磅", "Code accepted: drive onto the scale"),
    "code_not_accepted": ("单号无效或不在本车道，请核对后重输", "Code not accepted: check it and key again"),
    "code_mistyped": ("单号输入有误（校验位不符），请核对后重输", "Code mistyped (check character): key it again"),
    "code_wait": ("错误次数过多，请稍候再试", "Too many wrong codes: wait a moment"),
    "code_offline": ("无法连接系统，请稍候再试", "Cannot reach the gate: try again shortly"),
}

# Why a truck was not admitted: replaces the idle instruction until the next truck.
REFUSALS: Final[dict[str, Text]] = {
    "unknown_vehicle": ("未登记车辆，禁止入场，请联系调度", "Vehicle not registered: no entry, call the dispatcher"),
    "no_open_order": ("无有效送货单，禁止入场，请联系调度", "No open delivery order: no entry, call the dispatcher"),
    # The store stopped taking records (LaneStatus.fault): nobody enters until it does again.
    "store:full": ("存储空间已满，暂停入场，请联系技术人员", "Storage full: no entry, call the technician"),
    "store:locked": ("数据库被占用，暂停入场，请稍候", "Database busy: no entry, please wait"),
    "store:read_only": ("存储只读，暂停入场，请联系技术人员", "Storage read-only: no entry, call the technician"),
    "store:io": ("存储故障，暂停入场，请联系技术人员", "Storage fault: no entry, call the technician"),
    "store:error": ("记录系统故障，暂停入场，请联系技术人员", "Record system fault: no entry, call the technician"),
    "watchdog": ("设备程序正在重启，暂停入场，请稍候", "A device program is restarting: no entry, please wait"),
    # The audit chain does not verify (intake.store.integrity): no truck until staff resolve it.
    "records_fail_verification": ("记录校验失败，暂停入场，请联系技术人员",
                                  "Records fail verification: no entry, call the technician"),
    # Lane faults (intake.lane.barriers): an arm that does not follow its order, a frozen module.
    "gate_io_frozen": ("道闸控制模块无响应，暂停入场，请联系技术人员",
                       "Gate control module not responding: no entry, call the technician"),
    # The I/O module did not answer when the lane started (intake.lane.driver): retried.
    "gate_io_unreachable": ("道闸控制模块未连接，暂停入场，请联系技术人员",
                            "Gate control module not connected: no entry, call the technician"),
}
_ARMS: Final[dict[str, tuple[str, str]]] = {"entry": ("入口", "Entry"), "plant": ("厂内", "Plant"),
                                           "return": ("返回", "Return")}
for _arm, (_zh, _en) in _ARMS.items():
    REFUSALS[f"barrier_{_arm}_limits"] = (f"{_zh}道闸限位开关故障，暂停入场，请联系技术人员",
                                         f"{_en} barrier limit switches disagree: no entry, call the technician")
    for _pos, (_pzh, _pen) in {"open": ("未抬起", "did not open"), "closed": ("未落下", "did not close")}.items():
        REFUSALS[f"barrier_{_arm}_not_{_pos}"] = (f"{_zh}道闸{_pzh}，暂停入场，请联系技术人员",
                                                 f"{_en} barrier {_pen}: no entry, call the technician")

# The reason codes the gate records, as the driver reads them; unknown codes show as given.
REASONS: Final[dict[str, Text]] = {
    "attendant_release": ("值守员放行", "Released by the remote attendant"),
    "attendant_send_back": ("值守员退回", "Sent back by the remote attendant"),
    "attendant_park": ("值守员安排停车区等候", "Sent to the parking bay by the remote attendant"),
    "attendant_timeout": ("值守员未在时限内处理", "The attendant did not answer in time"),
    "wrong_material": ("物料与订单不符", "Material does not match the order"),
    "muddy": ("含泥量超标", "Too much mud or clay"),
    "foreign_matter": ("含有杂物", "Foreign matter found"),
    "oversize_particles": ("含超粒径颗粒", "Oversize particles found"),
    "elongated_particles": ("针片状颗粒超标", "Too many elongated particles"),
    "particles_not_measured": ("粒径无法测量，需人工复核", "Particle size could not be measured: needs a check"),
    "grading_not_measured": ("级配无法测定，需人工复核", "Grading could not be measured: needs a check"),
    "d50_above_max": ("中值粒径偏粗", "Median grain size too coarse"),
    "d50_below_min": ("中值粒径偏细", "Median grain size too fine"),
    "oversize_share": ("粗颗粒比例超标", "Too large a share of coarse grains"),
    "low_confidence": ("无法确定，需人工复核", "Not certain: needs a person to check"),
    "frames_disagree": ("图像结果不一致", "Photos disagree"),
    "model_unavailable": ("检验系统不可用", "Inspection system unavailable"),
    # A truck the plan drew while the gate had no usable model: not probed, drives in unsampled.
    "not_sampled:model_unavailable": ("检验系统不可用，本车未取样", "Inspection system unavailable: not sampled"),
    "weight_unknown": ("称重信号中断", "Scale signal lost"),
    "no_stable_weight": ("重量不稳定", "Weight did not settle"),
    "truck_not_on_deck": ("车辆未完全上磅", "Truck not fully on the scale"),
    "indicator_reset": ("称重仪表重启", "Scale indicator restarted"),
    "gate_io_lost": ("道闸控制中断", "Gate control lost"),
    "weight_drift": ("称重后重量变化", "Weight changed after weighing"),
    "grating_blocked_after_weighing": ("称重后车辆移动", "Truck moved after weighing"),
    "repeat_weighing": ("短时间内重复称重", "Weighed again too soon"),
    "tare_mismatch": ("皮重与记录不符", "Empty weight does not match the record"),
    "stored_tare_expired": ("存储皮重已过期", "Stored empty weight is out of date"),
    "contamination_unconfirmed": ("局部发现杂质但整体图像不确定，需人工复核", "Contamination seen in part of an uncertain picture: a person decides"),
    "interlock:driver_out": ("司机未确认离开驾驶室", "Driver did not confirm leaving the cab"),
    "interlock:weight_recorded": ("进场重量未记录，取样停止", "Weigh-in not recorded: sampling stopped"),
    "interlock:truck_steady": ("取样时车辆移动或称重中断，取样停止", "Truck moved or scale signal lost: sampling stopped"),
    "interlock:barriers_closed": ("道闸未关闭，取样停止", "A barrier was not closed: sampling stopped"),
    "interlock:boom_clear": ("取样臂未归位", "Sampler boom not parked"),
    "interlock:zone_clear": ("有人进入磅区，取样停止", "Someone entered the scale zone: sampling stopped"),
    "interlock:io_alive": ("道闸控制模块无响应，取样停止", "Gate control module not responding: sampling stopped"),
    "interlock:lane_ok": ("道闸故障，取样停止", "Barrier fault: sampling stopped"),
    "interlock:not_wired": ("取样安全联锁未接线", "Sampler interlocks not wired"),
    "aborted_by_restart": ("系统重启，需人工复核", "System restarted: needs a check"),
    "store_full": ("存储空间已满，需人工复核", "Storage was full: needs a check"),
    "store_locked": ("数据库被占用，需人工复核", "Database was busy: needs a check"),
    "store_read_only": ("存储只读，需人工复核", "Storage was read-only: needs a check"),
}

UNKNOWN: Final[str] = "— —"  # shown for a weight or plate nobody knows


def instruction_key(step: LaneStep | str, verdict: Verdict | str | None, route: str | None = None,
                    probe: str | None = None) -> str:
    """The most specific INSTRUCTIONS key (the script mirrors this): the probe stage, then the
    arm ordered with the verdict (None: not sampled), the arm alone, the verdict, the step."""
    keys = [f"{step}.{probe}"] if probe else []
    if route:
        keys += [f"{step}.{route}.{verdict or 'unsampled'}", f"{step}.{route}"]
    if verdict:
        keys.append(f"{step}.{verdict}")
    return next((key for key in keys if key in INSTRUCTIONS), str(step))


def status_key(status: LaneStatus) -> str:
    # The attendant's answer names the route's words more exactly than the verdict it wrote.
    return instruction_key(status.step, status.attendant or status.verdict, status.route, status.probe)


def instruction(status: LaneStatus) -> Text:
    if status.step == LaneStep.IDLE and status.reasons and status.reasons[0] in REFUSALS:
        return REFUSALS[status.reasons[0]]
    if status.step == LaneStep.OUT_OF_SERVICE and status.fault:
        first = status.fault.split(", ", 1)[0]   # several lane faults: the first is shown
        family = first.split(":", 1)[0]          # "watchdog:<loop>:<why>" -> "watchdog"
        for key in (status.fault, first, family):
            if key in REFUSALS:
                return REFUSALS[key]
    return INSTRUCTIONS[status_key(status)]


def reason(code: str) -> Text:
    if code not in REASONS and code.startswith("interlock:") and "," in code:
        # several interlocks broke at once ("interlock:a,b"): each one's text, in order
        parts = [reason("interlock:" + name) for name in code.split(":", 1)[1].split(",")]
        return "；".join(p[0] for p in parts), "; ".join(p[1] for p in parts)
    return REASONS.get(code, (code, code))


def material(code: str | None, name: tuple[str, str] | None = None) -> Text | None:
    """The plant's own names for the material (master data) when the lane knows them."""
    if code is None:
        return None
    return name or MATERIALS.get(code, (code, code))


def format_weight(weight_kg: int | None) -> str:
    """Grouped by thousands with a space, as weighbridge displays do; the script mirrors this."""
    if weight_kg is None:
        return UNKNOWN
    return f"{weight_kg:,}".replace(",", " ")


def client_table() -> dict[str, dict[str, Text]]:
    """The table for the page script, embedded as JSON (keys are plain strings)."""
    return {
        "steps": {str(step): text for step, text in STEP_LABELS.items()},
        "instructions": dict(INSTRUCTIONS),
        "verdicts": dict(VERDICT_LABELS),
        "materials": dict(MATERIALS),
        "refusals": dict(REFUSALS),
        "reasons": dict(REASONS),
        "labels": dict(LABELS),
        "unknown": {"text": (UNKNOWN, UNKNOWN)},
    }
