/*
 * app.js — ferry's browser UI. It enhances the HTML folder listing the
 * server renders (which works without it): the folder is fetched again as
 * JSON and shown as a list or a grid of thumbnails, with breadcrumbs,
 * sorting, a filter, keyboard navigation and folder sizes (?size=1, fetched
 * as rows come into view); files preview inline (images,
 * video, audio, text, PDF) or download; folders download as a streamed zip
 * (?download=zip), whose progress the page follows in /.ferry/status. When the server allows writing (OPTIONS: Allow): uploads
 * of files and whole folders through tus (tus-js-client,
 * www/vendor/tus.min.js, endpoint /.ferry/uploads/) with per-file and total
 * progress, speed, time left, pause/resume/cancel and "retry all failed";
 * new folder (MKCOL), rename and move (MOVE), delete into the server's trash
 * (DELETE) with undo (POST /.ferry/trash/ID/restore); when the trash cannot
 * take an item (409 with Ferry-Trash: too-big, other-disk or disk-full;
 * nothing deleted yet) the person is asked, and "Delete for good" sends the
 * DELETE again with Ferry-Trash: skip. The Trash dialog lists what is in
 * the trash (GET /.ferry/trash), restores an entry, and empties it
 * (DELETE /.ferry/trash) after a second confirmation.
 * Share: a one-time link to the folder for another device, as a QR code
 * and text (POST /.ferry/share), read-only unless asked.
 * When the host stops answering (it slept, or its app was suspended), a
 * banner says so, /.ferry/status is polled with back-off (1 s doubling to
 * 30 s, never while the host answers), and the uploads it paused go on by
 * themselves once it is back.
 * The page's URL is the folder's URL (a preview adds #preview=NAME), so deep
 * links and reload just work; a folder opens within the page (pushState),
 * so uploads go on while one browses, and leaving the page while they run
 * asks first. No inline script, no other host: the
 * listing's CSP allows exactly this.
 */
