// The kiosk's order-code keypad: the driver keys PO-XXXXX-XXXXXX on the screen; the code is
// posted to /kiosk/<lane>/order-code and the answer shown in words from the i18n table. Shown
// only while the lane waits for a truck (the step kiosk.js puts on <body>).
"use strict";

(function () {
  const body = document.body;
  const table = JSON.parse(document.getElementById("kiosk-i18n").textContent);
  const lane = body.dataset.lane;
  const panel = document.querySelector('[data-testid="keypad"]');
  const shown = document.querySelector('[data-testid="keypad-code"]');
  const message = document.querySelector('[data-testid="keypad-message"]');
  const CHARS = 11;              // 10 random characters and the check character
  const ANSWERS = {202: "code_accepted", 404: "code_not_accepted", 422: "code_mistyped", 429: "code_wait"};
  let typed = "";
  let sending = false;

  function say(key, ok) {
    const text = key ? table.labels[key] : null;
    message.querySelector(".zh").textContent = text ? text[0] : "";
    message.querySelector(".en").textContent = text ? text[1] : "";
    message.classList.toggle("ok", Boolean(ok));
  }

  function render() {
    // Shown as printed on the order: PO-XXXXX-XXXXXX
    shown.textContent = "PO-" + typed.slice(0, 5) + (typed.length > 5 ? "-" + typed.slice(5) : "");
  }

  async function send() {
    if (sending || typed.length !== CHARS) { say("code_mistyped"); return; }
    sending = true;
    const display = new URLSearchParams(window.location.search).get("display");
    const query = display ? "?display=" + encodeURIComponent(display) : "";
    try {
      const reply = await fetch("/kiosk/" + encodeURIComponent(lane) + "/order-code" + query, {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({code: shown.textContent}),
      });
      say(ANSWERS[reply.status] || "code_not_accepted", reply.status === 202);
      if (reply.status === 202) typed = "";
    } catch (err) {
      say("code_offline");
    } finally {
      sending = false;
      render();
    }
  }

  panel.addEventListener("click", (event) => {
    const key = event.target.closest("button");
    if (!key) return;
    if (key.dataset.key && typed.length < CHARS) { typed += key.dataset.key; say(null); }
    else if (key.dataset.action === "back") typed = typed.slice(0, -1);
    else if (key.dataset.action === "clear") { typed = ""; say(null); }
    else if (key.dataset.action === "ok") { send(); return; }
    render();
  });

  // Only while the lane waits for a truck; kiosk.js keeps <body data-step> current.
  new MutationObserver(() => { panel.hidden = body.dataset.step !== "idle"; })
    .observe(body, {attributes: true, attributeFilter: ["data-step"]});
})();
