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
    filter: "", view: store.getItem("ferry.view") === "grid" ? "grid" : "list", writable: false,
    probed: false, auth: "", name: "",
    found: null // the search below this folder (search()): {q, results, complete, stopped, busy, error}
  };
  (function () { // the sort chosen last, in any folder
    var m = /^(name|size|date)(:desc)?$/.exec(store.getItem("ferry.sort") || "");
    if (m) { state.sort = m[1]; state.desc = !!m[2]; }
  })();
  var el = {};
  var uploads = []; // records of queueUpload(), in the order queued

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

  // The icons: one SVG sprite in the page (no file, no font), each drawn
  // with the text's colour. icon(name) is an <svg> that shows one of them.
  var SPRITE = {
    dir: '<path class="f-fill" d="M2 6.5A2.5 2.5 0 0 1 4.5 4h4.6l2.2 2.5h8.2A2.5 2.5 0 0 1 22 9v9.5a2.5 2.5 0 0 1-2.5 2.5h-15A2.5 2.5 0 0 1 2 18.5z"/>',
    file: '<path d="M14 2.5H6.5a2 2 0 0 0-2 2v15a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V8z"/><path d="M14 2.5V8h5.5"/>',
    text: '<path d="M14 2.5H6.5a2 2 0 0 0-2 2v15a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V8z"/><path d="M14 2.5V8h5.5M8.5 13h7M8.5 17h7"/>',
    pdf: '<path d="M14 2.5H6.5a2 2 0 0 0-2 2v15a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V8z"/><path d="M14 2.5V8h5.5M8 17.5c2-1 5-6 4-8s-2 1 0 4 4 3.5 4.5 3"/>',
    image: '<rect x="3" y="3" width="18" height="18" rx="2.5"/><circle cx="8.5" cy="8.5" r="1.6"/><path d="M21 15.5l-5-5L5 21"/>',
    video: '<rect x="2.5" y="5" width="13.5" height="14" rx="2.5"/><path d="M16 10l5.5-3.5v11L16 14z"/>',
    audio: '<path d="M9 18V5.5l11.5-2V16"/><circle cx="6.5" cy="18" r="2.5"/><circle cx="18" cy="16" r="2.5"/>',
    archive: '<rect x="3" y="3.5" width="18" height="17" rx="2.5"/><path d="M10 3.5v2h2v2h-2v2h2v2h-2v3h2"/>',
    more: '<circle class="f-fill" cx="5" cy="12" r="1.6"/><circle class="f-fill" cx="12" cy="12" r="1.6"/><circle class="f-fill" cx="19" cy="12" r="1.6"/>',
    plus: '<path d="M12 5v14M5 12h14"/>',
    grid: '<rect x="3.5" y="3.5" width="7" height="7" rx="1.5"/><rect x="13.5" y="3.5" width="7" height="7" rx="1.5"/><rect x="3.5" y="13.5" width="7" height="7" rx="1.5"/><rect x="13.5" y="13.5" width="7" height="7" rx="1.5"/>',
    list: '<path d="M8.5 6h12M8.5 12h12M8.5 18h12M3.5 6h1M3.5 12h1M3.5 18h1"/>',
    download: '<path d="M20.5 15v3.5a2 2 0 0 1-2 2h-13a2 2 0 0 1-2-2V15M7 10l5 5 5-5M12 15V3.5"/>',
    upload: '<path d="M20.5 15v3.5a2 2 0 0 1-2 2h-13a2 2 0 0 1-2-2V15M17 8.5l-5-5-5 5M12 3.5V15"/>',
    rename: '<path d="M13 20.5h8M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"/>',
    move: '<path d="M2.5 6.5A2.5 2.5 0 0 1 5 4h4l2 2.5h8a2.5 2.5 0 0 1 2.5 2.5v9a2.5 2.5 0 0 1-2.5 2.5H5a2.5 2.5 0 0 1-2.5-2.5zM9 13.5h6.5M13 11l2.5 2.5L13 16"/>',
    newdir: '<path d="M2.5 6.5A2.5 2.5 0 0 1 5 4h4l2 2.5h8a2.5 2.5 0 0 1 2.5 2.5v9a2.5 2.5 0 0 1-2.5 2.5H5a2.5 2.5 0 0 1-2.5-2.5zM12 10.5v6M9 13.5h6"/>',
    trash: '<path d="M3.5 6.5h17M9 6.5V4h6v2.5M18.5 6.5l-1 13a2 2 0 0 1-2 1.8h-7a2 2 0 0 1-2-1.8l-1-13"/>',
    share: '<circle cx="18" cy="5.5" r="2.5"/><circle cx="6" cy="12" r="2.5"/><circle cx="18" cy="18.5" r="2.5"/><path d="M8.3 13.3l7.4 4M15.7 6.7l-7.4 4"/>',
    close: '<path d="M18 6L6 18M6 6l12 12"/>',
    up: '<path d="M12 19.5V5M5.5 11.5L12 5l6.5 6.5"/>',
    logout: '<path d="M9 20.5H5.5a2 2 0 0 1-2-2v-13a2 2 0 0 1 2-2H9M16 16.5l4.5-4.5L16 7.5M20.5 12H9"/>',
    eye: '<path d="M1.5 12S5.5 4.5 12 4.5 22.5 12 22.5 12 18.5 19.5 12 19.5 1.5 12 1.5 12z"/><circle cx="12" cy="12" r="3"/>',
    alert: '<path d="M12 9v4.5M12 17h.01M10.3 3.9L1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/>',
    left: '<path d="M15 18l-6-6 6-6"/>',
    right: '<path d="M9 18l6-6-6-6"/>',
    chevron: '<path d="M6 9l6 6 6-6"/>'
  };
  var SVGNS = "http://www.w3.org/2000/svg";
  function sprite() {
    var s = document.createElementNS(SVGNS, "svg");
    s.setAttribute("aria-hidden", "true");
    s.setAttribute("class", "f-sprite");
    s.innerHTML = Object.keys(SPRITE).map(function (k) {
      return '<symbol id="fi-' + k + '" viewBox="0 0 24 24">' + SPRITE[k] + "</symbol>";
    }).join("");
    return s;
  }
  function icon(name, cls) {
    var s = document.createElementNS(SVGNS, "svg"), u = document.createElementNS(SVGNS, "use");
    s.setAttribute("class", "f-i" + (cls ? " " + cls : ""));
    s.setAttribute("aria-hidden", "true");
    s.setAttribute("focusable", "false");
    u.setAttribute("href", "#fi-" + name);
    s.appendChild(u);
    return s;
  }
  // A button of an icon and a visible label (its accessible name).
  function iconButton(name, label, attrs) {
    var b = h("button", Object.assign({ type: "button" }, attrs || {}), [icon(name)]);
    b.appendChild(h("span", { class: "f-label", text: label }));
    return b;
  }

  // A date as people say it: "Today 19:53", "Yesterday 08:10", "Mon
  // 10:02" within a week, "7 Dec" this year, else "7 Dec 2025".
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  function relDate(t) {
    var d = new Date(typeof t === "number" ? t * 1000 : t);
    if (isNaN(d)) return "";
    var now = new Date(), hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
    var days = Math.round((new Date(now.getFullYear(), now.getMonth(), now.getDate()) -
      new Date(d.getFullYear(), d.getMonth(), d.getDate())) / 86400000);
    if (days === 0) return "Today " + hm;
    if (days === 1) return "Yesterday " + hm;
    if (days > 1 && days < 7) return DAYS[d.getDay()] + " " + hm;
    return d.getDate() + " " + MONTHS[d.getMonth()] + (d.getFullYear() === now.getFullYear() ? "" : " " + d.getFullYear());
  }

  // The status line; `action` ({label, run}) adds a button to it (undo).
  // It is a toast at the bottom, over the list (which never moves for it):
  // it goes after 8 s (15 s with an action), an error when closed.
  var sayTimer = 0;
  function say(text, isError, action) {
    clearTimeout(sayTimer);
    el.status.replaceChildren(document.createTextNode(text));
    if (action)
      el.status.appendChild(h("button", { type: "button", class: "f-link", text: action.label,
        "aria-label": action.label, onclick: function (ev) { say(""); action.run(ev); } }));
    if (text && isError)
      el.status.appendChild(h("button", { type: "button", class: "f-x", "aria-label": "Dismiss", title: "Dismiss",
        onclick: function () { say(""); } }, [icon("close")]));
    el.status.className = "f-status" + (isError ? " f-error" : "");
    if (text && !isError) sayTimer = setTimeout(function () { say(""); }, action ? 15000 : 8000);
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

  // The tab's title: this folder, then the server's name.
  function title() {
    document.title = folderName() + (state.name ? " · " + state.name : "");
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
    return h("nav", { class: "f-crumbs" + (parts.length ? "" : " f-crumbs-root"), "aria-label": "Breadcrumbs" }, [ol]);
  }

  function sortButton(key, label, cls) {
    return h("button", {
      type: "button", class: cls, "data-sort": key, "data-label": label, "aria-pressed": "false",
      "aria-label": "Sort by " + label.toLowerCase(), text: label,
      onclick: function () {
        if (state.sort === key) state.desc = !state.desc;
        else { state.sort = key; state.desc = key !== "name"; }
        store.setItem("ferry.sort", state.sort + (state.desc ? ":desc" : ""));
        render();
      }
    });
  }

  // The page: a sticky app bar (the server's name, "View only", the view
  // toggle, the "New" menu, the "More" menu; breadcrumbs and the filter
  // under it), the host banner, the list; a dock at the bottom for toasts,
  // the zip's progress and the uploads tray, over the list (it never moves it).
  function build() {
    el.status = h("p", { class: "f-status", role: "status", "aria-live": "polite" });
    el.banner = h("div", { class: "f-banner", role: "alert", hidden: "" });
    el.filter = h("input", {
      type: "search", placeholder: "Filter by name", "aria-label": "Filter by name",
      oninput: function () { state.filter = el.filter.value; state.found = null; render(); },
      onkeydown: function (ev) { if (ev.key === "Enter" && state.filter.trim()) search(state.filter.trim()); }
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
    el.viewBtn = h("button", {
      type: "button", class: "f-tool", "aria-label": "Grid view", "aria-pressed": "false", title: "Grid view",
      onclick: function () {
        state.view = state.view === "grid" ? "list" : "grid";
        store.setItem("ferry.view", state.view);
        render();
      }
    }, [icon("grid")]);
    el.newBtn = iconButton("plus", "New", { class: "f-tool f-new f-primary", "aria-haspopup": "menu", "aria-label": "New",
      "aria-expanded": "false", onclick: function () { openMenu(el.newBtn, newItems()); } });
    el.moreBtn = h("button", { type: "button", class: "f-tool", "aria-label": "More actions", title: "More actions",
      "aria-haspopup": "menu", "aria-expanded": "false",
      onclick: function () { openMenu(el.moreBtn, moreItems()); } }, [icon("more")]);
    el.badge = h("span", { class: "f-badge", hidden: "" }, [icon("eye"), h("span", { text: "View only" })]);
    el.brand = h("h1", { class: "f-brand" }, [icon("dir", "f-i-brand"), el.brandName = h("span", { text: "ferry" })]);
    el.zipInfo = h("span", { class: "f-up-info" });
    el.zipBar = h("progress", { "aria-label": "Zip download progress" });
    el.zipPanel = h("div", { class: "f-zip f-card", role: "status", hidden: "" }, [el.zipInfo, el.zipBar]);
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
    el.menu = h("div", { class: "f-menu", role: "menu", hidden: "", onkeydown: menuKeys });
    el.top = h("header", { class: "f-top" }, [
      h("div", { class: "f-top-row" }, [el.brand, el.badge, h("span", { class: "f-grow" }),
        el.viewBtn, el.newBtn, el.moreBtn]),
      h("div", { class: "f-top-row f-top-2" }, [el.crumbs = breadcrumbs(), el.filter])
    ]);
    el.dock = h("div", { class: "f-dock" }, [el.status, el.zipPanel, el.upPanel]);
    el.app = h("main", { class: "f-app" }, [
      el.top, el.banner, el.head, el.list, el.picker, el.dirPicker, el.dialog, el.menu, el.dock
    ]);
    // the tab's icon: the app's folder, drawn inline (no /favicon.ico to ask for)
    document.head.appendChild(h("link", { rel: "icon", type: "image/svg+xml", href: "data:image/svg+xml," +
      encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#0b57d0" d="' +
        'M2 6.5A2.5 2.5 0 0 1 4.5 4h4.6l2.2 2.5h8.2A2.5 2.5 0 0 1 22 9v9.5a2.5 2.5 0 0 1-2.5 2.5h-15A2.5 2.5 0 0 1 2 18.5z"/></svg>') }));
    document.body.appendChild(sprite());
    document.body.appendChild(el.app);
    document.documentElement.classList.add("ferry-js");
    showWritable();
    dragAndDrop();
    navigation();
    document.addEventListener("click", function (ev) {
      if (!el.menu.hidden && !el.menu.contains(ev.target) && ev.target !== menuFor &&
          !(menuFor && menuFor.contains(ev.target))) closeMenu(false);
    });
  }

  // What the server lets this browser do here: writing (the New menu, the
  // rows' Rename, Move and Delete) or "View only".
  function showWritable() {
    el.newBtn.hidden = !state.writable;
    el.badge.hidden = state.writable || !state.probed;
  }

  // The New menu: upload files, upload a folder, make a folder.
  function newItems() {
    return [
      { icon: "upload", label: "Upload files", run: function () { el.picker.click(); } },
      { icon: "upload", label: "Upload folder", run: function () { el.dirPicker.click(); } },
      { icon: "newdir", label: "New folder", run: newFolder }
    ];
  }

  // The More menu: this folder's zip, Share, the trash, logging out.
  function moreItems() {
    return [
      { icon: "download", label: "Download all", href: path + "?download=zip", download: true,
        run: zipDownload(path, folderName()) },
      { icon: "share", label: "Share", run: share },
      state.writable ? { icon: "trash", label: "Trash", run: trashView } : null,
      state.auth && state.auth !== "open" ? { icon: "logout", label: "Log out", run: logout } : null
    ];
  }

  // ------------------------------------------------------------ menus
  // One menu at a time (role=menu), under (or above) the button that opened
  // it; arrow keys move, Escape closes it and gives the focus back.
  var menuFor = null;
  function openMenu(btn, items) {
    if (menuFor === btn && !el.menu.hidden) { closeMenu(true); return; }
    closeMenu(false);
    menuFor = btn;
    btn.setAttribute("aria-expanded", "true");
    el.menu.replaceChildren.apply(el.menu, items.filter(Boolean).map(function (it) {
      var kids = [icon(it.icon), h("span", { text: it.label })];
      var attrs = { role: "menuitem", class: "f-mi" + (it.danger ? " f-danger" : ""), tabindex: "-1" };
      var m = it.href ? h("a", Object.assign(attrs, { href: it.href, download: it.download ? "" : null }), kids) :
        h("button", Object.assign(attrs, { type: "button" }), kids);
      m.addEventListener("click", function (ev) {
        closeMenu(!it.href);
        it.run(ev);
      });
      return m;
    }));
    el.menu.hidden = false;
    var r = btn.getBoundingClientRect(), mh = el.menu.offsetHeight, mw = el.menu.offsetWidth;
    var top = r.bottom + 4 + mh > window.innerHeight && r.top - mh - 4 > 0 ? r.top - mh - 4 : r.bottom + 4;
    el.menu.style.top = Math.round(top) + "px";
    el.menu.style.left = Math.round(Math.max(8, Math.min(r.right - mw, window.innerWidth - mw - 8))) + "px";
    el.menu.firstChild.focus();
  }

  function closeMenu(refocus) {
    if (el.menu.hidden) return;
    el.menu.hidden = true;
    if (menuFor) {
      menuFor.setAttribute("aria-expanded", "false");
      if (refocus && menuFor.isConnected) menuFor.focus();
    }
    menuFor = null;
  }

  function menuKeys(ev) {
    var items = Array.prototype.slice.call(el.menu.children), i = items.indexOf(document.activeElement);
    if (ev.key === "Escape") { ev.preventDefault(); closeMenu(true); return; }
    if (ev.key === "Tab") { closeMenu(false); return; }
    var to = ev.key === "ArrowDown" ? (i + 1) % items.length : ev.key === "ArrowUp" ? (i - 1 + items.length) % items.length :
      ev.key === "Home" ? 0 : ev.key === "End" ? items.length - 1 : -1;
    if (to >= 0) { ev.preventDefault(); items[to].focus(); }
  }

  // Ends this browser's session and goes to the server's front page (which
  // then asks it in again).
  function logout() {
    fetch("/.ferry/logout", { method: "POST", redirect: "manual" }).then(function () {
      location.assign("/");
    }, function (err) { say("Could not log out: " + err.message, true); });
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

  // The icon of an entry, by kind.
  function iconOf(e) {
    if (e.type === "dir") return "dir";
    var k = kindOf(e.name);
    if (k === "other" && /\.(zip|tar|gz|tgz|bz2|xz|7z|rar|dmg|iso)$/i.test(e.name)) return "archive";
    return k === "other" ? "file" : k;
  }

  // The row's "⋯" menu: download (a folder as a zip), share (a folder),
  // and when writable rename, move, delete.
  function rowMenu(e, href) {
    var dir = e.type === "dir";
    var btn = h("button", { type: "button", class: "f-more", "aria-label": "Actions for " + e.name,
      title: "Actions", "aria-haspopup": "menu", "aria-expanded": "false" }, [icon("more")]);
    btn.addEventListener("click", function () {
      openMenu(btn, [
        dir ? { icon: "download", label: "Download as zip", href: href + "?download=zip", download: true,
          run: zipDownload(href, e.name) } :
          { icon: "download", label: "Download", href: href, download: true, run: function () {} },
        dir ? { icon: "share", label: "Share", run: function () { share(href, e.name); } } : null,
        state.writable ? { icon: "rename", label: "Rename", run: function () { renameDialog(e, href); } } : null,
        state.writable ? { icon: "move", label: "Move", run: function () { moveDialog(e, href); } } : null,
        state.writable ? { icon: "trash", label: "Delete", danger: true, run: function () { remove(e, href); } } : null
      ]);
    });
    return btn;
  }

  function row(e) {
    var dir = e.type === "dir", href = hrefOf(e);
    var li = h("li", { class: "f-row" + (dir ? " f-dir" : ""), "data-name": e.name });
    var link = h("a", { href: href, download: saveAs(e) }, [icon(iconOf(e), "f-i-" + iconOf(e)),
      h("span", { class: "f-name", text: e.name })]);
    var size = h("span", { class: "f-size", title: dir ? null : e.size + " bytes", text: dir ? "—" : humanSize(e.size) });
    if (!dir) link.addEventListener("click", function (ev) { openFile(ev, e, href); });
    else folderSize(size, href);
    li.appendChild(link);
    li.appendChild(h("span", { class: "f-meta" }, [size,
      h("span", { class: "f-date", title: humanDate(e.mtime), text: relDate(e.mtime) })]));
    li.appendChild(rowMenu(e, href));
    return li;
  }

  // A file's extension as a tile shows it ("PDF"), or "FILE".
  function extension(name) {
    var m = /\.([^.]{1,5})$/.exec(name);
    return m ? m[1].toUpperCase() : "FILE";
  }

  // A grid tile: a thumbnail (loaded when scrolled to: for a JPEG or PNG
  // the server's ?thumb=1, its Exif thumbnail or a small JPEG made from it;
  // other images as they are, scaled by the browser) or the kind's icon (a
  // file's with its extension), then the name, size and date, and the ⋯ menu.
  function tile(e) {
    var dir = e.type === "dir", href = hrefOf(e), kind = dir ? "dir" : kindOf(e.name);
    var li = h("li", { class: "f-row f-tile" + (dir ? " f-dir" : ""), "data-name": e.name });
    var pic = kind === "image" ?
      h("img", { class: "f-thumb", src: href + (/\.(jpe?g|png)$/i.test(e.name) ? "?thumb=1" : ""), alt: "",
        loading: "lazy", decoding: "async" }) :
      h("span", { class: "f-thumb f-sym", "aria-hidden": "true" }, [icon(iconOf(e), "f-i-" + iconOf(e)),
        dir ? null : h("span", { class: "f-page", "data-kind": kind, text: extension(e.name) })]);
    var link = h("a", { href: href, title: e.name, download: saveAs(e) }, [
      pic, h("span", { class: "f-tname f-name", text: e.name })]);
    if (!dir) link.addEventListener("click", function (ev) { openFile(ev, e, href); });
    var size = h("span", { class: "f-size", text: dir ? "" : humanSize(e.size) });
    if (dir) folderSize(size, href);
    li.appendChild(link);
    li.appendChild(h("span", { class: "f-meta" }, [size,
      h("span", { class: "f-date", title: humanDate(e.mtime), text: relDate(e.mtime) })]));
    li.appendChild(rowMenu(e, href));
    return li;
  }

  // What an empty folder (or a filter that matches nothing) shows, with
  // the next thing to do.
  function emptyState(filtered) {
    if (filtered)
      return h("li", { class: "f-empty" }, [h("p", { text: "No names match “" + state.filter + "”." }),
        h("button", { type: "button", text: "Clear the filter", onclick: function () {
          state.filter = el.filter.value = ""; render(); el.filter.focus();
        } })]);
    return h("li", { class: "f-empty" }, [icon("dir", "f-i-empty"), h("p", { text: "This folder is empty." }),
      state.writable ? h("p", { class: "f-muted", text: "Drop files here, or:" }) : null,
      state.writable ? h("div", { class: "f-inline f-center" }, [
        iconButton("upload", "Upload files", { class: "f-primary", onclick: function () { el.picker.click(); } }),
        iconButton("newdir", "New folder", { onclick: newFolder })]) : null]);
  }

  // ------------------------------------------------------------ search
  // The server's ?q= search of every folder below this one for the filter's
  // text (README: Search); its results replace the list until the filter
  // changes or another folder is shown.
  function search(q) {
    var at = path, found = state.found = { q: q, results: [], busy: true };
    render();
    getJSON(at + "?q=" + encodeURIComponent(q), { cache: "no-store" }, 30000).then(function (j) {
      found.results = j.results || [];
      found.complete = j.complete !== false;
      found.stopped = j.stopped;
    }, function (err) {
      found.error = err.message;
    }).then(function () {
      found.busy = false;
      if (state.found === found && at === path) render();
    });
  }

  // A result of search() as a row: its name and the folder it is in, a
  // link to its href (a folder opens in the page; a file downloads, or
  // opens in the browser when it can show it).
  function foundRow(r) {
    var dir = r.type === "dir", where = r.path.replace(/[^/]*\/?$/, "");
    var link = h("a", { href: r.href, download: saveAs(r) }, [icon(iconOf(r), "f-i-" + iconOf(r)),
      h("span", { class: "f-name", text: r.name }),
      h("span", { class: "f-where", text: where ? " in " + where : "" })]);
    return h("li", { class: "f-row f-found" + (dir ? " f-dir" : ""), "data-name": r.name, "data-path": r.path }, [link,
      h("span", { class: "f-meta" }, [h("span", { class: "f-size", text: dir ? "—" : humanSize(r.size) }),
        h("span", { class: "f-date", title: humanDate(r.mtime), text: relDate(r.mtime) })])]);
  }

  // Why a search stopped early, in words (its "stopped").
  var stops = { time: "it ran out of time", entries: "it looked at as many names as it may",
    results: "it found as many as it shows", unreadable: "some folders could not be read" };

  // What the list shows for state.found.
  function renderFound(frag) {
    var s = state.found, n = s.results.length;
    var what = s.busy ? "Searching all folders below for “" + s.q + "”…" :
      s.error ? "Could not search: " + s.error :
      (n ? n + (n === 1 ? " name below this folder holds" : " names below this folder hold") :
        "No names below this folder hold") + " “" + s.q + "”" +
        (s.complete ? "." : " (not every folder was searched" + (stops[s.stopped] ? ": " + stops[s.stopped] : "") + ").");
    frag.appendChild(h("li", { class: "f-empty f-found-head" }, [h("p", { role: "status", text: what }),
      h("button", { type: "button", text: "Back to this folder", onclick: function () {
        state.found = null; state.filter = el.filter.value = ""; render(); el.filter.focus();
      } })]));
    s.results.forEach(function (r) { frag.appendChild(foundRow(r)); });
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
    el.viewBtn.replaceChildren(icon(grid ? "list" : "grid"));
    el.viewBtn.title = grid ? "Showing a grid: switch to the list" : "Showing a list: switch to the grid";
    el.list.className = "f-list" + (grid ? " f-grid" : "");
    el.head.classList.toggle("f-head-grid", grid);
    var frag = document.createDocumentFragment();
    if (path !== "/") {
      var up = path.replace(/[^/]*\/$/, "");
      frag.appendChild(h("li", { class: "f-row f-dir f-up-row" }, [
        h("a", { href: up, "aria-label": "Parent folder" }, [icon("up"), h("span", { class: "f-name", text: "Parent folder" })])]));
    }
    if (state.found) renderFound(frag);
    else {
      shown.forEach(function (e) { frag.appendChild(grid ? tile(e) : row(e)); });
      if (!state.entries.length) frag.appendChild(emptyState(false));
      else if (!shown.length) frag.appendChild(emptyState(true));
      if (f) frag.appendChild(h("li", { class: "f-search-row" }, [h("button", { type: "button", class: "f-search-btn",
        text: "Search all folders below for “" + state.filter.trim() + "”",
        onclick: function () { search(state.filter.trim()); } })]));
    }
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

  // The listing the HTML page itself carries (#ferry-listing, the same JSON
  // as ?format=json), taken once, for the first render; null when the page
  // has none (or it does not parse), or once it has been used.
  function pageListing() {
    var b = document.getElementById("ferry-listing"), j = null;
    if (!b) return null;
    try { j = JSON.parse(b.textContent); } catch (err) { j = null; }
    b.remove();
    return j && Array.isArray(j.entries) ? j : null;
  }

  function noAnswer(err) {
    return err instanceof TypeError || err.name === "AbortError";
  }

  // Lists the folder again (after a change), the first time from the
  // page's own #ferry-listing when it has one. `ready` (optional) is a
  // promise to wait for before showing it: the first listing waits for
  // probe(), asked at the same time, so that its rows know what is allowed.
  function load(ready) {
    var at = path, had = pageListing();
    return Promise.all([had || listing(at), ready]).then(function (got) {
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
    title();
    if (el.dialog.open) el.dialog.close();
    state.filter = el.filter.value = "";
    state.found = null;
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
      if (el.dialog.open && !location.hash) { pushed = false; el.dialog.close(); } // Back closes a preview
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
      state.probed = true;
      showWritable();
      // a server without a state folder keeps no trash (503): a delete is
      // then for good, and asked about first
      if (state.writable)
        fetch("/.ferry/trash", { method: "HEAD" }).then(function (t) { state.noTrash = t.status === 503; }, function () {});
    }).catch(function () {});
  }

  // Who this is (the server's name, in the bar and the title) and how it
  // lets browsers in (Log out when there is a session).
  function identity() {
    return getJSON("/.ferry/status", { cache: "no-store" }, 10000).then(function (j) {
      state.name = j.name || "";
      state.auth = j.auth || "";
      if (state.name) el.brandName.textContent = state.name;
      title();
    }).catch(function () {});
  }

  // ------------------------------------------------------------ preview
  function closeDialog() {
    el.dialog.close();
    clearHash();
  }

  // A preview's deep link (#preview=NAME) is a history entry of its own
  // when the page opened it (pushed), so that Back closes the preview;
  // closing it otherwise drops that entry again.
  var pushed = false;
  function clearHash() {
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
    if (pushed) { pushed = false; history.back(); } // to the same URL: nothing is listed again
  }
  function previewHash(name) {
    var url = path + "#preview=" + encodeURIComponent(name);
    if (!pushed && !location.hash) { history.pushState({ ferryPreview: 1 }, "", url); pushed = true; }
    else history.replaceState(history.state, "", url);
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
    if (kind === "image") { viewer(e); return; }
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
    previewHash(e.name);
  }

  // The pictures viewer: full screen, dark; previous and next by the arrow
  // keys, the buttons or a swipe; "3 of 10"; the picture's name, size and
  // date; Download; Escape, Close or Back end it.
  function viewer(e) {
    var f = state.filter.trim().toLowerCase();
    var pics = state.entries.filter(function (x) {
      return x.type !== "dir" && kindOf(x.name) === "image" && (!f || x.name.toLowerCase().indexOf(f) >= 0);
    }).sort(compare);
    var i = Math.max(0, pics.map(function (x) { return x.name; }).indexOf(e.name));
    var img = h("img", { class: "f-view-img", alt: "" }), count = h("span", { class: "f-view-count" });
    var name = h("h2", {}), info = h("span", { class: "f-view-info" });
    var dl = h("a", { class: "f-tool f-view-dl", download: "", "aria-label": "Download", title: "Download" }, [icon("download")]);
    var prev = h("button", { type: "button", class: "f-view-nav f-view-prev", "aria-label": "Previous picture",
      onclick: function () { show(i - 1); } }, [icon("left")]);
    var next = h("button", { type: "button", class: "f-view-nav f-view-next", "aria-label": "Next picture",
      onclick: function () { show(i + 1); } }, [icon("right")]);
    function show(k) {
      if (k < 0 || k >= pics.length) return;
      i = k;
      var p = pics[i], href = hrefOf(p);
      img.src = href;
      img.alt = p.name;
      name.textContent = p.name;
      count.textContent = (i + 1) + " of " + pics.length;
      info.textContent = humanSize(p.size) + " · " + relDate(p.mtime);
      dl.href = href;
      dl.setAttribute("download", p.name);
      dl.setAttribute("aria-label", "Download " + p.name);
      prev.disabled = i === 0;
      next.disabled = i === pics.length - 1;
      previewHash(p.name);
    }
    var stage = h("div", { class: "f-view-stage" }, [img, prev, next]);
    var x0 = null;
    stage.addEventListener("touchstart", function (ev) { x0 = ev.touches.length === 1 ? ev.touches[0].clientX : null; }, { passive: true });
    stage.addEventListener("touchend", function (ev) {
      if (x0 === null || !ev.changedTouches.length) return;
      var dx = ev.changedTouches[0].clientX - x0;
      x0 = null;
      if (Math.abs(dx) > 50) show(dx < 0 ? i + 1 : i - 1);
    });
    openDialog("Picture viewer", false, [
      h("div", { class: "f-view-bar" }, [count, h("div", { class: "f-view-title" }, [name, info]), dl,
        h("button", { type: "button", class: "f-tool", "aria-label": "Close preview", title: "Close",
          onclick: closeDialog }, [icon("close")])]),
      stage]);
    el.dialog.className = "f-dialog f-viewer";
    el.dialog.onkeydown = function (ev) {
      if (ev.key === "ArrowLeft") { ev.preventDefault(); show(i - 1); }
      else if (ev.key === "ArrowRight") { ev.preventDefault(); show(i + 1); }
    };
    show(i);
  }

  // Shows `kids` in the dialog, named `label`; narrow for small content.
  function openDialog(label, narrow, kids) {
    el.dialog.setAttribute("aria-label", label);
    el.dialog.className = "f-dialog" + (narrow ? " f-narrow" : "");
    el.dialog.onkeydown = null;
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

  // at (optional): the folder's URL (default: the one shown), name its name.
  function share(at, name) {
    if (typeof at !== "string") at = path;
    name = name || folderName();
    var rw = h("input", { type: "checkbox" });
    var body = h("div", { class: "f-share-link", "aria-live": "polite" });
    function mint() {
      clearTimeout(shareTimer);
      body.replaceChildren(h("p", { class: "f-muted", text: "Making a link…" }));
      fetch("/.ferry/share", {
        method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "path=" + encodeURIComponent(at) + "&rights=" + (rw.checked ? "rw" : "ro")
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
    var copy = h("button", { type: "button", text: "Copy link", "aria-label": "Copy link",
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

  // Why a name cannot be used, in plain words ("" when it can).
  function nameProblem(name) {
    if (!name) return "Type a name.";
    if (name === "." || name === "..") return "“" + name + "” cannot be a name.";
    if (name.indexOf("/") >= 0) return "A name cannot contain “/”.";
    return "";
  }

  // A small dialog with one text field: title, the field's label and
  // value, the button's text and accessible name; submit(value, fail)
  // calls fail(text) to show an error next to the field. extra: more
  // content under the field (the move dialog's folder list).
  function fieldDialog(o) {
    var err = h("p", { class: "f-field-error", id: "f-field-error", role: "alert" });
    var input = h("input", { type: "text", id: "f-field", value: o.value || "", placeholder: o.placeholder || null,
      "aria-label": o.aria, "aria-describedby": "f-field-error", autocomplete: "off" });
    var ok = h("button", { type: "submit", class: "f-primary", text: o.button, "aria-label": o.buttonLabel || null });
    function fail(text) {
      err.textContent = text;
      input.setAttribute("aria-invalid", "true");
      ok.disabled = false;
      input.focus();
    }
    var form = h("form", { class: "f-dbody f-form", onsubmit: function (ev) {
      ev.preventDefault();
      err.textContent = "";
      input.removeAttribute("aria-invalid");
      ok.disabled = true;
      o.submit(input.value.trim(), fail);
    } }, [
      h("label", { for: "f-field", class: "f-field-label", text: o.label }), input, err, o.extra || null,
      h("div", { class: "f-inline f-end" }, [
        h("button", { type: "button", text: "Cancel", onclick: closeDialog }), ok])
    ]);
    openDialog(o.title, true, [h("div", { class: "f-dhead" }, [h("h2", { text: o.title })]), form]);
    input.focus();
    return input;
  }

  // New folder: a dialog; the folder made is shown and marked.
  function newFolder() {
    fieldDialog({ title: "New folder", label: "Folder name", aria: "Name of the new folder", placeholder: "Untitled folder",
      button: "Create", buttonLabel: "Create folder", submit: function (name, fail) {
        var p = nameProblem(name);
        if (p) { fail(p); return; }
        fetch(path + encodeURIComponent(name) + "/", { method: "MKCOL" }).then(function (r) {
          if (r.status === 201) {
            closeDialog();
            say("Created the folder “" + name + "”.");
            return load().then(function () { mark(name); });
          }
          if (r.status === 405) { fail("There is already something named “" + name + "” here."); return; }
          return why(r).then(fail);
        }).catch(function (err) { fail("Could not create it: " + err.message); });
      } });
  }

  // Marks the row of `name` (just made or moved here) and scrolls to it.
  function mark(name) {
    var li = Array.prototype.filter.call(el.list.children, function (x) { return x.getAttribute("data-name") === name; })[0];
    if (!li) return;
    li.classList.add("f-new-row");
    li.scrollIntoView({ block: "nearest" });
    var a = li.querySelector("a");
    if (a) a.focus();
  }

  // The words for a refused MOVE (r: the answer; folder: where to).
  function moveProblem(r, name, folder) {
    if (r.status === 412) return "“" + name + "” already exists in " + (decoded(folder) === "/" ? "Home" : decoded(folder)) + ".";
    if (r.status === 409) return Promise.resolve("That folder does not exist (any more).");
    if (r.status === 403) return Promise.resolve("You cannot change files here.");
    return why(r);
  }

  function renameDialog(e, href) {
    var dir = e.type === "dir";
    var input = fieldDialog({ title: "Rename “" + e.name + "”", label: "New name", aria: "New name for " + e.name,
      value: e.name, button: "Rename", buttonLabel: "Confirm rename of " + e.name,
      submit: function (name, fail) {
        var p = nameProblem(name);
        if (p) { fail(p); return; }
        if (name === e.name) { closeDialog(); return; }
        moveTo(href, path, name, dir).then(function (r) {
          if (r.status === 201 || r.status === 204) {
            closeDialog();
            say("Renamed “" + e.name + "” to “" + name + "”.");
            return load().then(function () { mark(name); });
          }
          return Promise.resolve(moveProblem(r, name, path)).then(fail);
        }).catch(function (err) { fail("Could not rename it: " + err.message); });
      } });
    input.setSelectionRange(0, e.name.lastIndexOf(".") > 0 && !dir ? e.name.lastIndexOf(".") : e.name.length);
  }

  // Move: a folder picker (the folders of the one shown, Up, and a typed
  // path) and "Move here".
  function moveDialog(e, href) {
    var dir = e.type === "dir";
    var pick = h("ul", { class: "f-pick", "aria-label": "Folders" });
    var at = path; // the folder the picker shows, %-encoded, ends with "/"
    var input;
    function show(folder) {
      at = folder;
      input.value = decoded(folder);
      pick.replaceChildren(h("li", { class: "f-muted", text: "Loading…" }));
      listing(folder).then(function (j) {
        var kids = [];
        if (folder !== "/") kids.push(h("li", {}, [iconButton("up", "Up to " + (decoded(folder.replace(/[^/]*\/$/, "")) === "/" ? "Home" :
          decoded(folder.replace(/[^/]*\/$/, "").split("/").filter(Boolean).pop())), {
          onclick: function () { show(folder.replace(/[^/]*\/$/, "")); } })]));
        (j.entries || []).filter(function (x) { return x.type === "dir" && !(folder === path && x.name === e.name && dir); })
          .sort(function (a, b) { return collator.compare(a.name, b.name); })
          .forEach(function (x) {
            kids.push(h("li", {}, [iconButton("dir", x.name, { onclick: function () { show(folder + encodeURIComponent(x.name) + "/"); } })]));
          });
        if (kids.length === (folder !== "/" ? 1 : 0)) kids.push(h("li", { class: "f-muted", text: "No folders in here." }));
        pick.replaceChildren.apply(pick, kids);
      }).catch(function () { pick.replaceChildren(h("li", { class: "f-muted", text: "Could not list that folder." })); });
    }
    input = fieldDialog({ title: "Move “" + e.name + "”", label: "Move to folder", aria: "Folder to move " + e.name + " to",
      value: decoded(path), button: "Move", buttonLabel: "Confirm move of " + e.name, extra: pick,
      submit: function (v, fail) {
        if (v.charAt(0) !== "/") v = "/" + v;
        if (v.slice(-1) !== "/") v += "/";
        var folder = v.split("/").map(encodeURIComponent).join("/");
        if (folder === path) { fail("“" + e.name + "” is in this folder already: choose another one."); return; }
        moveTo(href, folder, e.name, dir).then(function (r) {
          if (r.status === 201 || r.status === 204) {
            closeDialog();
            say("Moved “" + e.name + "” to " + (v === "/" ? "Home" : v.replace(/\/$/, "").split("/").pop()) + ".");
            return load();
          }
          return Promise.resolve(moveProblem(r, e.name, folder)).then(fail);
        }).catch(function (err) { fail("Could not move it: " + err.message); });
      } });
    show(at);
  }

  // Delete: into the server's trash at once, with Undo in the toast. When
  // the trash cannot take the item, the server deletes nothing and says why
  // (409, Ferry-Trash), and forGood() asks the person.
  function remove(e, href) {
    if (state.noTrash) { forGood(e, href, "none", e.size || 0); return; }
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
    if (reason === "none") return "This server keeps no trash: “" + name + "” cannot be restored once deleted.";
    if (reason === "disk-full") return "The disk is full: moving " + what + " to the trash would free no space.";
    return "The trash cannot take " + what + ".";
  }

  // Asks whether to delete e for good (nothing is deleted yet); "Delete for
  // good" sends DELETE with Ferry-Trash: skip.
  function forGood(e, href, reason, size) {
    var go = h("button", { type: "button", class: "f-primary f-bad", text: "Delete for good",
      "aria-label": "Delete for good: " + e.name, onclick: function () {
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
          el.banner.replaceChildren(icon("alert"),
            h("p", { text: "The host is asleep or out of reach. Transfers are paused and go on by themselves when it is back." }),
            h("button", { type: "button", text: "Retry now", onclick: function () {
              clearTimeout(timer); delay = 1000; check();
            } }));
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
  // The transfers tray: floating at the bottom (over the list, which never
  // moves for it), collapsible, with a line of totals. Uploads wait in a
  // queue and RUNNING_MAX go at a time, so that a drop of 1,000 files
  // stays under the server's per-address limits. A name that is taken
  // asks: Replace, Keep both (the server names it "name (1).ext") or Skip,
  // and "for all" answers every later one the same way.
  var RUNNING_MAX = 3;
  var conflictAll = ""; // "", or the answer for every conflict: replace, keep-both, skip

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
          if (u.state !== "done" && u.state !== "skipped") return true;
          u.item.remove();
          return false;
        });
        totals();
      } });
    el.upToggle = h("button", { type: "button", class: "f-x", "aria-label": "Hide the uploads", "aria-expanded": "true",
      title: "Hide the uploads", onclick: function () {
        var open = el.upPanel.classList.toggle("f-collapsed") === false;
        el.upToggle.setAttribute("aria-expanded", String(open));
        el.upToggle.setAttribute("aria-label", open ? "Hide the uploads" : "Show the uploads");
        el.upToggle.title = el.upToggle.getAttribute("aria-label");
      } }, [icon("chevron")]);
    el.uploads = h("ul", { class: "f-uploads", "aria-label": "Uploads" });
    el.upPanel = h("section", { class: "f-up-panel f-card", "aria-label": "Uploads", hidden: "" }, [
      h("div", { class: "f-up-total" }, [el.upInfo, h("span", { class: "f-up-actions" }, [el.retryAll, el.clearDone, el.upToggle]),
        el.upBar]),
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
    var sent = 0, total = 0, bps = 0, done = 0, failed = 0, asking = 0;
    live.forEach(function (u) {
      sent += u.sent; total += u.file.size;
      if (u.state === "running") bps += speed(u);
      if (u.state === "done" || u.state === "skipped") done++;
      if (u.state === "failed") failed++;
      if (u.state === "conflict") asking++;
    });
    el.upPanel.hidden = !live.length;
    el.upBar.value = total ? sent / total * 100 : (live.length && done === live.length ? 100 : 0);
    el.upInfo.textContent = done + " of " + live.length + " files · " + humanSize(sent) + " of " + humanSize(total) +
      (bps > 0 ? " · " + humanSize(Math.round(bps)) + "/s · about " + humanTime((total - sent) / bps) + " left" : "") +
      (failed ? " · " + failed + " failed" : "") + (asking ? " · " + asking + " to decide" : "");
    el.retryAll.hidden = !failed;
    el.clearDone.hidden = !done;
  }

  // Starts queued uploads while fewer than RUNNING_MAX are sending (or
  // waiting for the host).
  function pump() {
    if (!uploads.some(function (u) { return ["queued", "running", "waiting", "conflict"].indexOf(u.state) >= 0; }))
      conflictAll = ""; // "for all" was for that batch
    var busy = uploads.filter(function (u) { return u.state === "running" || u.state === "waiting"; }).length;
    uploads.forEach(function (u) {
      if (busy < RUNNING_MAX && u.state === "queued") { busy++; u.begin(); }
    });
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
  // folder is made once, parents first, before any file is queued; the
  // files are queued in the order of their paths.
  function upload(items) {
    if (!items.length) return;
    if (!state.writable) {
      say("This folder is view only: files cannot be added here.", true);
      return;
    }
    makeFolders(items).then(function () {
      items.filter(function (it) { return it.file; }).map(function (it) {
        return { it: it, key: (it.dir ? it.dir + "/" : "") + it.file.name };
      }).sort(function (a, b) { return collator.compare(a.key, b.key); }).forEach(function (x) {
        queueUpload(x.it.file, x.it.dir);
      });
      pump();
      if (items.some(function (it) { return it.dir; })) load();
    }, function (err) { say("Could not upload: " + err.message, true); });
  }

  function queueUpload(file, dir) {
    var folder = (decoded(path).replace(/\/$/, "") + (dir ? "/" + dir : "")) || "/";
    var label = (dir ? dir + "/" : "") + file.name;
    var bar = h("progress", { max: "100", value: "0", "aria-label": "Progress of " + label });
    var info = h("span", { class: "f-up-info", text: "Waiting to start" });
    var pause = h("button", { type: "button", text: "Pause", "aria-label": "Pause " + label, hidden: "" });
    var cancel = h("button", { type: "button", text: "Cancel", "aria-label": "Cancel " + label });
    var ask = h("div", { class: "f-ask-row", hidden: "" });
    var item = h("li", { class: "f-up", "data-name": label, "data-state": "queued" }, [
      h("span", { class: "f-up-name", text: label }),
      h("span", { class: "f-up-actions" }, [pause, cancel]),
      bar, info, ask
    ]);
    var u = { file: file, item: item, sent: 0, samples: [], state: "queued" };
    uploads.push(u);
    el.uploads.appendChild(item);

    function set(st, text) {
      u.state = st;
      item.setAttribute("data-state", st);
      if (text !== undefined) info.textContent = text;
      var over = st === "done" || st === "skipped" || st === "conflict";
      pause.hidden = over || st === "queued";
      cancel.hidden = st === "done" || st === "skipped";
      ask.hidden = st !== "conflict";
      pause.textContent = st === "failed" ? "Retry" : st === "running" ? "Pause" : "Resume";
      pause.setAttribute("aria-label", pause.textContent + " " + label);
      totals();
      if (st !== "running" && st !== "waiting") pump();
    }

    // The person's answer to a taken name: "replace", "keep-both", "skip".
    function answer(choice, all) {
      if (all) {
        conflictAll = choice;
        uploads.forEach(function (x) { if (x !== u && x.state === "conflict" && x.answer) x.answer(choice, false); });
      }
      if (choice === "skip") { set("skipped", "Skipped: “" + file.name + "” was there already"); return; }
      up.options.metadata.onconflict = choice;
      up.url = null;
      set("queued", "Waiting to start");
      pump();
    }
    u.answer = answer;

    function conflict() {
      if (conflictAll) { answer(conflictAll, false); return; }
      var all = h("input", { type: "checkbox" });
      ask.replaceChildren(
        h("button", { type: "button", text: "Replace", "aria-label": "Replace " + label,
          onclick: function () { answer("replace", all.checked); } }),
        h("button", { type: "button", text: "Keep both", "aria-label": "Keep both " + label,
          onclick: function () { answer("keep-both", all.checked); } }),
        h("button", { type: "button", text: "Skip", "aria-label": "Skip " + label,
          onclick: function () { answer("skip", all.checked); } }),
        h("label", { class: "f-check" }, [all, document.createTextNode(" For all")]));
      set("conflict", "“" + file.name + "” is already here.");
      // the question goes to the top of the tray, open, where it is seen
      el.uploads.insertBefore(item, el.uploads.firstChild);
      el.uploads.scrollTop = 0;
      el.upPanel.classList.remove("f-collapsed");
      el.upToggle.setAttribute("aria-expanded", "true");
      el.upToggle.setAttribute("aria-label", "Hide the uploads");
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
        if (st === 409 && / exists;/.test(text)) { conflict(); return; }
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
      if (up.url) up.abort(true).catch(function () {}); // DELETE: the server drops the bytes
      else up.abort();
      u.state = "cancelled";
      item.remove();
      uploads = uploads.filter(function (x) { return x !== u; });
      totals();
      pump();
      say("Cancelled the upload of “" + label + "”.");
    });
    // the first start: the same file sent here before and left unfinished
    // (the host slept, the tab closed) goes on from where it stopped; one
    // for another folder is not it
    var first = true;
    u.begin = function () {
      set("running", "Starting…");
      if (!first) { up.start(); return; }
      first = false;
      up.findPreviousUploads().then(function (prev) {
        prev = prev.filter(function (p) { return p.metadata && p.metadata.folder === folder; });
        if (prev.length) up.resumeFromPreviousUpload(prev[0]);
        up.start();
      }, function () { up.start(); });
    };
    totals();
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
    // files dragged over the page: taken when writable, else refused
    // with a word (never the browser's own handling, which would leave
    // the page to show the file)
    function files(ev) {
      return ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types, "Files") >= 0;
    }
    function has(ev) { return state.writable && files(ev); }
    document.addEventListener("dragover", function (ev) {
      if (files(ev) && !state.writable) { ev.preventDefault(); ev.dataTransfer.dropEffect = "none"; }
    });
    document.addEventListener("drop", function (ev) {
      if (files(ev) && !state.writable) {
        ev.preventDefault();
        say("This folder is view only: files cannot be added here.", true);
      }
    });
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
  title();
  identity();
  load(probe()).then(previewFromHash);
})();
