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

  // Times as the server writes them: "Thu 3 Dec 2026, 13:55 CET", in the
  // orders' time zone.
  const zone = list.dataset.zone || "UTC";
  function when(iso) {
    if (!iso) return "";
    const parts = {};
    for (const p of new Intl.DateTimeFormat("en-GB", {
      weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone, timeZoneName: "short",
    }).formatToParts(new Date(iso))) parts[p.type] = p.value;
    return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year}, ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
  }

  function row(item) {
    const li = template.content.firstElementChild.cloneNode(true);
    li.dataset.order = item.order_id;
    const link = li.querySelector("a.order");
    link.href = "/app/orders/" + encodeURIComponent(item.order_id);
    link.textContent = item.title || item.order_id;
    li.querySelector(".status").textContent = (item.status || "").replaceAll("_", " ");
    li.querySelector(".deadline").textContent = when(item.next_deadline);
    // The template's control ids hold "-_-" where a row's hold its order id.
    for (const attr of ["id", "for", "aria-describedby"]) {
      for (const el of li.querySelectorAll("[" + attr + "]")) {
        el.setAttribute(attr, el.getAttribute(attr).replace("-_-", "-" + item.order_id + "-"));
      }
    }
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
  events.addEventListener("error", () => {
    // Closed for good: the answer was no stream (the session ended).
    status.textContent = events.readyState === EventSource.CLOSED
      ? "The live feed stopped: reload the page (you may have to sign in again)."
      : "Reconnecting to the live feed…";
  });
  events.addEventListener("snapshot", (e) => {
    list.replaceChildren();
    for (const item of JSON.parse(e.data).orders) put(item);
    empty.hidden = list.children.length > 0;
  });
  events.addEventListener("added", (e) => put(JSON.parse(e.data)));
  events.addEventListener("updated", (e) => put(JSON.parse(e.data)));
  events.addEventListener("removed", (e) => remove(JSON.parse(e.data).order_id));
})();
