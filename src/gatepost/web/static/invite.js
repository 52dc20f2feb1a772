// Invitations, without inline code (the strict CSP).
//
// The invitation page (/ui/invite#<token>): the token comes in the URL's fragment, which
// browsers never send to a server, so it is in no access log, proxy log or Referer. This
// script moves it into the form's token field, removes it from the address bar and the
// history entry, and asks POST /api/v1/invitations/check (token in the body) which
// organisation and role the link is for; a used, revoked or expired link says so at once.
//
// Choosing a language there keeps the token (wireLanguage).
//
// The page that shows a new link: [data-copy] buttons copy the field they name.
//
// Every word shown comes from the page (the data-* attributes of #invite-texts and
// data-copied), which the server renders in the reader's language.
(function () {
  "use strict";

  function text(name, fallback) {
    var texts = document.getElementById("invite-texts");
    var value = texts && texts.getAttribute("data-" + name);
    return value || fallback;
  }

  function wireCopy() {
    var buttons = document.querySelectorAll("[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        var field = document.getElementById(button.getAttribute("data-copy"));
        if (!field) {
          return;
        }
        var done = function () {
          button.textContent = button.getAttribute("data-copied") || button.textContent;
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

  // The sentence of data-joined with {tenant} (bold), {role} and {slug} (code) filled in.
  function describe(about, preview) {
    var sentence = text("joined", "{tenant} ({role}): {slug}");
    var role = text("role-" + preview.role, preview.role);
    about.textContent = "";
    sentence.split(/(\{tenant\}|\{role\}|\{slug\})/).forEach(function (part) {
      var node;
      if (part === "{tenant}") {
        node = document.createElement("strong");
        node.id = "invite-tenant";
        node.textContent = preview.tenant_name;
      } else if (part === "{slug}") {
        node = document.createElement("code");
        node.textContent = preview.tenant_slug;
      } else {
        node = document.createTextNode(part === "{role}" ? role : part);
      }
      about.appendChild(node);
    });
  }

  // Why the API refused the link: its message (a constant per reason, in English) says
  // used, revoked or expired; too many tries are "throttled"; anything else is an
  // invalid link.
  function refusal(body) {
    var error = (body && body.error) || {};
    if (error.code === "throttled") {
      return "throttled";
    }
    var message = error.message || "";
    var found = /\b(used|revoked|expired)\b/.exec(message);
    return found ? found[1] : "invalid";
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
          showProblem(text("refused-" + refusal(answer.body), text("refused", "")));
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

  // The language menu posts to /ui/language, which sends the browser back to
  // /ui/invite: the token, already off the address bar, would be lost. So while the
  // form holds a token, the choice is posted in the background and the page reloaded
  // with the token back in its fragment, where wireInvite picks it up again (still
  // never sent to the server in a URL).
  function wireLanguage() {
    var field = document.getElementById("invite-token");
    var menus = document.querySelectorAll('form[action="/ui/language"]');
    if (!field) {
      return;
    }
    Array.prototype.forEach.call(menus, function (menu) {
      menu.addEventListener("submit", function (event) {
        var token = field.value.trim();
        if (!token) {
          return; // nothing to keep: the ordinary round trip will do
        }
        event.preventDefault();
        var body = new URLSearchParams(new FormData(menu));
        var chosen = event.submitter;
        if (chosen && chosen.name) {
          body.append(chosen.name, chosen.value);
        }
        fetch(menu.action, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          redirect: "manual",
          cache: "no-store"
        })
          .catch(function () {
            // Offline: reload anyway; the page keeps its language and the token.
          })
          .then(function () {
            var back = window.location.pathname + "#" + encodeURIComponent(token);
            window.history.replaceState(null, "", back);
            window.location.reload();
          });
      });
    });
  }

  function wire() {
    wireCopy();
    wireInvite();
    wireLanguage();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
