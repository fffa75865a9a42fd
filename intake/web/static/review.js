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
    var scale = 1;
    // Zoom by CSS transform (set through the CSSOM, which the strict CSP allows); the pointer's
    // position over the image is the spot that stays put.
    function magnify(next) {
      scale = Math.max(1, Math.min(8, next));
      big.style.transform = "scale(" + scale + ")";
      big.dataset.scale = String(scale);
    }
    function aim(e) {
      var box = big.getBoundingClientRect();
      var x = (e.clientX - box.left) / box.width * 100, y = (e.clientY - box.top) / box.height * 100;
      big.style.transformOrigin = Math.max(0, Math.min(100, x)) + "% " + Math.max(0, Math.min(100, y)) + "%";
    }
    function open(img) { big.src = img.src; magnify(1); zoom.hidden = false; }
    function close() { zoom.hidden = true; magnify(1); }
    if (zoom) {
      zoom.addEventListener("wheel", function (e) { aim(e); magnify(scale * (e.deltaY < 0 ? 1.25 : 0.8)); e.preventDefault(); },
                            { passive: false });
      big.addEventListener("mousemove", function (e) { if (scale > 1) aim(e); });
    }
    document.querySelectorAll("img[data-zoom]").forEach(function (img) {
      img.addEventListener("click", function () { open(img); });
      img.addEventListener("keydown", function (e) { if (e.key === "Enter") open(img); });
    });
    if (zoom) zoom.addEventListener("click", close);
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { close(); if (document.activeElement) document.activeElement.blur(); return; }
      if (zoom && !zoom.hidden) {
        if (e.key === "+" || e.key === "=") magnify(scale * 1.5);
        else if (e.key === "-") magnify(scale / 1.5);
        else if (e.key === "0") magnify(1);
        e.preventDefault();
        return;
      }
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
