// Driver kiosk: applies lane snapshots from the server's event stream to the page.
// The server renders the first state; this only keeps it current and shows when the link
// is lost. All wording comes from the i18n table the server embeds (#kiosk-i18n).
"use strict";

(function () {
  const body = document.body;
  const table = JSON.parse(document.getElementById("kiosk-i18n").textContent);
  const lane = body.dataset.lane;
  const heartbeatMs = Number(body.dataset.heartbeatMs) || 10000;
  // Three missed heartbeats: the link is dead even if the socket never said so.
  const deadAfterMs = 3 * heartbeatMs + 2000;
  const retryMs = 2000;
  const unknown = table.unknown.text[0];

  const part = (id) => document.querySelector('[data-testid="' + id + '"]');
  const field = (name) => document.querySelector('[data-field="' + name + '"]');

  function setText(el, text) {
    el.querySelector(".zh").textContent = text ? text[0] : "";
    el.querySelector(".en").textContent = text ? text[1] : "";
  }

  // Mirrors intake.web.i18n.format_weight.
  function formatWeight(kg) {
    if (kg === null || kg === undefined) return unknown;
    const digits = String(Math.abs(kg)).replace(/\B(?=(\d{3})+(?!\d))/g, " ");
    return (kg < 0 ? "-" : "") + digits;
  }

  // Mirrors intake.web.i18n.instruction_key: the probe stage, then the arm ordered with the
  // verdict (none: not sampled), the arm alone, the verdict, the step.
  function instructionKey(step, verdict, route, probe) {
    const keys = probe ? [step + "." + probe] : [];
    if (route) keys.push(step + "." + route + "." + (verdict || "unsampled"), step + "." + route);
    if (verdict) keys.push(step + "." + verdict);
    return keys.find((key) => table.instructions[key]) || step;
  }

  // Mirrors intake.web.i18n.instruction.
  function instruction(step, verdict, reasons, fault, route, probe) {
    if (step === "idle" && reasons && reasons.length && table.refusals[reasons[0]]) return table.refusals[reasons[0]];
    if (step === "out_of_service" && fault) {
      const family = fault.split(":")[0];  // "watchdog:<loop>:<why>" -> "watchdog"
      if (table.refusals[fault]) return table.refusals[fault];
      if (table.refusals[family]) return table.refusals[family];
    }
    return table.instructions[instructionKey(step, verdict, route, probe)] || [step, step];
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
  }

  // Mirrors intake.web.kiosk.points_text.
  function renderPoints(s) {
    const shown = (s.probe === "confirmed" || s.probe === "running") && s.points_total !== null;
    part("points").hidden = !shown;
    if (!shown) return;
    const values = { done: s.points_done || 0, total: s.points_total };
    const label = table.labels.points;
    setText(field("points"), [fill(label[0], values), fill(label[1], values)]);
    const bar = field("points-bar");
    bar.max = s.points_total || 1;
    bar.value = s.points_done || 0;
  }

  // Mirrors intake.web.kiosk.receipt_rows.
  function renderReceipt(s) {
    const r = s.receipt;
    part("receipt").hidden = !r;
    if (!r) return;
    const rows = [["gross", r.gross_kg], r.received ? ["tare", r.tare_kg] : ["exit", r.exit_kg], ["net", r.net_kg]];
    field("receipt-rows").replaceChildren(...rows.map(([key, kg]) => {
      const row = document.createElement("div");
      row.className = "receipt-row receipt-" + key;
      const dt = document.createElement("dt");
      for (const lang of ["zh", "en"]) {
        const span = document.createElement("span");
        span.className = lang;
        dt.append(span);
      }
      setText(dt, table.labels[key]);
      const dd = document.createElement("dd");
      dd.textContent = formatWeight(kg) + " kg";
      row.append(dt, dd);
      return row;
    }));
    part("ticket").hidden = r.ticket === null;
    field("ticket").textContent = r.ticket === null ? "" : String(r.ticket);
  }

  function stabilityOf(s) {
    if (s.weight_kg === null || s.weight_stable === null) return "unknown";
    return s.weight_stable ? "stable" : "moving";
  }

  function renderWeight(s) {
    field("weight").textContent = formatWeight(s.weight_kg);
    part("weight").classList.toggle("weight-unknown", s.weight_kg === null);
    const stability = stabilityOf(s);
    const el = part("stability");
    el.className = "stability stability-" + stability;
    setText(el, stability === "unknown" ? null : table.labels[stability]);
  }

  function renderTruck(s) {
    const plate = part("plate");
    plate.textContent = s.plate || unknown;
    plate.classList.toggle("plate-unknown", !s.plate);
    part("material").hidden = !s.material;
    if (s.material) setText(field("material"), s.material_name || table.materials[s.material] || [s.material, s.material]);
  }

  function renderVerdict(s) {
    const el = part("verdict");
    // Not sampled with a reason (the model unavailable): the driver reads why, without a verdict.
    const notSampled = !s.verdict && (s.reasons || []).some((r) => r.startsWith("not_sampled:"));
    el.hidden = !s.verdict && !notSampled;
    el.className = "verdict verdict-" + (s.verdict || "none");
    setText(field("verdict-label"), s.verdict ? table.verdicts[s.verdict] : null);
    const list = part("reasons");
    list.replaceChildren(...(s.reasons || []).map((reason) => {
      const li = document.createElement("li");
      for (const lang of ["zh", "en"]) {
        const span = document.createElement("span");
        span.className = lang;
        li.append(span);
      }
      setText(li, table.reasons[reason] || [reason, reason]); // text, never markup
      return li;
    }));
  }

  // The driver's call for the remote attendant: the page posts it, the lane's snapshot says it
  // is raised (so every kiosk screen of the lane shows it, and a reload too).
  let callFailed = false;
  function renderCall(s) {
    const shown = s.called ? table.labels.called : (callFailed ? table.labels.call_failed : null);
    part("call-state").hidden = !shown;
    if (shown) setText(part("call-state"), shown);
  }

  const callButton = part("call");
  if (callButton) {
    callButton.addEventListener("click", () => {
      callButton.disabled = true;
      fetch("/kiosk/" + encodeURIComponent(lane) + "/call", { method: "POST" })
        .then((r) => { callFailed = !r.ok; })
        .catch(() => { callFailed = true; })
        .finally(() => {
          callButton.disabled = false;
          if (callFailed) renderCall({ called: false });
        });
    });
  }

  function render(s) {
    body.dataset.step = s.step;
    body.dataset.verdict = s.verdict || "";
    setText(part("step"), table.steps[s.step] || [s.step, s.step]);
    // The attendant's answer keys the words in place of the verdict (intake.web.i18n.status_key).
    setText(part("instruction"), instruction(s.step, s.attendant || s.verdict, s.reasons, s.fault, s.route, s.probe));
    renderCall(s);
    part("fault").hidden = !s.fault;
    field("fault").textContent = s.fault || "";
    renderWeight(s);
    renderTruck(s);
    renderVerdict(s);
    renderPoints(s);
    renderReceipt(s);
  }

  // --- the link ---------------------------------------------------------------------------
  let source = null;
  let watchdog = 0;
  let retry = 0;

  function setOnline(online) {
    part("connection").hidden = online;
    body.classList.toggle("offline", !online);
  }

  function armWatchdog() {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => { setOnline(false); reopen(); }, deadAfterMs);
  }

  function alive() {
    setOnline(true);
    armWatchdog();
  }

  // EventSource retries network errors by itself, but gives up for good on an HTTP error
  // (a restarted server that does not know the lane yet) and never notices a silent link.
  function reopen() {
    if (source) source.close();
    clearTimeout(retry);
    retry = setTimeout(connect, retryMs);
  }

  function connect() {
    // The screen's display token, if its page URL has one, keeps its stream ahead of strangers'.
    const display = new URLSearchParams(window.location.search).get("display");
    const query = display ? "?display=" + encodeURIComponent(display) : "";
    source = new EventSource("/kiosk/" + encodeURIComponent(lane) + "/events" + query);
    source.addEventListener("status", (event) => {
      let status;
      try { status = JSON.parse(event.data); } catch (err) { return; }
      alive();
      render(status);
    });
    source.addEventListener("heartbeat", alive);
    source.addEventListener("error", () => {
      setOnline(false);
      if (source.readyState === EventSource.CLOSED) reopen();
    });
    armWatchdog();
  }

  // A driver screen: no context menu from a long press.
  document.addEventListener("contextmenu", (event) => event.preventDefault());
  connect();
})();
