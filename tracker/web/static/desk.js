// The editor's desk: live queue (server-sent events), the count in the tab title, and
// keyboard shortcuts j/k (move), Enter (open), c (claim), a (acknowledge), r (resolve), and
// for an event that needs review y (confirm) and x (reject), on the queue and on its page.
(function () {
  "use strict";
  const root = document.documentElement;
  const rows = document.getElementById("rows");
  const table = document.getElementById("queue");
  const query = table ? table.dataset.query : "";
  const baseTitle = document.title.replace(/^\(\d+\)\s*/, "");
  let selected = -1;

  // The open queue's size (from the stream): in the tab title and next to "Queue".
  function setOpen(n) {
    document.title = (n > 0 ? "(" + n + ") " : "") + baseTitle;
    const badge = document.getElementById("open-count");
    if (badge) badge.textContent = n > 0 ? String(n) : "";
  }

  // How many events this (maybe filtered) list holds.
  function setTotal(n) {
    const total = document.getElementById("total");
    if (total) {
      total.textContent = n + " " + (total.dataset.label || "open");
      total.dataset.total = String(n);
    }
  }

  function items() { return rows ? Array.from(rows.querySelectorAll("tr.ev")) : []; }

  function mark() {
    const list = items();
    if (!list.length) { selected = -1; return list; }
    if (selected >= list.length) selected = list.length - 1;
    list.forEach((tr, j) => tr.classList.toggle("selected", j === selected));
    return list;
  }

  function select(i) {
    if (!items().length) return;
    selected = Math.max(0, i);
    const list = mark();
    list[selected].focus({ preventScroll: true });
    list[selected].scrollIntoView({ block: "nearest" });
  }

  // Replace the rows with the server's; keep the selection, and whatever note an editor was
  // typing (and the cursor in it). Only the newest of overlapping refreshes is applied.
  let fresh = new Set();
  let generation = 0;
  async function refresh(freshIds) {
    if (!rows) return;
    freshIds.forEach((id) => fresh.add(id));
    const mine = ++generation;
    let response;
    let html;
    try {
      response = await fetch("/queue/rows" + (query ? "?" + query : ""), { credentials: "same-origin" });
      if (!response.ok) return;
      if (response.redirected || !response.headers.has("X-Queue-Total")) {
        // the session ended: the page itself goes to the login form, then back here
        if (mine === generation) window.location.reload();
        return;
      }
      html = await response.text();
    } catch (err) {
      return; // offline for a moment: the stream reconnects and refreshes again
    }
    if (mine !== generation) return;
    const list = items();
    const keep = list[selected] ? list[selected].dataset.id : null;
    const notes = new Map();
    list.forEach((tr) => {
      const note = tr.querySelector("input[name=note]");
      if (note && note.value) notes.set(tr.dataset.id, note.value);
    });
    const active = document.activeElement;
    const typing = active && active.name === "note" && rows.contains(active)
      ? { id: active.closest("tr").dataset.id, at: active.selectionStart } : null;
    rows.innerHTML = html;
    setTotal(parseInt(response.headers.get("X-Queue-Total"), 10));
    const ids = fresh;
    fresh = new Set();
    items().forEach((tr, j) => {
      if (ids.has(tr.dataset.id)) tr.classList.add("fresh");
      if (tr.dataset.id === keep) selected = j;
      const note = tr.querySelector("input[name=note]");
      if (note && notes.has(tr.dataset.id)) note.value = notes.get(tr.dataset.id);
      if (note && typing && typing.id === tr.dataset.id) {
        note.focus({ preventScroll: true });
        note.setSelectionRange(typing.at, typing.at);
      }
    });
    mark();
  }

  const stream = document.body.dataset.stream;
  if (stream && window.EventSource) {
    const source = new EventSource(stream);
    let pending = new Set();
    let timer = null;
    let hello = false;
    source.addEventListener("open", () => { hello = true; });
    source.addEventListener("error", () => {
      root.dataset.live = source.readyState === EventSource.CLOSED ? "no" : "reconnecting";
    });
    source.addEventListener("queue", (e) => {
      setOpen(JSON.parse(e.data).open);
      root.dataset.live = "yes";
      if (hello) {
        // (re)connected: anything that landed while the page loaded, or while the stream
        // was away, is on the server's rows
        hello = false;
        refresh(new Set());
      }
    });
    source.addEventListener("change", (e) => {
      pending.add(JSON.parse(e.data).id);
      clearTimeout(timer);
      timer = setTimeout(() => { const ids = pending; pending = new Set(); refresh(ids); }, 200);
    });
  }

  function act(verb) {
    const tr = items()[selected];
    if (!tr) return;
    if (verb === "resolve") {
      const form = tr.querySelector("form.resolve");
      if (!form) return;
      const note = window.prompt("Resolution note");
      if (note === null) return;
      form.querySelector("input[name=note]").value = note;
      form.submit();
      return;
    }
    const button = tr.querySelector('button[data-verb="' + verb + '"]');
    if (button) button.click();
  }

  const reviews = { y: "confirm", x: "reject" };

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = (e.target && e.target.tagName) || "";
    if (["INPUT", "TEXTAREA", "SELECT"].includes(tag)) return;
    if (!rows) {
      // an event's own page: its review buttons
      const verb = reviews[e.key];
      const button = verb && document.querySelector('.actions button[data-verb="' + verb + '"]');
      if (button) { button.click(); e.preventDefault(); }
      return;
    }
    if (e.key === "j") { select(selected + 1); e.preventDefault(); }
    else if (e.key === "k") { select(selected - 1); e.preventDefault(); }
    else if (e.key === "Enter" && items()[selected] && !["A", "BUTTON"].includes(tag)) {
      items()[selected].querySelector("a").click();
    }
    else if (e.key === "c") act("claim");
    else if (e.key === "a") act("ack");
    else if (e.key === "r") act("resolve");
    else if (reviews[e.key]) act(reviews[e.key]);
  });

  const total = document.getElementById("total");
  if (total && !query) setOpen(parseInt(total.dataset.total || "0", 10));
})();
