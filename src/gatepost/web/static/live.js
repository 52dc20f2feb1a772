// The live event feed (/ui/live): reads the page's Server-Sent Events stream and adds
// a row per event, newest on top. Written for a strict CSP: no inline code, and every
// value goes into the page as text (textContent), never as HTML. The words it shows
// come from the page in the viewer's language (data-text-* of #live-status); the
// events arrive already worded by the server.
(function () {
  "use strict";

  var MAX_ROWS = 200;
  var TEXT = { live: "", reconnecting: "", disconnected: "", alert: "{alert}" };

  function readTexts(status) {
    Object.keys(TEXT).forEach(function (key) {
      var text = status.getAttribute("data-text-" + key);
      if (text) TEXT[key] = text;
    });
  }

  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text || "";
    row.appendChild(td);
    return td;
  }

  function badge(parent, text, kind) {
    var span = document.createElement("span");
    span.className = "badge badge-" + kind;
    span.textContent = text;
    parent.appendChild(span);
    return span;
  }

  var OUTCOME_BADGE = {
    grant: "ok",
    deny: "danger",
    second_factor: "warn",
    alert_only: "danger",
    remote: "info"
  };

  function render(event) {
    var row = document.createElement("tr");
    row.id = "live-" + event.id;
    row.className = "live-row";
    if (event.alerts && event.alerts.length) row.className += " live-alert";
    cell(row, event.time, "nowrap");
    cell(row, event.site);
    cell(row, event.where);
    var what = cell(row, event.event);
    if (event.arrival) {
      what.appendChild(document.createTextNode(" "));
      badge(what, event.arrival, "muted");
    }
    var outcome = cell(row, "");
    if (event.outcome) badge(outcome, event.outcome, OUTCOME_BADGE[event.outcome_code] || "muted");
    var reasons = cell(row, (event.reasons || []).join("; "), "live-reasons");
    (event.alerts || []).forEach(function (alert) {
      reasons.appendChild(document.createTextNode(" "));
      badge(reasons, TEXT.alert.replace("{alert}", function () {
        return alert;
      }), "danger");
    });
    return row;
  }

  function start() {
    var table = document.getElementById("live-feed");
    var rows = document.getElementById("live-rows");
    var status = document.getElementById("live-status");
    if (!table || !rows || !status || !window.EventSource) return;
    readTexts(status);

    function setStatus(text, kind) {
      status.textContent = text;
      status.className = "live-status badge badge-" + kind;
    }

    var source = new EventSource(table.getAttribute("data-stream-url"));
    source.onopen = function () {
      setStatus(TEXT.live, "ok");
    };
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        setStatus(TEXT.disconnected, "danger");
      } else {
        setStatus(TEXT.reconnecting, "warn");
      }
    };
    source.onmessage = function (message) {
      var event;
      try {
        event = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      if (document.getElementById("live-" + event.id)) return; // seen before a reconnect
      var empty = document.getElementById("live-empty");
      if (empty) empty.remove();
      rows.insertBefore(render(event), rows.firstChild);
      while (rows.children.length > MAX_ROWS) rows.removeChild(rows.lastChild);
    };
    window.addEventListener("pagehide", function () {
      source.close();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
