// Tickets, live: the inbox marks changed tickets; a ticket's thread gains the contact's new
// messages and the ticket's status as they happen (workspace websocket, kinds "msg" and "ticket").
(function () {
  const list = document.getElementById("ticket-list");
  const thread = document.getElementById("ticket-thread");
  const live = document.getElementById("live");
  if (!list && !thread) return;
  const urns = thread ? new Set((thread.dataset.urns || "").split(" ").filter(Boolean)) : new Set();

  function addMessage(event) {
    let item = thread.querySelector(`li[data-msg="${event.uuid}"]`);
    if (item) {
      const status = item.querySelector(".status");
      if (status) { status.textContent = event.status; status.className = "status " + event.status; }
      return;
    }
    item = document.createElement("li");
    item.className = "item " + (event.direction === "in" ? "in" : "out");
    item.dataset.msg = event.uuid;
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = (event.created_on || "").replace("T", " ").slice(0, 16);
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = event.text || "";
    const status = document.createElement("span");
    status.className = "status " + event.status;
    status.textContent = event.status;
    item.append(when, " ", text, " ", status);
    thread.append(item);
  }

  function onTicket(event) {
    if (thread && event.uuid === thread.dataset.ticket) {
      document.getElementById("ticket-status").textContent = event.status;
      document.getElementById("ticket-assignee").textContent = event.assignee || "nobody";
    }
    if (list) {
      const row = list.querySelector(`tr[data-ticket="${event.uuid}"]`);
      if (row) {
        row.querySelector(".status").textContent = event.status;
        row.querySelector(".assignee").textContent = event.assignee || "nobody";
        row.classList.add("changed");
      } else {
        document.getElementById("ticket-news").hidden = false;
      }
    }
  }

  function connect(delay) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/events/`);
    socket.onopen = () => { live.textContent = "live"; live.classList.add("on"); };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.kind === "ticket") onTicket(event);
      if (event.kind === "msg" && thread && urns.has(event.urn)) addMessage(event);
    };
    socket.onclose = () => {
      live.textContent = "reconnecting…";
      live.classList.remove("on");
      setTimeout(() => connect(Math.min(delay * 2, 10000)), delay);
    };
  }
  connect(500);
})();
