// Copy buttons, without inline code (the strict CSP).
//
// A <button data-copy="FIELD-ID" data-copied="Copied"> copies the value of the field
// with that id (a one-time invitation link, a new API key) to the clipboard and then
// says so in its own text (data-copied: already in the page's language). Where the
// Clipboard API is not available (plain HTTP), the field is selected for Ctrl+C.
(function () {
  "use strict";

  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) {
      return;
    }
    var done = function () {
      button.textContent = button.getAttribute("data-copied") || "Copied";
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        field.select();
      });
    } else {
      field.select();
      if (document.execCommand("copy")) {
        done();
      }
    }
  }

  function wire() {
    var buttons = document.querySelectorAll("[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        copy(button);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
