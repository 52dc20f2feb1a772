// The muster list (/ui/sites/{id}/muster): its Print button prints the page, which the
// print stylesheet (static/muster.css) lays out as a roll-call sheet. A same-origin
// file with no inline code, as the strict CSP asks; Ctrl+P does the same without it.
(function () {
  "use strict";

  function wire() {
    var buttons = document.querySelectorAll("[data-print]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
