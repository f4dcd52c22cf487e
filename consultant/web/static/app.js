/* CaseConsultant review UI: queue refresh and keys, draft preview, presence. No inline script (CSP). */
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function api(method, url, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method !== "GET") {
      opts.headers["X-CSRF-Token"] = CSRF;
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body || {});
    }
    return fetch(url, opts).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          var msg = typeof data.detail === "string" ? data.detail : ("request failed (" + resp.status + ")");
          if (resp.status === 401) { window.location.href = "/login"; }
          throw new Error(msg);
        }
        return data;
      });
    });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function age(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    if (s < 60) { return s + "s"; }
    if (s < 3600) { return Math.floor(s / 60) + "m"; }
    if (s < 86400) { return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m"; }
    return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
  }

  function flash(kind, message) {
    var main = document.querySelector("main");
    if (!main) { return; }
    var div = el("div", "flash flash-" + kind, message);
    div.setAttribute("role", "status");
    main.insertBefore(div, main.firstChild);
    window.setTimeout(function () { div.remove(); }, 6000);
  }

  // ------------------------------------------------------------------ queue
  var table = document.getElementById("queue");
  if (table) {
    var body = document.getElementById("queue-body");
    var selectedId = null;

    var rows = function () { return Array.prototype.slice.call(body.querySelectorAll("tr.qrow")); };

    var select = function (idx) {
      var list = rows();
      if (!list.length) { selectedId = null; return; }
      idx = Math.max(0, Math.min(list.length - 1, idx));
      list.forEach(function (r) { r.classList.remove("selected"); });
      var row = list[idx];
      row.classList.add("selected");
      row.scrollIntoView({ block: "nearest" });
      selectedId = row.getAttribute("data-id");
    };

    var selectedIndex = function () {
      var list = rows();
      for (var i = 0; i < list.length; i++) {
        if (list[i].getAttribute("data-id") === selectedId) { return i; }
      }
      return -1;
    };

    var apiQuery = function () {
      var params = new URLSearchParams(table.getAttribute("data-query") || "");
      var out = new URLSearchParams();
      out.set("state", params.get("state") || "all");
      ["severity", "assignee", "sender_key"].forEach(function (k) { if (params.get(k)) { out.set(k, params.get(k)); } });
      if (params.get("age")) { out.set("min_age_hours", params.get("age")); }
      out.set("limit", "200");
      return out.toString();
    };

    var renderRow = function (c) {
      var tr = el("tr", "qrow sev-" + (c.max_severity || "none"));
      tr.setAttribute("data-id", c.id);
      tr.setAttribute("data-version", c.draft_version || "");
      tr.setAttribute("data-state", c.state);
      tr.tabIndex = -1;
      var td = el("td", "num");
      var a = el("a", "case-link", "#" + c.id); a.href = "/cases/" + c.id; td.appendChild(a); tr.appendChild(td);
      td = el("td", "subject-cell");
      a = el("a", "subject", c.subject || "(no subject)"); a.href = "/cases/" + c.id; td.appendChild(a);
      var codes = el("div", "codes");
      c.codes.slice(0, 8).forEach(function (code) { codes.appendChild(el("span", "code-chip", code)); });
      if (c.codes.length > 8) { codes.appendChild(el("span", "muted small", "+" + (c.codes.length - 8))); }
      td.appendChild(codes); tr.appendChild(td);
      td = el("td", "from");
      td.appendChild(el("span", "from-name", c.requester_name || c.requester));
      if (c.requester_name) { td.appendChild(el("div", "muted small", c.requester)); }
      tr.appendChild(td);
      td = el("td", "findings");
      var any = false;
      ["error", "warning", "info"].forEach(function (sev) {
        var n = c.finding_counts[sev];
        if (n) { any = true; td.appendChild(el("span", "badge badge-" + sev, n + " " + sev + (n > 1 ? "s" : ""))); }
      });
      if (!any) { td.appendChild(el("span", "muted small", "none")); }
      tr.appendChild(td);
      tr.appendChild(el("td", "", c.assignee || "\u2014"));
      tr.appendChild(el("td", "num age", age(c.age_seconds)));
      td = el("td"); td.appendChild(el("span", "state state-" + c.state, c.state)); tr.appendChild(td);
      return tr;
    };

    var status = document.getElementById("refresh-status");
    var refresh = function () {
      return api("GET", "/api/v1/cases?" + apiQuery()).then(function (data) {
        var keep = selectedId;
        body.textContent = "";
        data.items.forEach(function (c) { body.appendChild(renderRow(c)); });
        document.getElementById("queue-empty").classList.toggle("hidden", data.items.length > 0);
        var total = 0;
        Object.keys(data.counts).forEach(function (st) {
          total += data.counts[st];
          var span = document.querySelector('[data-count="' + st + '"]');
          if (span) { span.textContent = data.counts[st]; }
        });
        var all = document.querySelector('[data-count="all"]');
        if (all) { all.textContent = total; }
        selectedId = keep;
        var idx = selectedIndex();
        if (idx >= 0) { select(idx); } else if (keep !== null) { select(0); }
        if (status) { status.textContent = "Updated " + new Date().toLocaleTimeString(); }
      }).catch(function (err) { if (status) { status.textContent = "Refresh failed: " + err.message; } });
    };
    window.setInterval(refresh, 15000);
    var refreshBtn = document.getElementById("refresh-now");
    if (refreshBtn) { refreshBtn.addEventListener("click", function () { refresh(); }); }
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });

    body.addEventListener("click", function (ev) {
      var tr = ev.target.closest("tr.qrow");
      if (tr) { select(rows().indexOf(tr)); }
    });

    var act = function (kind) {
      var idx = selectedIndex();
      if (idx < 0) { return; }
      var row = rows()[idx];
      var id = row.getAttribute("data-id");
      var version = parseInt(row.getAttribute("data-version"), 10);
      if (!version) { flash("error", "Case #" + id + " has no draft to " + kind + "."); return; }
      var payload = { base_version: version };
      if (kind === "approve") {
        if (!window.confirm("Approve case #" + id + " (draft v" + version + ") and send the reply?")) { return; }
      } else {
        var reason = window.prompt("Reject case #" + id + ": reason (nothing is sent)");
        if (!reason || !reason.trim()) { return; }
        payload.reason = reason.trim();
      }
      api("POST", "/api/v1/cases/" + id + "/" + kind, payload).then(function () {
        flash("ok", "Case #" + id + (kind === "approve" ? " approved: the reply is on its way." : " rejected."));
        return refresh().then(function () { select(idx); });
      }).catch(function (err) { flash("error", "Case #" + id + ": " + err.message); refresh(); });
    };

    document.addEventListener("keydown", function (ev) {
      if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
      var t = ev.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) { return; }
      var idx = selectedIndex();
      if (ev.key === "j") { select(idx + 1); ev.preventDefault(); }
      else if (ev.key === "k") { select(idx < 0 ? 0 : idx - 1); ev.preventDefault(); }
      else if ((ev.key === "o" || ev.key === "Enter") && selectedId) { window.location.href = "/cases/" + selectedId; ev.preventDefault(); }
      else if (ev.key === "a") { act("approve"); ev.preventDefault(); }
      else if (ev.key === "r") { act("reject"); ev.preventDefault(); }
    });
  }

  // ------------------------------------------------------------------ case page
  var bodyInput = document.getElementById("draft-body");
  if (bodyInput) {
    var subjInput = document.getElementById("draft-subject");
    var pv = document.getElementById("preview");
    var updatePreview = function () {
      document.getElementById("preview-body").textContent = bodyInput.value;
      document.getElementById("preview-subject").textContent = subjInput ? subjInput.value : "";
    };
    document.querySelectorAll(".tabbtn").forEach(function (btn) {
      btn.addEventListener("click", function () {
        document.querySelectorAll(".tabbtn").forEach(function (b) { b.classList.remove("active"); });
        btn.classList.add("active");
        var showPreview = btn.getAttribute("data-show") === "preview";
        updatePreview();
        pv.classList.toggle("hidden", !showPreview);
        bodyInput.classList.toggle("hidden", showPreview);
      });
    });
    bodyInput.addEventListener("input", updatePreview);
    updatePreview();
    var form = document.getElementById("draft-form");
    var dirty = false;
    bodyInput.addEventListener("input", function () { dirty = true; });
    if (subjInput) { subjInput.addEventListener("input", function () { dirty = true; }); }
    if (form) { form.addEventListener("submit", function () { dirty = false; }); }
    window.addEventListener("beforeunload", function (ev) { if (dirty) { ev.preventDefault(); ev.returnValue = ""; } });
  }
  var rejectForm = document.getElementById("reject-form");
  if (rejectForm) {
    rejectForm.addEventListener("submit", function (ev) {
      if (!window.confirm("Reject this draft? No reply will be sent.")) { ev.preventDefault(); }
    });
  }

  var presence = document.getElementById("presence");
  if (presence) {
    var caseId = presence.getAttribute("data-case");
    var beat = function () {
      api("POST", "/api/v1/cases/" + caseId + "/presence", {}).then(function (data) {
        document.getElementById("presence-list").textContent = data.viewers.join(", ");
        presence.classList.toggle("hidden", data.viewers.length === 0);
      }).catch(function () { /* a hint only */ });
    };
    window.setInterval(beat, 20000);
  }
})();
