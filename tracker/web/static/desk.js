// The editor's desk: live queue (server-sent events), the count in the tab title, and
// keyboard shortcuts j/k (move), Enter (open), c (claim), a (acknowledge), r (resolve).
(function () {
  "use strict";
  const rows = document.getElementById("rows");
  const baseTitle = document.title.replace(/^\(\d+\)\s*/, "");
  let selected = -1;

  function setCount(n) {
    document.title = (n > 0 ? "(" + n + ") " : "") + baseTitle;
    const badge = document.getElementById("open-count");
    if (badge) badge.textContent = n > 0 ? String(n) : "";
    const total = document.getElementById("total");
    if (total) { total.textContent = n + " open"; total.dataset.total = String(n); }
  }

  function items() { return rows ? Array.from(rows.querySelectorAll("tr.ev")) : []; }

  function select(i) {
    const list = items();
    if (!list.length) return;
    selected = Math.max(0, Math.min(i, list.length - 1));
    list.forEach((tr, j) => tr.classList.toggle("selected", j === selected));
    list[selected].focus({ preventScroll: true });
    list[selected].scrollIntoView({ block: "nearest" });
  }

  async function refresh(freshIds) {
    if (!rows) return;
    const query = document.getElementById("queue").dataset.query;
    const response = await fetch("/queue/rows" + (query ? "?" + query : ""), { credentials: "same-origin" });
    if (!response.ok) return;
    const keep = items()[selected] ? items()[selected].dataset.id : null;
    rows.innerHTML = await response.text();
    const total = response.headers.get("X-Queue-Total");
    if (total !== null) setCount(parseInt(total, 10));
    items().forEach((tr, j) => {
      if (freshIds.has(tr.dataset.id)) tr.classList.add("fresh");
      if (tr.dataset.id === keep) selected = j;
    });
    if (selected >= 0) select(selected);
  }

  if (window.EventSource) {
    const source = new EventSource("/api/v1/stream");
    let pending = new Set();
    let timer = null;
    source.addEventListener("queue", (e) => setCount(JSON.parse(e.data).open));
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
      const note = window.prompt("Resolution note");
      if (note === null) return;
      const form = tr.querySelector("form.resolve");
      if (!form) return;
      form.querySelector("input[name=note]").value = note;
      form.submit();
      return;
    }
    const button = tr.querySelector('button[data-verb="' + verb + '"]');
    if (button) button.click();
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = (e.target && e.target.tagName) || "";
    if (["INPUT", "TEXTAREA", "SELECT"].includes(tag)) return;
    if (!rows) return;
    if (e.key === "j") { select(selected + 1); e.preventDefault(); }
    else if (e.key === "k") { select(selected - 1); e.preventDefault(); }
    else if (e.key === "Enter" && items()[selected]) { items()[selected].querySelector("a").click(); }
    else if (e.key === "c") act("claim");
    else if (e.key === "a") act("ack");
    else if (e.key === "r") act("resolve");
  });

  const total = document.getElementById("total");
  if (total) setCount(parseInt(total.dataset.total || "0", 10));
})();
