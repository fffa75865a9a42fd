// Keyboard triage and frame zoom for the staff pages. No dependencies; the pages work
// without it (plain links and forms), it only makes them faster to drive.
(function () {
  "use strict";

  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" && t.type !== "radio" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
  }

  function queue() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row[data-href]"));
    var at = -1;
    rows.forEach(function (row) {
      row.addEventListener("click", function (e) { if (e.target.tagName !== "A") location.href = row.dataset.href; });
    });
    function select(i) {
      if (!rows.length) return;
      if (at >= 0) rows[at].classList.remove("selected");
      at = Math.max(0, Math.min(rows.length - 1, i));
      rows[at].classList.add("selected");
      rows[at].scrollIntoView({ block: "nearest" });
    }
    document.addEventListener("keydown", function (e) {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "j") { select(at + 1); e.preventDefault(); }
      else if (e.key === "k") { select(at - 1); e.preventDefault(); }
      else if (e.key === "Enter" && at >= 0) { location.href = rows[at].dataset.href; e.preventDefault(); }
      else if (e.key === "/") { var first = document.querySelector(".filters input, .filters select"); if (first) first.focus(); e.preventDefault(); }
    });
  }

  function item() {
    var zoom = document.querySelector(".zoom");
    var big = zoom && zoom.querySelector("img");
    var form = document.querySelector("form.decide");
    function open(img) { big.src = img.src; zoom.hidden = false; }
    function close() { zoom.hidden = true; }
    document.querySelectorAll("img[data-zoom]").forEach(function (img) {
      img.addEventListener("click", function () { open(img); });
      img.addEventListener("keydown", function (e) { if (e.key === "Enter") open(img); });
    });
    if (zoom) zoom.addEventListener("click", close);
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { close(); if (document.activeElement) document.activeElement.blur(); return; }
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && form) { form.requestSubmit(); e.preventDefault(); return; }
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      var radio = form && form.querySelector('input[type=radio][data-key="' + e.key + '"]');
      if (radio) { radio.checked = true; radio.focus(); e.preventDefault(); return; }
      if (e.key === "e" && form) { form.querySelector("input[name=reason]").focus(); e.preventDefault(); }
      else if (e.key === "n") { var skip = document.querySelector("a.skip"); if (skip) location.href = skip.href; }
      else if (e.key === "z") { var first = document.querySelector("img[data-zoom]"); if (first) open(first); }
      else if (e.key === "q") { var back = document.querySelector("a.back"); if (back) location.href = back.href; }
    });
  }

  if (document.body.classList.contains("queue-page")) queue();
  if (document.body.classList.contains("item-page")) item();
})();
