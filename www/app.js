/*
 * app.js — ferry's browser UI. It enhances the HTML folder listing the
 * server renders (which works without it): the folder is fetched again as
 * JSON and shown with breadcrumbs, sorting, a filter, keyboard navigation,
 * uploads through tus (tus-js-client, www/vendor/tus.min.js, endpoint
 * /.ferry/uploads/) with per-file progress and pause/resume/cancel, new
 * folder (MKCOL) and delete (DELETE, into the server's trash).
 * The page's URL is the folder's URL, so deep links and reload just work.
 * No inline script, no other host: the listing's CSP allows exactly this.
 */
(function () {
  "use strict";

  var path = location.pathname; // the folder, %-encoded, ends with "/"
  var state = { entries: [], sort: "name", desc: false, filter: "", writable: false };
  var el = {};

  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }

  function decoded(p) {
    try { return decodeURIComponent(p); } catch (e) { return p; }
  }

  function humanSize(n) {
    if (n === undefined || n === null) return "—";
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return i === 0 ? n + " B" : n.toFixed(1) + " " + u[i];
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function humanDate(t) {
    var d = new Date(typeof t === "number" ? t * 1000 : t);
    if (isNaN(d)) return "";
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function say(text, isError) {
    el.status.textContent = text;
    el.status.className = "f-status" + (isError ? " f-error" : "");
  }

  // ------------------------------------------------------------ layout
  function breadcrumbs() {
    var ol = h("ol");
    var parts = path.split("/").filter(Boolean);
    var href = "/";
    ol.appendChild(h("li", {}, [parts.length ?
      h("a", { href: "/", text: "Home" }) :
      h("span", { "aria-current": "page", text: "Home" })]));
    parts.forEach(function (p, i) {
      href += p + "/";
      var last = i === parts.length - 1;
      ol.appendChild(h("li", {}, [last ?
        h("span", { "aria-current": "page", text: decoded(p) }) :
        h("a", { href: href, text: decoded(p) })]));
    });
    return h("nav", { class: "f-crumbs", "aria-label": "Breadcrumbs" }, [ol]);
  }

  function sortButton(key, label, cls) {
    return h("button", {
      type: "button", class: cls, "data-sort": key, "aria-pressed": "false",
      "aria-label": "Sort by " + label.toLowerCase(), text: label,
      onclick: function () {
        if (state.sort === key) state.desc = !state.desc;
        else { state.sort = key; state.desc = key !== "name"; }
        render();
      }
    });
  }

  function build() {
    el.status = h("p", { class: "f-status", role: "status", "aria-live": "polite" });
    el.filter = h("input", {
      type: "search", placeholder: "Filter", "aria-label": "Filter by name",
      oninput: function () { state.filter = el.filter.value; render(); }
    });
    el.picker = h("input", {
      type: "file", multiple: "", class: "f-visually-hidden", tabindex: "-1",
      "aria-label": "Choose files to upload",
      onchange: function () { upload(el.picker.files); el.picker.value = ""; }
    });
    el.uploadBtn = h("button", {
      type: "button", class: "f-primary", text: "Upload", "aria-label": "Upload files",
      onclick: function () { el.picker.click(); }
    });
    el.newBtn = h("button", {
      type: "button", text: "New folder", "aria-label": "New folder",
      "aria-expanded": "false",
      onclick: function () {
        var open = el.newForm.hidden;
        el.newForm.hidden = !open;
        el.newBtn.setAttribute("aria-expanded", String(open));
        if (open) el.newName.focus();
      }
    });
    el.newName = h("input", { type: "text", "aria-label": "Name of the new folder", required: "" });
    el.newForm = h("form", { class: "f-newdir", onsubmit: function (ev) { ev.preventDefault(); mkdir(); } }, [
      el.newName,
      h("button", { type: "submit", class: "f-primary", text: "Create", "aria-label": "Create folder" })
    ]);
    el.newForm.hidden = true;
    el.head = h("div", { class: "f-head", role: "presentation" }, [
      sortButton("name", "Name", "f-name-h"),
      sortButton("size", "Size", "f-size"),
      sortButton("date", "Modified", "f-date-h"),
      h("span")
    ]);
    el.list = h("ul", { class: "f-list", "aria-label": "Files and folders", onkeydown: keys });
    el.uploads = h("ul", { class: "f-uploads", "aria-label": "Uploads" });
    el.app = h("main", { class: "f-app" }, [
      breadcrumbs(),
      h("div", { class: "f-bar", role: "toolbar", "aria-label": "Folder actions" },
        [el.filter, el.uploadBtn, el.newBtn, el.picker]),
      el.newForm, el.uploads, el.status, el.head, el.list
    ]);
    el.uploadBtn.hidden = el.newBtn.hidden = true;
    document.body.appendChild(el.app);
    document.documentElement.classList.add("ferry-js");
    dragAndDrop();
  }

  // ------------------------------------------------------------ the list
  function compare(a, b) {
    var d = (b.type === "dir") - (a.type === "dir"); // folders first
    if (d) return d;
    var r = 0;
    if (state.sort === "size") r = (a.size || 0) - (b.size || 0);
    else if (state.sort === "date") r = a.mtime - b.mtime;
    if (!r) r = a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: "base" });
    return state.desc ? -r : r;
  }

  function row(e) {
    var dir = e.type === "dir";
    var href = e.href || path + encodeURIComponent(e.name) + (dir ? "/" : "");
    var del = null;
    if (state.writable) {
      del = h("button", {
        type: "button", class: "f-danger", text: "✕", "aria-label": "Delete " + e.name,
        title: "Delete", onclick: function () { remove(e, href, del); }
      });
    }
    return h("li", { class: "f-row" + (dir ? " f-dir" : ""), "data-name": e.name }, [
      h("a", { href: href, text: e.name + (dir ? "/" : "") }),
      h("span", { class: "f-size", title: dir ? null : e.size + " bytes", text: dir ? "—" : humanSize(e.size) }),
      h("span", { class: "f-date", text: humanDate(e.mtime) }),
      del || h("span")
    ]);
  }

  function render() {
    var f = state.filter.trim().toLowerCase();
    var shown = state.entries.filter(function (e) {
      return !f || e.name.toLowerCase().indexOf(f) >= 0;
    }).sort(compare);
    Array.prototype.forEach.call(el.head.querySelectorAll("button"), function (b) {
      var on = b.getAttribute("data-sort") === state.sort;
      b.setAttribute("aria-pressed", String(on));
      b.textContent = b.getAttribute("aria-label").replace("Sort by ", "").replace(/^./, function (c) { return c.toUpperCase(); }) +
        (on ? (state.desc ? " ↓" : " ↑") : "");
    });
    var frag = document.createDocumentFragment();
    if (path !== "/") {
      var up = path.replace(/[^/]*\/$/, "");
      frag.appendChild(h("li", { class: "f-row f-dir f-up-row" }, [
        h("a", { href: up, text: "↑ Parent folder", "aria-label": "Parent folder" })]));
    }
    shown.forEach(function (e) { frag.appendChild(row(e)); });
    if (!state.entries.length)
      frag.appendChild(h("li", { class: "f-empty", text: "This folder is empty." +
        (state.writable ? " Drop files here or use Upload." : "") }));
    else if (!shown.length)
      frag.appendChild(h("li", { class: "f-empty", text: "No names match “" + state.filter + "”." }));
    el.list.replaceChildren(frag);
  }

  // Arrow keys move between the rows' links; Enter follows one (a link's own).
  function keys(ev) {
    var links = Array.prototype.slice.call(el.list.querySelectorAll("a"));
    var i = links.indexOf(document.activeElement);
    var to = -1;
    if (ev.key === "ArrowDown") to = Math.min(i + 1, links.length - 1);
    else if (ev.key === "ArrowUp") to = Math.max(i - 1, 0);
    else if (ev.key === "Home") to = 0;
    else if (ev.key === "End") to = links.length - 1;
    else return;
    if (links[to]) { ev.preventDefault(); links[to].focus(); }
  }

  function load() {
    return fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status + " " + r.statusText);
        return r.json();
      })
      .then(function (j) {
        state.entries = j.entries || [];
        render();
        // for tests/browser/bench-listing.sh: ms from navigation to the list
        if (window.performance && performance.mark && !performance.getEntriesByName("ferry:listed").length)
          performance.mark("ferry:listed");
      })
      .catch(function (err) { say("Could not load this folder: " + err.message, true); });
  }

  // What the server allows here (OPTIONS: Allow), to offer writing or not.
  function probe() {
    return fetch(path, { method: "OPTIONS" }).then(function (r) {
      var allow = (r.headers.get("Allow") || "").toUpperCase();
      state.writable = allow.indexOf("MKCOL") >= 0 && typeof window.tus !== "undefined";
      el.uploadBtn.hidden = el.newBtn.hidden = !state.writable;
    }).catch(function () {});
  }

  // ------------------------------------------------------------ operations
  function mkdir() {
    var name = el.newName.value.trim();
    if (!name || name === "." || name === ".." || name.indexOf("/") >= 0) {
      say("A folder name cannot be empty, “.”, “..” or contain “/”.", true);
      return;
    }
    fetch(path + encodeURIComponent(name) + "/", { method: "MKCOL" }).then(function (r) {
      if (r.status === 201) {
        say("Created the folder “" + name + "”.");
        el.newName.value = "";
        el.newForm.hidden = true;
        el.newBtn.setAttribute("aria-expanded", "false");
        return load();
      }
      return r.text().then(function (t) {
        say("Could not create “" + name + "”: " + (t.trim() || r.status), true);
      });
    }).catch(function (err) { say("Could not create “" + name + "”: " + err.message, true); });
  }

  // The first click asks, the second (within 5 s) deletes into the trash.
  function remove(e, href, btn) {
    if (!btn.dataset.armed) {
      btn.dataset.armed = "1";
      btn.textContent = "Delete?";
      btn.setAttribute("aria-label", "Confirm delete " + e.name);
      setTimeout(function () {
        if (!btn.isConnected) return;
        delete btn.dataset.armed;
        btn.textContent = "✕";
        btn.setAttribute("aria-label", "Delete " + e.name);
      }, 5000);
      return;
    }
    fetch(href, { method: "DELETE" }).then(function (r) {
      if (r.ok) {
        say("Moved “" + e.name + "” to the trash.");
        return load();
      }
      return r.text().then(function (t) {
        say("Could not delete “" + e.name + "”: " + (t.trim() || r.status), true);
      });
    }).catch(function (err) { say("Could not delete “" + e.name + "”: " + err.message, true); });
  }

  // ------------------------------------------------------------ uploads
  function upload(files) {
    if (!state.writable) return;
    Array.prototype.forEach.call(files || [], startUpload);
  }

  function startUpload(file) {
    var folder = decoded(path).replace(/\/$/, "") || "/";
    var bar = h("progress", { max: "100", value: "0", "aria-label": "Progress of " + file.name });
    var info = h("span", { class: "f-up-info", text: "Starting…" });
    var paused = false, done = false, t0 = Date.now();
    var pause = h("button", { type: "button", text: "Pause", "aria-label": "Pause " + file.name });
    var cancel = h("button", { type: "button", text: "Cancel", "aria-label": "Cancel " + file.name });
    var item = h("li", { class: "f-up", "data-name": file.name }, [
      h("span", { class: "f-up-name", text: file.name }),
      h("span", { class: "f-up-actions" }, [pause, cancel]),
      bar, info
    ]);
    el.uploads.appendChild(item);

    var up = new window.tus.Upload(file, {
      endpoint: "/.ferry/uploads/",
      metadata: { filename: file.name, folder: folder, filetype: file.type || "" },
      retryDelays: [0, 1000, 3000, 5000, 10000],
      removeFingerprintOnSuccess: true,
      onProgress: function (sent, total) {
        var pct = total ? sent / total * 100 : 100;
        var s = (Date.now() - t0) / 1000;
        bar.value = pct;
        info.textContent = humanSize(sent) + " of " + humanSize(total) +
          (s > 1 ? " · " + humanSize(Math.round(sent / s)) + "/s" : "");
      },
      onSuccess: function () {
        done = true;
        bar.value = 100;
        info.textContent = "Done · " + humanSize(file.size);
        item.setAttribute("data-state", "done");
        pause.remove(); cancel.remove();
        load();
      },
      onError: function (err) {
        item.setAttribute("data-state", "failed");
        info.textContent = "Failed: " + (err && err.message ? err.message.split("\n")[0] : err);
        pause.textContent = "Retry";
        pause.setAttribute("aria-label", "Retry " + file.name);
        paused = true;
      }
    });
    pause.addEventListener("click", function () {
      if (done) return;
      paused = !paused;
      if (paused) {
        up.abort();
        info.textContent = "Paused · " + info.textContent.replace(/^Paused · /, "");
        item.setAttribute("data-state", "paused");
      } else {
        up.start();
        item.setAttribute("data-state", "running");
      }
      pause.textContent = paused ? "Resume" : "Pause";
      pause.setAttribute("aria-label", (paused ? "Resume " : "Pause ") + file.name);
    });
    cancel.addEventListener("click", function () {
      up.abort(true).catch(function () {}); // DELETE: the server drops the bytes
      done = true;
      item.remove();
      say("Cancelled the upload of “" + file.name + "”.");
    });
    item.setAttribute("data-state", "running");
    // the same file sent here before and left unfinished (the host slept, the
    // tab closed): go on from where it stopped; one for another folder is not it
    up.findPreviousUploads().then(function (prev) {
      prev = prev.filter(function (p) { return p.metadata && p.metadata.folder === folder; });
      if (prev.length) up.resumeFromPreviousUpload(prev[0]);
      up.start();
    }, function () { up.start(); });
  }

  function dragAndDrop() {
    var depth = 0;
    function has(ev) {
      return state.writable && ev.dataTransfer &&
        Array.prototype.indexOf.call(ev.dataTransfer.types, "Files") >= 0;
    }
    document.addEventListener("dragenter", function (ev) {
      if (!has(ev)) return;
      depth++;
      el.app.classList.add("f-drop");
    });
    document.addEventListener("dragleave", function () {
      if (depth > 0 && --depth === 0) el.app.classList.remove("f-drop");
    });
    document.addEventListener("dragover", function (ev) {
      if (has(ev)) { ev.preventDefault(); ev.dataTransfer.dropEffect = "copy"; }
    });
    document.addEventListener("drop", function (ev) {
      if (!has(ev)) return;
      ev.preventDefault();
      depth = 0;
      el.app.classList.remove("f-drop");
      upload(ev.dataTransfer.files);
    });
  }

  build();
  probe().then(load);
})();
