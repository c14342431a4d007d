/* Baton: live countdowns, toasts, and small form behaviours. Vanilla JS, no dependencies. */
(function () {
  "use strict";
  var body = document.body;
  // Offset between the server's clock (Baton's clock, which a demo may move) and this browser's.
  var serverNow = Date.parse(body.getAttribute("data-server-now") || "");
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();
  var overdueLabel = body.getAttribute("data-label-overdue") || "overdue";

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  function format(seconds) {
    seconds = Math.abs(Math.trunc(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600);
    var m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    var hms = pad(h) + ":" + pad(m) + ":" + pad(s);
    return d ? d + "d " + hms : hms;
  }

  function tick() {
    var now = Date.now() + skew;
    var nodes = document.querySelectorAll("[data-due]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) continue;
      var left = (due - now) / 1000;
      if (left < 0) {
        el.textContent = overdueLabel + " " + format(-left);
        el.classList.add("overdue");
        el.classList.remove("due-soon");
      } else {
        el.textContent = format(left);
        el.classList.remove("overdue");
        el.classList.toggle("due-soon", left < 3600);
      }
    }
  }

  function fadeToasts(root) {
    var toasts = (root || document).querySelectorAll(".toast:not(.fading)");
    toasts.forEach(function (t) {
      t.classList.add("fading");
      setTimeout(function () { t.classList.add("fade"); }, 5000);
      setTimeout(function () { t.remove(); }, 5600);
    });
  }

  // Opportunity cards: the lost-reason field appears when a "lost" stage is chosen.
  function syncLostReason(select) {
    var form = select.form;
    var field = form && form.querySelector(".lost-reason");
    if (!field) return;
    var option = select.options[select.selectedIndex];
    var lost = option && option.getAttribute("data-kind") === "lost";
    field.hidden = !lost;
    var input = field.querySelector("input");
    if (input) input.required = lost;
  }

  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-stage-select]")) syncLostReason(e.target);
  });

  function init(root) {
    (root || document).querySelectorAll("select[data-stage-select]").forEach(syncLostReason);
    fadeToasts(root);
  }

  document.addEventListener("htmx:afterSettle", function (e) { init(e.target); tick(); });
  document.addEventListener("htmx:oobAfterSwap", function () { fadeToasts(); });
  // A server or network error that htmx does not swap: say so instead of failing silently.
  document.addEventListener("htmx:responseError", function () { toast(body.getAttribute("data-label-error")); });
  document.addEventListener("htmx:sendError", function () { toast(body.getAttribute("data-label-offline")); });

  function toast(text) {
    var box = document.getElementById("toasts");
    if (!box || !text) return;
    var t = document.createElement("div");
    t.className = "toast toast-error";
    t.setAttribute("role", "alert");
    t.textContent = text;
    box.appendChild(t);
    fadeToasts(box);
  }

  init(document);
  tick();
  setInterval(tick, 1000);
})();
