// The supplier's live feed: keeps the list of offered orders current from
// the event stream, without reloading. Each new row is a copy of the page's
// row template, so the forms (and their security token) are the server's.
"use strict";
(function () {
  const list = document.getElementById("offered");
  const template = document.getElementById("offer-row");
  const empty = document.getElementById("offered-empty");
  const status = document.getElementById("feed-status");
  if (!list || !template || !window.EventSource) return;

  function when(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  }

  function row(item) {
    const li = template.content.firstElementChild.cloneNode(true);
    li.dataset.order = item.order_id;
    const link = li.querySelector("a.order");
    link.href = "/app/orders/" + encodeURIComponent(item.order_id);
    link.textContent = item.title || item.order_id;
    li.querySelector(".status").textContent = (item.status || "").replaceAll("_", " ");
    li.querySelector(".deadline").textContent = when(item.next_deadline);
    for (const form of li.querySelectorAll("form")) {
      form.action = "/app/orders/" + encodeURIComponent(item.order_id) + "/actions/" + form.dataset.action;
      form.querySelector("input[name=request_id]").value = "page-" + crypto.randomUUID();
    }
    return li;
  }

  function put(item) {
    const old = list.querySelector('[data-order="' + CSS.escape(item.order_id) + '"]');
    const li = row(item);
    if (old) old.replaceWith(li); else list.append(li);
    empty.hidden = list.children.length > 0;
  }

  function remove(id) {
    const old = list.querySelector('[data-order="' + CSS.escape(id) + '"]');
    if (old) old.remove();
    empty.hidden = list.children.length > 0;
  }

  const events = new EventSource("/app/feed/stream");
  events.addEventListener("open", () => { status.textContent = "Live: new offers appear here as they come."; });
  events.addEventListener("error", () => { status.textContent = "Reconnecting to the live feed…"; });
  events.addEventListener("snapshot", (e) => {
    list.replaceChildren();
    for (const item of JSON.parse(e.data).orders) put(item);
    empty.hidden = list.children.length > 0;
  });
  events.addEventListener("added", (e) => put(JSON.parse(e.data)));
  events.addEventListener("updated", (e) => put(JSON.parse(e.data)));
  events.addEventListener("removed", (e) => remove(JSON.parse(e.data).order_id));
})();
