// Lane overview and attendant console: applies every lane's snapshots from /lanes/events to
// its card. The server renders the first state; words come from the kiosk's table
// (#lanes-i18n), times are shown in the site's zone (main[data-tz]).
"use strict";

(function () {
  const table = JSON.parse(document.getElementById("lanes-i18n").textContent);
  const zone = document.querySelector("main").dataset.tz || "UTC";
  const clock = new Intl.DateTimeFormat("zh-CN", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  const listeners = [];

  function pair(el, text) {
    const zh = document.createElement("span");
    zh.lang = "zh-CN";
    zh.textContent = text ? text[0] : "";
    const en = document.createElement("span");
    en.lang = "en";
    en.className = "en";
    en.textContent = text ? text[1] : "";
    el.replaceChildren(zh, " ", en);
  }

  // Mirrors intake.web.i18n.format_weight.
  function formatWeight(kg) {
    if (kg === null || kg === undefined) return table.unknown.text[0];
    const digits = String(Math.abs(kg)).replace(/\B(?=(\d{3})+(?!\d))/g, " ");
    return (kg < 0 ? "-" : "") + digits;
  }

  function localTime(iso) {
    // "2026-12-06 14:03:05", as the server's localtime filter writes it.
    const parts = Object.fromEntries(clock.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
  }

  function field(card, name) {
    return card.querySelector('[data-field="' + name + '"]');
  }

  function render(card, s) {
    card.dataset.step = s.step;
    card.dataset.visit = s.visit || "";
    pair(field(card, "step"), table.steps[s.step] || [s.step, s.step]);
    field(card, "weight").textContent = formatWeight(s.weight_kg);
    field(card, "plate").textContent = s.plate || "—";
    const verdict = field(card, "verdict");
    if (s.verdict) pair(verdict, table.verdicts[s.verdict]); else verdict.textContent = "—";
    field(card, "reasons").replaceChildren(...(s.reasons || []).map((code) => {
      const li = document.createElement("li");
      pair(li, table.reasons[code] || [code, code]);   // text, never markup
      return li;
    }));
    field(card, "hold").hidden = s.hold_left_s === null;
    field(card, "hold-left").textContent = s.hold_left_s === null ? "" : String(s.hold_left_s);
    field(card, "fault-row").hidden = !s.fault;
    field(card, "fault").textContent = s.fault || "";
    field(card, "called").hidden = !s.called;
    card.classList.toggle("calling", Boolean(s.called));
    const updated = field(card, "updated");
    updated.dataset.at = s.updated_at;
    updated.textContent = localTime(s.updated_at);
    if (s.verdict && s.plate) {
      // The truck's decision becomes the lane's last one (the store's is shown at page load).
      const last = field(card, "last");
      last.replaceChildren();
      last.append(s.plate + " · ");
      const word = document.createElement("span");
      pair(word, table.verdicts[s.verdict]);
      last.append(word, " · " + localTime(s.updated_at));
    }
    for (const listener of listeners) listener(card, s);
  }

  function connect() {
    const banner = document.querySelector('[data-testid="lanes-connection"]');
    const source = new EventSource("/lanes/events");
    source.addEventListener("status", (event) => {
      banner.hidden = true;
      const s = JSON.parse(event.data);
      const card = document.getElementById("lane-" + s.lane);
      if (card) render(card, s);
    });
    source.addEventListener("heartbeat", () => { banner.hidden = true; });
    source.onerror = () => { banner.hidden = false; };   // EventSource reconnects by itself
  }

  // The console adds its own handling of each snapshot (console.js).
  window.intakeLanes = { onStatus: (fn) => listeners.push(fn), pair, localTime };
  document.addEventListener("DOMContentLoaded", connect);
})();
