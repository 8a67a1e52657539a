// revflow ops console: progressive enhancement only. Every page works without this script.
// 1. Forms with data-confirm ask before they are sent (cancelling undoes completed steps).
// 2. A deal page whose workflows may still move watches their status and reloads when it changes.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  function watchDeal(deal) {
    var url = deal.getAttribute("data-status-url");
    var shown = deal.getAttribute("data-revision");
    var live = document.getElementById("live");
    var started = Date.now();
    var busy = false;

    function delay(settled) {
      var minutes = (Date.now() - started) / 60000;
      if (minutes > 30) { return null; }            // a page left open all day stops asking
      return settled ? (minutes < 2 ? 3000 : 15000) : 1500;
    }

    function tick() {
      if (busy || document.hidden) { schedule(false); return; }
      busy = true;
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (status) {
          busy = false;
          if (!status) { schedule(true); return; }
          if (status.revision !== shown) {
            if (live) { live.textContent = "The deal changed; showing the latest."; }
            window.location.reload();
            return;
          }
          schedule(status.settled);
        })
        .catch(function () { busy = false; schedule(true); });
    }

    function schedule(settled) {
      var wait = delay(settled);
      if (wait !== null) { window.setTimeout(tick, wait); }
    }

    schedule(false);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var deal = document.getElementById("deal");
    if (deal && window.fetch) { watchDeal(deal); }
  });
})();
