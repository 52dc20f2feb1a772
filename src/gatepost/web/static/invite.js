// Invitations, without inline code (the strict CSP).
//
// The invitation page (/ui/invite#<token>): the token comes in the URL's fragment, which
// browsers never send to a server, so it is in no access log, proxy log or Referer. This
// script moves it into the form's token field, removes it from the address bar and the
// history entry, and asks POST /api/v1/invitations/check (token in the body) which
// organisation and role the link is for; a used, revoked or expired link says so at once.
//
// The page that shows a new link: [data-copy] buttons copy the field they name.
(function () {
  "use strict";

  var ROLES = {
    admin: "administrator",
    operator: "operator",
    guard: "guard",
    hr: "HR officer",
    auditor: "auditor"
  };

  function wireCopy() {
    var buttons = document.querySelectorAll("[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
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
      });
    });
  }

  function showProblem(message) {
    var problem = document.getElementById("invite-problem");
    if (!problem) {
      return;
    }
    problem.querySelector("p").textContent = message;
    problem.hidden = false;
    var form = document.getElementById("invite-form");
    if (form) {
      form.hidden = true;
    }
  }

  function describe(about, preview) {
    var role = ROLES[preview.role] || preview.role;
    about.textContent = "";
    about.appendChild(document.createTextNode("You are invited to join "));
    var name = document.createElement("strong");
    name.id = "invite-tenant";
    name.textContent = preview.tenant_name;
    about.appendChild(name);
    about.appendChild(document.createTextNode(" as " + role + ". Choose your username and password; you sign in to "));
    var slug = document.createElement("code");
    slug.textContent = preview.tenant_slug;
    about.appendChild(slug);
    about.appendChild(document.createTextNode("."));
  }

  function check(token) {
    var about = document.getElementById("invite-about");
    fetch("/api/v1/invitations/check", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ token: token }),
      credentials: "omit",
      cache: "no-store"
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (answer) {
        if (answer.ok) {
          describe(about, answer.body);
        } else {
          var error = answer.body && answer.body.error;
          var text = error && error.message ? error.message : "this invitation cannot be used";
          showProblem(text.charAt(0).toUpperCase() + text.slice(1) + ".");
        }
      })
      .catch(function () {
        // Offline or refused: the form still works, and the server checks the token.
      });
  }

  function wireInvite() {
    var field = document.getElementById("invite-token");
    if (!field) {
      return;
    }
    var fragment = window.location.hash.replace(/^#/, "");
    if (fragment) {
      try {
        field.value = decodeURIComponent(fragment);
      } catch (malformed) {
        field.value = fragment; // not percent-encoded as expected: the server refuses it
      }
      window.history.replaceState(null, "", window.location.pathname);
    }
    if (!field.value || field.getAttribute("aria-invalid") === "true") {
      return; // no link, or the server refused this token: let the invitee see the field
    }
    document.getElementById("invite-token-field").hidden = true;
    check(field.value);
  }

  function wire() {
    wireCopy();
    wireInvite();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