(function () {
  "use strict";

  var path = location.pathname; // the folder shown, %-encoded, ends with "/"; go() changes it
  var store = window.localStorage || { getItem: function () {}, setItem: function () {} };
  var state = {
    entries: [], sort: "name", desc: false,
    filter: "", view: store.getItem("ferry.view") === "grid" ? "grid" : "list", writable: false
  };
  var el = {};
  var uploads = []; // records of startUpload(), in the order started

  // ------------------------------------------------------------ helpers
  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k]);
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

  function humanTime(s) {
    if (!isFinite(s) || s < 0) return "";
    s = Math.ceil(s);
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor(s % 3600 / 60) + " min";
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function humanDate(t) {
    var d = new Date(typeof t === "number" ? t * 1000 : t);
    if (isNaN(d)) return "";
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  // The status line; `action` ({label, run}) adds a button to it (undo).
  function say(text, isError, action) {
    el.status.replaceChildren(document.createTextNode(text));
    if (action)
      el.status.appendChild(h("button", { type: "button", class: "f-link", text: action.label,
        "aria-label": action.label, onclick: action.run }));
    el.status.className = "f-status" + (isError ? " f-error" : "");
  }

  // The server's words for a refusal: the first line of its text answer.
  function why(r) {
    return r.text().then(function (t) { return (t.trim().split("\n")[0]) || String(r.status); });
  }

  // What a file can be previewed as, from its name.
  var KINDS = {
    image: /\.(jpe?g|png|gif|webp|avif|bmp|svg|ico)$/i,
    video: /\.(mp4|m4v|webm|ogv|mov)$/i,
    audio: /\.(mp3|m4a|aac|ogg|oga|opus|wav|flac)$/i,
    text: /\.(txt|md|markdown|log|csv|tsv|json|xml|ya?ml|toml|ini|conf|cfg|c|h|cc|cpp|hpp|py|js|mjs|ts|css|html?|sh|rs|go|java|kt|swift|rb|pl|lua|sql|diff|patch)$/i,
    pdf: /\.pdf$/i
  };
  function kindOf(name) {
    for (var k in KINDS) if (KINDS[k].test(name)) return k;
    return "other";
  }

  // This folder's name as people read it ("Home" for the root).
  function folderName() {
    return path === "/" ? "Home" : decoded(path.split("/").filter(Boolean).pop());
  }

  function hrefOf(e) {
    return e.href || path + encodeURIComponent(e.name) + (e.type === "dir" ? "/" : "");
  }

  // A MOVE of href to the folder URL `folder` (ends with "/") as `name`.
  function moveTo(href, folder, name, isDir) {
    var dst = location.origin + folder + encodeURIComponent(name) + (isDir ? "/" : "");
    return fetch(href, { method: "MOVE", headers: { Destination: dst, Overwrite: "F" } });
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
      type: "button", class: cls, "data-sort": key, "data-label": label, "aria-pressed": "false",
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
    el.banner = h("p", { class: "f-banner", role: "alert", hidden: "" });
    el.filter = h("input", {
      type: "search", placeholder: "Filter", "aria-label": "Filter by name",
      oninput: function () { state.filter = el.filter.value; render(); }
    });
    el.picker = h("input", {
      type: "file", multiple: "", class: "f-visually-hidden", tabindex: "-1",
      "aria-label": "Choose files to upload",
      onchange: function () { pickFiles(el.picker); }
    });
    el.dirPicker = h("input", {
      type: "file", multiple: "", webkitdirectory: "", class: "f-visually-hidden", tabindex: "-1",
      "aria-label": "Choose a folder to upload",
      onchange: function () { pickFiles(el.dirPicker); }
    });
    el.uploadBtn = h("button", {
      type: "button", class: "f-primary f-w", text: "Upload", "aria-label": "Upload files",
      onclick: function () { el.picker.click(); }
    });
    el.uploadDirBtn = h("button", {
      type: "button", class: "f-w", text: "Upload folder", "aria-label": "Upload a folder",
      onclick: function () { el.dirPicker.click(); }
    });
    el.newBtn = h("button", {
      type: "button", class: "f-w", text: "New folder", "aria-label": "New folder",
      "aria-expanded": "false",
      onclick: function () {
        var open = el.newForm.hidden;
        el.newForm.hidden = !open;
        el.newBtn.setAttribute("aria-expanded", String(open));
        if (open) el.newName.focus();
      }
    });
    el.viewBtn = h("button", {
      type: "button", "aria-label": "Grid view", "aria-pressed": "false", text: "Grid",
      onclick: function () {
        state.view = state.view === "grid" ? "list" : "grid";
        store.setItem("ferry.view", state.view);
        render();
      }
    });
    el.zipLink = h("a", { class: "f-button", href: path + "?download=zip", download: "",
      text: "Download all", "aria-label": "Download this folder as a zip file",
      onclick: function (ev) { zipDownload(path, folderName())(ev); } });
    el.zipInfo = h("span", { class: "f-up-info" });
    el.zipBar = h("progress", { "aria-label": "Zip download progress" });
    el.zipPanel = h("div", { class: "f-zip", role: "status", hidden: "" }, [el.zipInfo, el.zipBar]);
    el.trashBtn = h("button", {
      type: "button", class: "f-w", text: "Trash", "aria-label": "Open the trash", onclick: trashView
    });
    el.shareBtn = h("button", {
      type: "button", text: "Share", "aria-label": "Share this folder with another device",
      onclick: share
    });
    el.newName = h("input", { type: "text", "aria-label": "Name of the new folder", required: "" });
    el.newForm = h("form", { class: "f-inline", onsubmit: function (ev) { ev.preventDefault(); mkdir(); } }, [
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
    buildUploads();
    el.dialog = h("dialog", { class: "f-dialog", "aria-label": "Preview",
      onclose: function () { el.dialog.replaceChildren(); clearTimeout(shareTimer); clearHash(); } });
    el.app = h("main", { class: "f-app" }, [
      el.crumbs = breadcrumbs(),
      h("div", { class: "f-bar", role: "toolbar", "aria-label": "Folder actions" },
        [el.filter, el.viewBtn, el.zipLink, el.shareBtn, el.uploadBtn, el.uploadDirBtn, el.newBtn,
          el.trashBtn, el.picker, el.dirPicker]),
      el.banner, el.zipPanel, el.newForm, el.upPanel, el.status, el.head, el.list, el.dialog
    ]);
    document.body.appendChild(el.app);
    document.documentElement.classList.add("ferry-js");
    showWritable();
    dragAndDrop();
    navigation();
  }

  function showWritable() {
    [el.uploadBtn, el.uploadDirBtn, el.newBtn, el.trashBtn].forEach(function (b) { b.hidden = !state.writable; });
  }

  // ------------------------------------------------------------ folder sizes
  // A folder's size (GET FOLDER?size=1: counted by the server, bounded)
  // fills its row once the row is on screen, two requests at a time, and
  // is remembered until the folder is listed again.
  var sizes = {}, sizeQueue = [], sizeBusy = 0;
  var sizeSeen = window.IntersectionObserver ? new IntersectionObserver(function (seen) {
    seen.forEach(function (en) {
      if (!en.isIntersecting) return;
      sizeSeen.unobserve(en.target);
      sizeQueue.push(en.target);
    });
    pumpSizes();
  }) : null;

  // Gives the size span of the folder at href its size, now or when seen.
  function folderSize(span, href) {
    span.setAttribute("data-size-of", href);
    if (sizes[href]) showSize(span, sizes[href]);
    else if (sizeSeen) sizeSeen.observe(span);
  }

  function showSize(span, j) {
    span.textContent = humanSize(j.bytes) + (j.complete ? "" : "+");
    span.title = j.files + " files, " + j.folders + " folders" +
      (j.complete ? "" : " at least (the server stopped counting)");
  }

  function pumpSizes() {
    while (sizeBusy < 2 && sizeQueue.length) {
      var span = sizeQueue.shift();
      if (span.isConnected) fetchSize(span, span.getAttribute("data-size-of"));
    }
  }

  function fetchSize(span, href) {
    sizeBusy++;
    fetch(href + "?size=1", { cache: "no-cache" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (j) {
      if (j) { sizes[href] = j; showSize(span, j); }
    }).catch(function () { /* the row keeps its dash */ }).then(function () {
      sizeBusy--;
      pumpSizes();
    });
  }

  // ------------------------------------------------------------ the list
  // One collator for every comparison: localeCompare with options makes a
  // new one per call, which took most of the first render of 1,000 names.
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function compare(a, b) {
    var d = (b.type === "dir") - (a.type === "dir"); // folders first
    if (d) return d;
    var r = 0;
    if (state.sort === "size") r = (a.size || 0) - (b.size || 0);
    else if (state.sort === "date") r = a.mtime - b.mtime;
    if (!r) r = collator.compare(a.name, b.name);
    return state.desc ? -r : r;
  }

  // The download attribute of an entry's link: "" (save it) for a file no
  // preview shows, so that its click saves it without leaving the page
  // (which would ask "leave site?" while uploads run); null otherwise.
  function saveAs(e) {
    return e.type !== "dir" && kindOf(e.name) === "other" ? "" : null;
  }

  // The row's buttons: zip for folders; rename, move, delete when writable.
  function rowActions(e, href, li) {
    var dir = e.type === "dir", kids = [];
    if (dir)
      kids.push(h("a", { class: "f-icon", href: href + "?download=zip", download: "", text: "⤓",
        title: "Download as zip", "aria-label": "Download " + e.name + " as zip",
        onclick: zipDownload(href, e.name) }));
    if (state.writable) {
      kids.push(h("button", { type: "button", class: "f-icon", text: "✎", title: "Rename",
        "aria-label": "Rename " + e.name, onclick: function () { inlineForm(li, e, href, "rename"); } }));
      kids.push(h("button", { type: "button", class: "f-icon", text: "⇥", title: "Move",
        "aria-label": "Move " + e.name, onclick: function () { inlineForm(li, e, href, "move"); } }));
      var del = h("button", { type: "button", class: "f-icon f-danger", text: "✕", title: "Delete",
        "aria-label": "Delete " + e.name, onclick: function () { remove(e, href, del); } });
      kids.push(del);
    }
    return h("span", { class: "f-acts" }, kids);
  }

  function row(e) {
    var dir = e.type === "dir", href = hrefOf(e);
    var li = h("li", { class: "f-row" + (dir ? " f-dir" : ""), "data-name": e.name });
    var link = h("a", { href: href, text: e.name + (dir ? "/" : ""), download: saveAs(e) });
    var size = h("span", { class: "f-size", title: dir ? null : e.size + " bytes", text: dir ? "—" : humanSize(e.size) });
    if (!dir) link.addEventListener("click", function (ev) { openFile(ev, e, href); });
    else folderSize(size, href);
    [link, size, h("span", { class: "f-date", text: humanDate(e.mtime) }),
      rowActions(e, href, li)].forEach(function (c) { li.appendChild(c); });
    return li;
  }

  // A file's extension as a tile shows it ("PDF"), or "FILE".
  function extension(name) {
    var m = /\.([^.]{1,5})$/.exec(name);
    return m ? m[1].toUpperCase() : "FILE";
  }

  // A grid tile: a thumbnail (loaded when scrolled to: for a JPEG or PNG
  // the server's ?thumb=1, its Exif thumbnail or a small JPEG made from it;
  // other images as they are, scaled by the browser) or a symbol drawn by
  // CSS (a folder, or a page with the file's extension: no emoji font is
  // needed), then the name and the row's actions.
  function tile(e) {
    var dir = e.type === "dir", href = hrefOf(e), kind = dir ? "dir" : kindOf(e.name);
    var li = h("li", { class: "f-row f-tile" + (dir ? " f-dir" : ""), "data-name": e.name });
    var pic = kind === "image" ?
      h("img", { class: "f-thumb", src: href + (/\.(jpe?g|png)$/i.test(e.name) ? "?thumb=1" : ""), alt: "",
        loading: "lazy", decoding: "async" }) :
      h("span", { class: "f-thumb f-sym", "aria-hidden": "true" }, [dir ? h("span", { class: "f-folder" }) :
        h("span", { class: "f-page", "data-kind": kind, text: extension(e.name) })]);
    var link = h("a", { href: href, "aria-label": e.name + (dir ? "/" : ""), title: e.name, download: saveAs(e) }, [
      pic, h("span", { class: "f-tname", text: e.name + (dir ? "/" : "") })]);
    if (!dir) link.addEventListener("click", function (ev) { openFile(ev, e, href); });
    var size = h("span", { class: "f-size", text: dir ? "" : humanSize(e.size) });
    if (dir) folderSize(size, href);
    li.appendChild(link);
    li.appendChild(size);
    li.appendChild(rowActions(e, href, li));
    return li;
  }

  function render() {
    var f = state.filter.trim().toLowerCase(), grid = state.view === "grid";
    var shown = state.entries.filter(function (e) {
      return !f || e.name.toLowerCase().indexOf(f) >= 0;
    }).sort(compare);
    Array.prototype.forEach.call(el.head.querySelectorAll("button"), function (b) {
      var on = b.getAttribute("data-sort") === state.sort;
      b.setAttribute("aria-pressed", String(on));
      b.textContent = b.getAttribute("data-label") + (on ? (state.desc ? " ↓" : " ↑") : "");
    });
    el.viewBtn.setAttribute("aria-pressed", String(grid));
    el.list.className = "f-list" + (grid ? " f-grid" : "");
    el.head.classList.toggle("f-head-grid", grid);
    var frag = document.createDocumentFragment();
    if (path !== "/") {
      var up = path.replace(/[^/]*\/$/, "");
      frag.appendChild(h("li", { class: "f-row f-dir f-up-row" }, [
        h("a", { href: up, text: "↑ Parent folder", "aria-label": "Parent folder" })]));
    }
    shown.forEach(function (e) { frag.appendChild(grid ? tile(e) : row(e)); });
    if (!state.entries.length)
      frag.appendChild(h("li", { class: "f-empty", text: "This folder is empty." +
        (state.writable ? " Drop files or folders here, or use Upload." : "") }));
    else if (!shown.length)
      frag.appendChild(h("li", { class: "f-empty", text: "No names match “" + state.filter + "”." }));
    el.list.replaceChildren(frag);
  }

  // Arrow keys move between the entries' links; Enter follows one (a link's own).
  function keys(ev) {
    if (ev.target.tagName === "INPUT") return;
    var links = Array.prototype.slice.call(el.list.querySelectorAll(".f-row > a"));
    var i = links.indexOf(document.activeElement);
    var to = -1;
    if (ev.key === "ArrowDown" || ev.key === "ArrowRight") to = Math.min(i + 1, links.length - 1);
    else if (ev.key === "ArrowUp" || ev.key === "ArrowLeft") to = Math.max(i - 1, 0);
    else if (ev.key === "Home") to = 0;
    else if (ev.key === "End") to = links.length - 1;
    else return;
    if (links[to]) { ev.preventDefault(); links[to].focus(); }
  }

  // The JSON answer to GET url (fetch options opts); rejects with a
  // TypeError (or an AbortError after ms) when the host does not answer,
  // else with the status when it refuses.
  function getJSON(url, opts, ms) {
    var ctl = window.AbortController ? new AbortController() : null;
    var t = ctl && setTimeout(function () { ctl.abort(); }, ms);
    if (ctl) opts.signal = ctl.signal;
    return fetch(url, opts).then(function (r) {
      if (!r.ok) throw new Error(r.status + " " + r.statusText);
      return r.json();
    }).then(function (j) { clearTimeout(t); return j; }, function (err) { clearTimeout(t); throw err; });
  }

  // The JSON listing of the folder at href (see getJSON).
  function listing(href) {
    return getJSON(href, { headers: { Accept: "application/json" }, cache: "no-store" }, 10000);
  }

  function noAnswer(err) {
    return err instanceof TypeError || err.name === "AbortError";
  }

  // Lists the folder again (after a change). `ready` (optional) is a
  // promise to wait for before showing it: the first listing waits for
  // probe(), asked at the same time, so that its rows know what is allowed.
  function load(ready) {
    var at = path;
    return Promise.all([listing(at), ready]).then(function (got) {
      if (at !== path) return; // the page went to another folder meanwhile
      state.entries = got[0].entries || [];
      sizes = {}; // the folders below may have changed too
      render();
      // for tests/browser/bench-listing.sh: ms from navigation to the list
      if (window.performance && performance.mark && !performance.getEntriesByName("ferry:listed").length)
        performance.mark("ferry:listed");
    }).catch(function (err) {
      say("Could not load this folder: " + err.message, true);
      if (noAnswer(err)) host.trouble();
    });
  }

  // ------------------------------------------------------------ navigation
  // A click on a folder link (a row, a breadcrumb, the parent link) lists
  // that folder in this page (history.pushState) instead of loading a new
  // page: uploads under way go on, and when the host does not answer, the
  // page says so and opens the folder once the host is back, where a page
  // load would have shown the browser's error page. Back and Forward list
  // their URL's folder the same way. A folder the server refuses (gone,
  // not allowed) is loaded as a page, to show the server's own answer.
  var going = null; // the folder asked for last, until it is shown

  function folderLink(ev) {
    var a = ev.target.closest && ev.target.closest("a");
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey)
      return null;
    if (a.origin !== location.origin || a.hasAttribute("download") || a.target || a.search || a.hash)
      return null;
    return /\/$/.test(a.pathname) && a.pathname.indexOf("/.ferry/") !== 0 ? a.pathname : null;
  }

  function go(href, push) {
    going = href;
    listing(href).then(function (j) {
      if (going !== href) return; // another folder was asked for since
      going = null;
      if (push) history.pushState(null, "", href);
      path = href;
      showFolder(j);
    }, function (err) {
      if (going !== href) return;
      if (noAnswer(err)) {
        say("Waiting for the host to open “" + decoded(href.split("/").filter(Boolean).pop() || "Home") + "”…");
        host.trouble(function () { if (going === href) go(href, push); });
        return;
      }
      going = null;
      location.href = href;
    });
  }

  // Shows the listing j of the folder now at `path`: new breadcrumbs,
  // title and zip link, name order, no filter, no open dialog.
  function showFolder(j) {
    var crumbs = breadcrumbs();
    el.crumbs.replaceWith(crumbs);
    el.crumbs = crumbs;
    document.title = "Index of " + decoded(path);
    el.zipLink.href = path + "?download=zip";
    if (el.dialog.open) el.dialog.close();
    state.sort = "name";
    state.desc = false;
    state.filter = el.filter.value = "";
    state.entries = j.entries || [];
    sizes = {};
    say("");
    render();
    window.scrollTo(0, 0);
  }

  function navigation() {
    document.addEventListener("click", function (ev) {
      var href = folderLink(ev);
      if (!href) return;
      ev.preventDefault();
      go(href, href !== path);
    });
    window.addEventListener("popstate", function () {
      if (location.pathname !== path) go(location.pathname, false);
    });
    // closing or reloading the tab would cut the uploads under way: ask
    window.addEventListener("beforeunload", function (ev) {
      if (!uploads.some(function (u) { return u.state === "running" || u.state === "waiting"; })) return;
      ev.preventDefault();
      ev.returnValue = "";
    });
  }

  // What the server allows here (OPTIONS: Allow), to offer writing or not.
  function probe() {
    return fetch(path, { method: "OPTIONS" }).then(function (r) {
      var allow = (r.headers.get("Allow") || "").toUpperCase();
      state.writable = allow.indexOf("MKCOL") >= 0 && typeof window.tus !== "undefined";
      showWritable();
    }).catch(function () {});
  }

  // ------------------------------------------------------------ preview
  function closeDialog() {
    el.dialog.close();
    clearHash();
  }

  function clearHash() {
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  }

  // A click on a file: a preview for the kinds a browser shows, else the
  // link's own download. Clicks with a modifier key stay the browser's.
  function openFile(ev, e, href) {
    var kind = kindOf(e.name);
    if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey || ev.button !== 0) return;
    if (kind === "other") return;
    ev.preventDefault();
    preview(e, href, kind);
  }

  function preview(e, href, kind) {
    var body;
    if (kind === "image") body = h("img", { src: href, alt: e.name });
    else if (kind === "video") body = h("video", { src: href, controls: "", preload: "metadata" });
    else if (kind === "audio") body = h("audio", { src: href, controls: "", preload: "metadata" });
    else if (kind === "text") {
      body = h("pre", { class: "f-text", text: "Loading…" });
      var cap = 262144;
      fetch(href, { headers: { Range: "bytes=0-" + (cap - 1) } }).then(function (r) {
        if (!r.ok) return why(r).then(function (t) { throw new Error(t); });
        return r.text();
      }).then(function (t) {
        body.textContent = t + (e.size > cap ? "\n\n[… the first 256 KiB of " + humanSize(e.size) + "]" : "");
      }).catch(function (err) { body.textContent = "Could not load it: " + err.message; });
    } else { // pdf: the browser's own viewer, framed (the file keeps its
      // sandbox CSP), with a tab of its own for phones that show no PDF
      // in a frame
      body = h("div", { class: "f-pdf" }, [
        h("iframe", { src: href, title: "PDF: " + e.name }),
        h("a", { href: href, target: "_blank", rel: "noopener", text: "Open “" + e.name + "” in a new tab" })]);
    }
    openDialog("Preview", false, [
      h("div", { class: "f-dhead" }, [
        h("h2", { text: e.name }),
        h("a", { class: "f-button", href: href, download: e.name, text: "Download", "aria-label": "Download " + e.name }),
        h("button", { type: "button", text: "Close", "aria-label": "Close preview", onclick: closeDialog })
      ]),
      h("div", { class: "f-dbody", "data-kind": kind }, [body])]);
    history.replaceState(null, "", path + "#preview=" + encodeURIComponent(e.name));
  }

  // Shows `kids` in the dialog, named `label`; narrow for small content.
  function openDialog(label, narrow, kids) {
    el.dialog.setAttribute("aria-label", label);
    el.dialog.className = "f-dialog" + (narrow ? " f-narrow" : "");
    el.dialog.replaceChildren.apply(el.dialog, kids.filter(Boolean));
    if (!el.dialog.open) el.dialog.showModal();
  }

  // A reload of a #preview= link opens that preview again.
  function previewFromHash() {
    var m = /^#preview=(.+)$/.exec(location.hash);
    if (!m) return;
    var name = decoded(m[1]);
    var e = state.entries.filter(function (x) { return x.name === name && x.type !== "dir"; })[0];
    if (e && kindOf(name) !== "other") preview(e, hrefOf(e), kindOf(name));
  }

  // ------------------------------------------------------------ zip download
  // Zip links ("Download all", a folder row's): the browser saves the zip
  // itself (its size is not known in advance, so its own download bar shows
  // no total); the page finds the download in /.ferry/status by a ticket of
  // its own and shows how far the server is, against the server's estimate
  // of the size, once a second; at its end, the server's word (its "zips":
  // sent whole, or cut after so many bytes), also for a zip that ended
  // before the first look.

  // The click handler of a zip link of the folder at `href` named `name`.
  function zipDownload(href, name) {
    return function (ev) {
      var ticket = Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
      ev.currentTarget.href = href + "?download=zip&ticket=" + ticket; // before the browser follows it
      var note = "Your browser is downloading “" + name + "” as a zip file.";
      say(note);
      followZip(ticket, name, note);
    };
  }

  // note: the status line said when the download began, cleared at its end
  // (the zip panel then says how it ended) unless something else said more.
  function followZip(ticket, name, note) {
    var last = null, lastAt = 0, bps = 0, tries = 0; // tries: looks that found neither
    function show(t) {
      var now = Date.now();
      if (last && now > lastAt) bps = (t.done - last.done) * 1000 / (now - lastAt);
      last = t;
      lastAt = now;
      el.zipPanel.hidden = false;
      if (t.total > 0) {
        el.zipBar.max = t.total;
        el.zipBar.value = Math.min(t.done, t.total);
      } else {
        el.zipBar.removeAttribute("value"); // indeterminate
      }
      el.zipInfo.textContent = "Zipping “" + name + "”: " + humanSize(t.done) +
        (t.total > 0 ? " of about " + humanSize(t.total) : "") +
        (bps > 0 ? " · " + humanSize(Math.round(bps)) + "/s" +
          (t.total > t.done ? " · about " + humanTime((t.total - t.done) / bps) + " left" : "") : "");
    }
    function ended(e) {
      // gone from the list: the server's "zips" tells how it ended.
      el.zipPanel.hidden = false;
      if (el.status.textContent === note) say("");
      el.zipBar.max = 1;
      el.zipBar.value = e.complete ? 1 : 0;
      el.zipInfo.textContent = e.complete ?
        "Zip of “" + name + "” sent (" + humanSize(e.done) + "); your browser's downloads have it." :
        "The zip of “" + name + "” stopped after " + humanSize(e.done) +
          (last && last.total > 0 ? " of about " + humanSize(last.total) : "") +
          ": if your browser's downloads show it unfinished, download it again.";
    }
    function poll() {
      fetch("/.ferry/status", { cache: "no-store" }).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (j) {
        var t = j && (j.transfers || []).filter(function (x) { return x.validator === "zip:" + ticket; })[0];
        var e = j && (j.zips || []).filter(function (x) { return x.ticket === ticket; })[0];
        if (t) { tries = 0; show(t); setTimeout(poll, 1000); }
        else if (e) ended(e);
        else if (++tries < 20) setTimeout(poll, 500); // not begun yet, or ending
        else if (last) el.zipInfo.textContent = "The zip of “" + name + "” ended: your browser's downloads show whether it is whole.";
      }).catch(function () { if (++tries < 20) setTimeout(poll, 2000); });
    }
    setTimeout(poll, 300);
  }

  // ------------------------------------------------------------ share
  // The Share dialog: a link that opens this folder on another device
  // (POST /.ferry/share: a one-time pairing link, or the plain URL when the
  // server asks no one to pair) as a QR code for its camera and as text to
  // copy. Read-only unless this browser may write and asks for more.
  var shareTimer = 0;

  function share() {
    var name = folderName();
    var rw = h("input", { type: "checkbox" });
    var body = h("div", { class: "f-share-link", "aria-live": "polite" });
    function mint() {
      clearTimeout(shareTimer);
      body.replaceChildren(h("p", { class: "f-muted", text: "Making a link…" }));
      fetch("/.ferry/share", {
        method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "path=" + encodeURIComponent(path) + "&rights=" + (rw.checked ? "rw" : "ro")
      }).then(function (r) {
        if (!r.ok) return why(r).then(function (t) { throw new Error(t); });
        return r.json();
      }).then(function (j) {
        body.replaceChildren.apply(body, shareView(j, mint));
      }).catch(function (err) {
        body.replaceChildren(h("p", { class: "f-error", text: "Could not make a link: " + err.message }));
      });
    }
    rw.onchange = mint;
    openDialog("Share", true, [
      h("div", { class: "f-dhead" }, [
        h("h2", { text: "Share “" + name + "”" }),
        h("button", { type: "button", text: "Close", "aria-label": "Close", onclick: closeDialog })
      ]),
      h("div", { class: "f-dbody f-share" }, [
        state.writable ? h("label", { class: "f-check" }, [rw, document.createTextNode(" Let them upload and change files")]) : null,
        body
      ])
    ]);
    mint();
  }

  // What the dialog shows of a link j (the answer of /.ferry/share); the
  // "New link" button calls again().
  function shareView(j, again) {
    var link = h("input", { type: "text", readonly: "", value: j.url, class: "f-share-url", "aria-label": "Link" });
    var copy = h("button", { type: "button", text: "Copy link", "aria-label": "Copy the link",
      onclick: function () { copyText(link, copy); } });
    var can = j.read_only ? "see and download" : "see, download, upload and change";
    var note = h("p", { class: "f-muted", text: j.expires ?
      (j.svg ? "Scan it with the other device's camera. " : "Open it on the other device. ") +
        "It works once, until " +
        new Date(j.expires * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) +
        "; whoever opens it can " + can + " every shared file, starting in this folder." :
      "Anyone on this network who opens it can " + can + " the shared files: this server asks no one to pair." });
    var out = [h("div", { class: "f-inline" }, [link, copy]), note];
    if (j.svg) // null in a build without libqrencode: no code to show
      out.unshift(h("img", { class: "f-qr", src: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(j.svg),
        alt: "QR code of the link" }));
    if (j.local_only)
      out.push(h("p", { class: "f-error", text: "This address works on this device only. To share with another device, open ferry by its network address (the one ferryd printed)." }));
    if (j.expires) {
      out.push(h("button", { type: "button", text: "New link", "aria-label": "Make a new link", onclick: again }));
      shareTimer = setTimeout(function () {
        note.textContent = "This link has expired: make a new one.";
        note.className = "f-error";
      }, Math.max(0, j.expires * 1000 - Date.now()));
    }
    return out;
  }

  // Copies the input's text: the clipboard API where the page is a secure
  // context (HTTPS, localhost), else the selection's copy command.
  function copyText(input, btn) {
    function done() { btn.textContent = "Copied"; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
      return;
    }
    input.select();
    try { if (document.execCommand("copy")) done(); } catch (e) { /* the text stays selected */ }
  }

  // ------------------------------------------------------------ operations
  function validName(name) {
    return name && name !== "." && name !== ".." && name.indexOf("/") < 0;
  }

  function mkdir() {
    var name = el.newName.value.trim();
    if (!validName(name)) {
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
      return why(r).then(function (t) { say("Could not create “" + name + "”: " + t, true); });
    }).catch(function (err) { say("Could not create “" + name + "”: " + err.message, true); });
  }

  // Rename (a new name, same folder) or move (a folder path, same name),
  // in a small form under the row; Escape or Cancel closes it.
  function inlineForm(li, e, href, what) {
    var old = li.nextSibling && li.nextSibling.classList && li.nextSibling.classList.contains("f-rowform") ?
      li.nextSibling : null;
    if (old) { old.remove(); return; }
    var dir = e.type === "dir", rename = what === "rename";
    var input = h("input", { type: "text", value: rename ? e.name : decoded(path),
      "aria-label": rename ? "New name for " + e.name : "Folder to move " + e.name + " to" });
    var form = h("form", { class: "f-inline f-rowform", onsubmit: function (ev) {
      ev.preventDefault();
      var v = input.value.trim(), folder = path, name = e.name;
      if (rename) {
        if (!validName(v)) { say("A name cannot be empty, “.”, “..” or contain “/”.", true); return; }
        name = v;
      } else {
        if (v.charAt(0) !== "/") v = "/" + v;
        if (v.slice(-1) !== "/") v += "/";
        folder = v.split("/").map(encodeURIComponent).join("/");
      }
      if (folder === path && name === e.name) { form.remove(); return; }
      moveTo(href, folder, name, dir).then(function (r) {
        if (r.status === 201 || r.status === 204) {
          say(rename ? "Renamed “" + e.name + "” to “" + name + "”." :
            "Moved “" + e.name + "” to " + decoded(folder) + ".");
          return load();
        }
        if (r.status === 412) { say("“" + name + "” exists already in " + decoded(folder) + ": nothing was changed.", true); return; }
        return why(r).then(function (t) { say("Could not " + what + " “" + e.name + "”: " + t, true); });
      }).catch(function (err) { say("Could not " + what + " “" + e.name + "”: " + err.message, true); });
    }, onkeydown: function (ev) { if (ev.key === "Escape") form.remove(); } }, [
      input,
      h("button", { type: "submit", class: "f-primary", text: rename ? "Rename" : "Move",
        "aria-label": (rename ? "Confirm rename of " : "Confirm move of ") + e.name }),
      h("button", { type: "button", text: "Cancel", "aria-label": "Cancel", onclick: function () { form.remove(); } })
    ]);
    li.parentNode.insertBefore(form, li.nextSibling);
    input.focus();
    if (rename) input.setSelectionRange(0, e.name.lastIndexOf(".") > 0 && !dir ? e.name.lastIndexOf(".") : e.name.length);
  }

  // The first click asks, the second (within 5 s) deletes into the trash;
  // the status line then offers to undo it. When the trash cannot take the
  // item, the server deletes nothing and says why (409, Ferry-Trash), and
  // forGood() asks the person.
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
        var id = r.headers.get("Ferry-Trash-Id");
        if (id) say("Moved “" + e.name + "” to the trash.", false, { label: "Undo", run: function () { restore(id, e.name); } });
        else say("Deleted “" + e.name + "” for good (this server keeps no trash).");
        return load();
      }
      var reason = r.headers.get("Ferry-Trash");
      if (r.status === 409 && reason) {
        forGood(e, href, reason, Number(r.headers.get("Ferry-Trash-Size")));
        return;
      }
      return why(r).then(function (t) { say("Could not delete “" + e.name + "”: " + t, true); });
    }).catch(function (err) { say("Could not delete “" + e.name + "”: " + err.message, true); });
  }

  // Why the trash cannot take an item (the server's Ferry-Trash reason),
  // in a person's words.
  function trashReason(reason, name, size) {
    var what = "“" + name + "” (" + humanSize(size) + ")";
    if (reason === "too-big") return what + " is too big for the trash.";
    if (reason === "other-disk") return what + " is on another drive than the trash, and too big to copy there.";
    if (reason === "disk-full") return "The disk is full: moving " + what + " to the trash would free no space.";
    return "The trash cannot take " + what + ".";
  }

  // Asks whether to delete e for good (nothing is deleted yet); "Delete for
  // good" sends DELETE with Ferry-Trash: skip.
  function forGood(e, href, reason, size) {
    var go = h("button", { type: "button", class: "f-primary f-bad", text: "Delete for good",
      "aria-label": "Delete " + e.name + " for good", onclick: function () {
        go.disabled = true;
        fetch(href, { method: "DELETE", headers: { "Ferry-Trash": "skip" } }).then(function (r) {
          closeDialog();
          if (r.ok) { say("Deleted “" + e.name + "” for good."); return load(); }
          return why(r).then(function (t) { say("Could not delete “" + e.name + "”: " + t, true); });
        }).catch(function (err) { closeDialog(); say("Could not delete “" + e.name + "”: " + err.message, true); });
      } });
    openDialog("Delete for good?", true, [
      h("div", { class: "f-dhead" }, [h("h2", { text: "Delete “" + e.name + "” for good?" })]),
      h("div", { class: "f-dbody f-ask" }, [
        h("p", { text: trashReason(reason, e.name, size) }),
        h("p", { text: "If you delete it now, it cannot be restored. Nothing has been deleted yet." }),
        h("div", { class: "f-inline f-end" }, [
          h("button", { type: "button", text: "Cancel", "aria-label": "Cancel, keep " + e.name, onclick: function () {
            closeDialog(); say("Kept “" + e.name + "”.");
          } }),
          go])
      ])
    ]);
    go.focus();
  }

  function restore(id, name, then) {
    fetch("/.ferry/trash/" + encodeURIComponent(id) + "/restore", { method: "POST" }).then(function (r) {
      if (r.status === 201) { say("Put “" + name + "” back."); if (then) then(); return load(); }
      return why(r).then(function (t) { say("Could not put “" + name + "” back: " + t, true); });
    }).catch(function (err) { say("Could not put “" + name + "” back: " + err.message, true); });
  }

  // ------------------------------------------------------------ the trash
  // The Trash dialog: what is in the trash (newest first) with Restore for
  // each, how much it holds of its bound, and "Empty trash", which asks
  // once more before DELETE /.ferry/trash.
  function trashView() {
    var body = h("div", { class: "f-dbody f-trash", "aria-live": "polite" }, [h("p", { class: "f-muted", text: "Loading…" })]);
    openDialog("Trash", true, [
      h("div", { class: "f-dhead" }, [
        h("h2", { text: "Trash" }),
        h("button", { type: "button", text: "Close", "aria-label": "Close the trash", onclick: closeDialog })
      ]), body]);
    getJSON("/.ferry/trash", { cache: "no-store" }, 10000).then(function (j) {
      showTrash(body, j);
    }).catch(function (err) {
      body.replaceChildren(h("p", { class: "f-error", text: "Could not open the trash: " + err.message }));
    });
  }

  function showTrash(body, j) {
    var entries = j.entries || [];
    if (!entries.length) {
      body.replaceChildren(h("p", { class: "f-muted", text: "The trash is empty." }));
      return;
    }
    var list = h("ul", { class: "f-trash-list", "aria-label": "Items in the trash" }, entries.map(function (x) {
      var parts = x.path.split("/"), name = parts.pop(), where = parts.join("/") || "Home";
      return h("li", { class: "f-trash-item", "data-path": x.path }, [
        h("span", { class: "f-trash-name", text: name + (x.kind === "folder" ? "/" : "") }),
        h("span", { class: "f-muted", text: "from " + where + " · " + humanSize(x.size) + " · " + humanDate(x.deleted) }),
        h("button", { type: "button", text: "Restore", "aria-label": "Restore " + name, onclick: function () {
          restore(x.id, name, function () { trashView(); });
        } })
      ]);
    }));
    var foot = h("div", { class: "f-inline f-end" });
    function ask() {
      foot.replaceChildren(
        h("p", { class: "f-error", text: "Delete " + (entries.length === 1 ? "this item" : "these " + entries.length + " items") +
          " for good? They cannot be restored." }),
        h("button", { type: "button", text: "Cancel", "aria-label": "Cancel, keep the trash", onclick: idle }),
        h("button", { type: "button", class: "f-primary f-bad", text: "Empty trash", "aria-label": "Confirm empty the trash",
          onclick: empty }));
      foot.lastChild.focus();
    }
    function idle() {
      foot.replaceChildren(h("button", { type: "button", class: "f-danger", text: "Empty trash",
        "aria-label": "Empty the trash", onclick: ask }));
    }
    function empty() {
      fetch("/.ferry/trash", { method: "DELETE" }).then(function (r) {
        if (!r.ok) return why(r).then(function (t) { throw new Error(t); });
        say("Emptied the trash: " + humanSize(j.size) + " freed.");
        body.replaceChildren(h("p", { class: "f-muted", text: "The trash is empty." }));
      }).catch(function (err) { say("Could not empty the trash: " + err.message, true); });
    }
    idle();
    body.replaceChildren(
      h("p", { class: "f-muted", text: entries.length + (entries.length === 1 ? " item · " : " items · ") + humanSize(j.size) +
        (j.max > 0 ? " (it keeps at most " + humanSize(j.max) + "; the oldest go first)" : "") }),
      list, foot);
  }

  // ------------------------------------------------------------ the host
  // Whether the host answers. trouble() starts the check (no answer from
  // some request); while it is away the banner shows and the check repeats
  // with back-off; back() runs once it answers in the foreground again.
  var host = (function () {
    var away = false, timer = null, delay = 1000, waiting = [];
    function check() {
      timer = null;
      getJSON("/.ferry/status", { cache: "no-store" }, 4000).then(function (j) {
        // "foreground": serving; "finishing"/"linger": backgrounded but
        // still serving for a while; anything else cannot last
        if (["foreground", "finishing", "linger"].indexOf(j.state) < 0) throw new Error(j.state);
        back();
      }).catch(function () {
        if (!away) {
          away = true;
          el.banner.textContent = "The host is asleep or out of reach. Transfers are paused and go on by themselves when it is back.";
          el.banner.hidden = false;
          document.documentElement.setAttribute("data-host", "away");
        }
        timer = setTimeout(check, delay);
        delay = Math.min(delay * 2, 30000);
      });
    }
    function back() {
      delay = 1000;
      if (!away) { run(); return; }
      away = false;
      el.banner.hidden = true;
      document.documentElement.setAttribute("data-host", "back");
      say("The host is back.");
      run();
      load();
    }
    function run() {
      var w = waiting; waiting = [];
      w.forEach(function (f) { f(); });
    }
    return {
      // fn (optional) runs when the host answers again
      trouble: function (fn) {
        if (fn) waiting.push(fn);
        if (!timer) timer = setTimeout(check, away ? delay : 0);
      },
      isAway: function () { return away; }
    };
  })();

  // ------------------------------------------------------------ uploads
  function buildUploads() {
    el.upBar = h("progress", { max: "100", value: "0", "aria-label": "Total upload progress" });
    el.upInfo = h("span", { class: "f-up-info" });
    el.retryAll = h("button", { type: "button", text: "Retry all failed", "aria-label": "Retry all failed uploads",
      hidden: "", onclick: function () {
        uploads.forEach(function (u) { if (u.state === "failed") u.resume(); });
      } });
    el.clearDone = h("button", { type: "button", text: "Clear finished", "aria-label": "Clear finished uploads",
      hidden: "", onclick: function () {
        uploads = uploads.filter(function (u) {
          if (u.state !== "done" && u.state !== "conflict") return true;
          u.item.remove();
          return false;
        });
        totals();
      } });
    el.uploads = h("ul", { class: "f-uploads", "aria-label": "Uploads" });
    el.upPanel = h("section", { class: "f-up-panel", "aria-label": "Uploads", hidden: "" }, [
      h("div", { class: "f-up-total" }, [el.upInfo, h("span", { class: "f-up-actions" }, [el.retryAll, el.clearDone]), el.upBar]),
      el.uploads]);
  }

  // Bytes per second over the last few seconds of a record's samples.
  function speed(u) {
    var s = u.samples;
    if (s.length < 2) return 0;
    var a = s[0], b = s[s.length - 1];
    return b.t > a.t ? (b.sent - a.sent) / ((b.t - a.t) / 1000) : 0;
  }

  // The total line: files done, bytes, speed, time left; the buttons.
  function totals() {
    var live = uploads.filter(function (u) { return u.state !== "cancelled"; });
    var sent = 0, total = 0, bps = 0, done = 0, failed = 0;
    live.forEach(function (u) {
      sent += u.sent; total += u.file.size;
      if (u.state === "running") bps += speed(u);
      if (u.state === "done" || u.state === "conflict") done++;
      if (u.state === "failed") failed++;
    });
    el.upPanel.hidden = !live.length;
    el.upBar.value = total ? sent / total * 100 : (live.length && done === live.length ? 100 : 0);
    el.upInfo.textContent = done + " of " + live.length + " files · " + humanSize(sent) + " of " + humanSize(total) +
      (bps > 0 ? " · " + humanSize(Math.round(bps)) + "/s · about " + humanTime((total - sent) / bps) + " left" : "") +
      (failed ? " · " + failed + " failed" : "");
    el.retryAll.hidden = !failed;
    el.clearDone.hidden = !done;
  }

  // Files from a picker (a folder picker gives webkitRelativePath).
  function pickFiles(input) {
    var list = Array.prototype.map.call(input.files || [], function (f) {
      var rel = f.webkitRelativePath || "";
      return { file: f, dir: rel ? rel.slice(0, rel.lastIndexOf("/")) : "" };
    });
    input.value = "";
    upload(list);
  }

  // Makes the folders the items go into (below this one), parents first;
  // 405 is a folder that exists already. Resolves when all are there.
  function makeFolders(items) {
    var dirs = {};
    items.forEach(function (it) {
      var parts = it.dir.split("/").filter(Boolean);
      for (var i = 1; i <= parts.length; i++) dirs[parts.slice(0, i).join("/")] = i;
    });
    var order = Object.keys(dirs).sort(function (a, b) { return dirs[a] - dirs[b] || (a < b ? -1 : 1); });
    return order.reduce(function (p, d) {
      return p.then(function () {
        return fetch(path + d.split("/").map(encodeURIComponent).join("/") + "/", { method: "MKCOL" })
          .then(function (r) {
            if (r.status !== 201 && r.status !== 405)
              return why(r).then(function (t) { throw new Error("the folder “" + d + "”: " + t); });
          });
      });
    }, Promise.resolve());
  }

  // items: [{file, dir}] with dir relative to this folder ("" = here); an
  // item without a file is a folder to make (an empty one, dropped). Every
  // folder is made once, parents first, before any file is sent.
  function upload(items) {
    if (!state.writable || !items.length) return;
    makeFolders(items).then(function () {
      items.forEach(function (it) { if (it.file) startUpload(it.file, it.dir); });
      if (items.some(function (it) { return it.dir; })) load();
    }, function (err) { say("Could not upload: " + err.message, true); });
  }

  function startUpload(file, dir) {
    var folder = (decoded(path).replace(/\/$/, "") + (dir ? "/" + dir : "")) || "/";
    var label = (dir ? dir + "/" : "") + file.name;
    var bar = h("progress", { max: "100", value: "0", "aria-label": "Progress of " + label });
    var info = h("span", { class: "f-up-info", text: "Starting…" });
    var pause = h("button", { type: "button", text: "Pause", "aria-label": "Pause " + label });
    var cancel = h("button", { type: "button", text: "Cancel", "aria-label": "Cancel " + label });
    var item = h("li", { class: "f-up", "data-name": label }, [
      h("span", { class: "f-up-name", text: label }),
      h("span", { class: "f-up-actions" }, [pause, cancel]),
      bar, info
    ]);
    var u = { file: file, item: item, sent: 0, samples: [], state: "running" };
    uploads.push(u);
    el.uploads.appendChild(item);

    function set(st, text) {
      u.state = st;
      item.setAttribute("data-state", st);
      if (text !== undefined) info.textContent = text;
      pause.hidden = st === "done" || st === "conflict";
      cancel.hidden = st === "done" || st === "conflict";
      pause.textContent = st === "failed" ? "Retry" : st === "running" ? "Pause" : "Resume";
      pause.setAttribute("aria-label", pause.textContent + " " + label);
      totals();
    }

    var up = new window.tus.Upload(file, {
      endpoint: "/.ferry/uploads/",
      metadata: { filename: file.name, folder: folder, filetype: file.type || "" },
      chunkSize: 8 << 20, // a PATCH at a time: a cut costs at most this much
      retryDelays: [0, 1000, 3000],
      removeFingerprintOnSuccess: true,
      onShouldRetry: function (err, attempt) {
        var st = err.originalResponse ? err.originalResponse.getStatus() : 0;
        return attempt < 3 && (st === 0 || st >= 500 || st === 423) && !host.isAway();
      },
      onProgress: function (sent, total) {
        var now = Date.now();
        u.sent = sent;
        u.samples.push({ t: now, sent: sent });
        while (u.samples.length > 2 && now - u.samples[0].t > 3000) u.samples.shift();
        var bps = speed(u);
        bar.value = total ? sent / total * 100 : 100;
        if (u.state === "running")
          info.textContent = humanSize(sent) + " of " + humanSize(total) +
            (bps > 0 ? " · " + humanSize(Math.round(bps)) + "/s · " + humanTime((total - sent) / bps) + " left" : "");
        totals();
      },
      onSuccess: function (payload) {
        var stored = payload && payload.lastResponse && payload.lastResponse.getHeader("Ferry-Stored-As");
        var as = stored ? decoded(stored.split("/").pop()) : file.name;
        u.sent = file.size;
        bar.value = 100;
        set("done", as === file.name ? "Done · " + humanSize(file.size) :
          "Done · saved as “" + as + "”: a file named “" + file.name + "” was there already");
        load();
      },
      onError: function (err) {
        var res = err && err.originalResponse, st = res ? res.getStatus() : 0;
        var text = res ? (res.getBody() || "").trim().split("\n")[0] : "";
        if (st === 409 && / exists;/.test(text)) {
          set("failed", "Not sent: “" + file.name + "” exists already here (rename one of them, or delete the old one, then Retry)");
          return;
        }
        if (st === 0 || st >= 500) { // no answer: the host may be asleep
          set("waiting", "Waiting for the host · " + humanSize(u.sent) + " sent");
          host.trouble(function () { if (u.state === "waiting") u.resume(); });
          return;
        }
        set("failed", "Failed: " + (text || (err && err.message ? err.message.split("\n")[0] : String(err))));
      }
    });
    u.resume = function () { set("running"); up.start(); };
    pause.addEventListener("click", function () {
      if (u.state === "running") {
        up.abort();
        set("paused", "Paused · " + humanSize(u.sent) + " of " + humanSize(file.size));
      } else {
        u.resume();
      }
    });
    cancel.addEventListener("click", function () {
      up.abort(true).catch(function () {}); // DELETE: the server drops the bytes
      u.state = "cancelled";
      item.remove();
      uploads = uploads.filter(function (x) { return x !== u; });
      totals();
      say("Cancelled the upload of “" + label + "”.");
    });
    set("running");
    // the same file sent here before and left unfinished (the host slept, the
    // tab closed): go on from where it stopped; one for another folder is not it
    up.findPreviousUploads().then(function (prev) {
      prev = prev.filter(function (p) { return p.metadata && p.metadata.folder === folder; });
      if (prev.length) up.resumeFromPreviousUpload(prev[0]);
      up.start();
    }, function () { up.start(); });
  }

  // Reads a dropped folder (FileSystemDirectoryEntry) into items.
  function walkEntry(entry, dir, items) {
    if (entry.isFile)
      return new Promise(function (ok) {
        entry.file(function (f) { items.push({ file: f, dir: dir }); ok(); }, function () { ok(); });
      });
    if (!entry.isDirectory) return Promise.resolve();
    var reader = entry.createReader(), sub = dir ? dir + "/" + entry.name : entry.name;
    return new Promise(function (ok) {
      var all = [];
      (function more() { // readEntries gives a batch at a time, [] at the end
        reader.readEntries(function (batch) {
          if (!batch.length) {
            if (!all.length) items.push({ file: null, dir: sub }); // an empty folder
            Promise.all(all.map(function (e) { return walkEntry(e, sub, items); })).then(ok);
            return;
          }
          all = all.concat(Array.prototype.slice.call(batch));
          more();
        }, function () { ok(); });
      })();
    });
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
      var dt = ev.dataTransfer, entries = [];
      Array.prototype.forEach.call(dt.items || [], function (it) {
        var en = it.kind === "file" && it.webkitGetAsEntry ? it.webkitGetAsEntry() : null;
        if (en) entries.push(en);
      });
      if (!entries.some(function (en) { return en.isDirectory; })) {
        upload(Array.prototype.map.call(dt.files, function (f) { return { file: f, dir: "" }; }));
        return;
      }
      var items = [];
      Promise.all(entries.map(function (en) { return walkEntry(en, "", items); })).then(function () {
        upload(items);
      });
    });
  }

  build();
  load(probe()).then(previewFromHash);
})();
