// Conveyor dashboard: refreshes the page's content every data-refresh milliseconds by fetching the
// same address and swapping <main>, unless the user is busy with it (a selected row, a focused field).
(function () {
  "use strict";
  var every = parseInt(document.body.getAttribute("data-refresh") || "0", 10);
  if (!every) {
    return;
  }

  function busy(main) {
    var active = document.activeElement;
    return main.querySelector("input[type=checkbox]:checked") !== null
      || (active !== null && main.contains(active) && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(active.tagName));
  }

  function refresh() {
    var main = document.querySelector("main");
    if (document.hidden || main === null || busy(main)) {
      setTimeout(refresh, every);
      return;
    }

    fetch(location.href, { headers: { "X-Conveyor-Refresh": "1" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && !busy(main)) {
          var next = new DOMParser().parseFromString(html, "text/html").querySelector("main");
          if (next !== null) {
            main.innerHTML = next.innerHTML;
          }
        }
      })
      .catch(function () { /* the next round tries again */ })
      .then(function () { setTimeout(refresh, every); });
  }

  setTimeout(refresh, every);
})();
