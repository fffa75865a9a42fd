// The attendant console on top of lanes.js: the answer form shown only while a lane's truck is
// held (naming that truck), each lane's latest sample frames, and the driver's call raised
// visibly (the card) and audibly (a short tone; browsers allow sound once the page was touched).
"use strict";

(function () {
  const body = document.body;
  body.dataset.beeps = "0";   // how many call tones were sounded (read by the browser tests)
  let audio = null;

  function tone() {
    body.dataset.beeps = String(Number(body.dataset.beeps) + 1);
    try {
      audio = audio || new AudioContext();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.6);
    } catch (e) {
      // No audio device: the card's cue stays.
    }
  }

  function frames(card) {
    const box = card.querySelector('[data-field="frames"]');
    fetch("/lanes/" + encodeURIComponent(card.dataset.lane) + "/frames.json", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : { frames: [] }))
      .then((data) => {
        if (!data.frames.length) return;
        box.replaceChildren(...data.frames.map((f) => {
          const img = document.createElement("img");
          img.src = f.url;
          img.alt = (f.label || "") + (f.confidence === null ? "" : " " + f.confidence.toFixed(2));
          img.title = img.alt;
          img.loading = "lazy";
          img.className = f.quality_ok ? "frame" : "frame frame-poor";
          return img;
        }));
      })
      .catch(() => {});
  }

  function answer(card, s) {
    const form = card.querySelector('[data-field="answer"]');
    const held = s.step === "held";
    if (held && card.querySelector('[data-field="answer-visit"]').value !== s.visit) {
      form.reset();   // a new truck: nothing typed for the last one carries over
    }
    card.querySelector('[data-field="answer-visit"]').value = held ? s.visit : "";
    form.hidden = !held;
  }

  // The log at the foot: fetched again (at most once a second) when a lane moves on or calls.
  let logDue = null;
  function refreshLog() {
    if (logDue) return;
    logDue = setTimeout(() => {
      logDue = null;
      fetch("/console/log", { credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : null))
        .then((rows) => {
          if (rows !== null) document.querySelector('[data-field="log"]').innerHTML = rows;   // server-escaped rows
        })
        .catch(() => {});
    }, 1000);
  }

  function call(card, s) {
    const at = s.called_at === null ? "" : String(s.called_at);
    if (s.called && at !== card.dataset.calledAt) {
      tone();
      refreshLog();
    }
    card.dataset.calledAt = at;
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelector('[data-testid="sound"]').addEventListener("click", () => {
      audio = audio || new AudioContext();
      audio.resume();
    });
    for (const card of document.querySelectorAll(".lane-card")) {
      frames(card);
      if (card.classList.contains("calling")) tone();
    }
    window.intakeLanes.onStatus((card, s) => {
      const before = card.dataset.shownStep;
      card.dataset.shownStep = s.step;
      answer(card, s);
      call(card, s);
      if (before !== s.step && (s.step === "held" || s.step === "decided")) frames(card);
      if (before !== undefined && before !== s.step) refreshLog();
    });
  });
})();
