// Live message log: rows are added and updated from the workspace websocket.
(function () {
  const table = document.getElementById("msg-log");
  const live = document.getElementById("live");
  if (!table) return;
  const body = table.querySelector("tbody");
  const wantDirection = table.dataset.direction;
  const wantStatus = table.dataset.status;

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function render(event) {
    let row = body.querySelector(`tr[data-uuid="${event.uuid}"]`);
    if (!row) {
      if (wantDirection && event.direction !== wantDirection) return;
      if (wantStatus && event.status !== wantStatus) return;
      row = document.createElement("tr");
      row.dataset.uuid = event.uuid;
      const when = new Date(event.created_on);
      const link = document.createElement("a");
      link.href = `/messages/${event.uuid}/`;
      link.textContent = event.text.length > 80 ? event.text.slice(0, 79) + "…" : event.text;
      const textCell = document.createElement("td");
      textCell.appendChild(link);
      row.append(cell(when.toISOString().replace("T", " ").slice(0, 19)), cell(event.direction), cell(event.urn),
        textCell, cell(event.channel_name || ""), cell(event.status, "status " + event.status));
      body.prepend(row);
    } else {
      const statusCell = row.lastElementChild;
      statusCell.textContent = event.status;
      statusCell.className = "status " + event.status;
    }
  }

  function connect(delay) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/events/`);
    socket.onopen = () => { live.textContent = "live"; live.classList.add("on"); };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.kind === "msg") render(event);
    };
    socket.onclose = () => {
      live.textContent = "reconnecting…";
      live.classList.remove("on");
      setTimeout(() => connect(Math.min(delay * 2, 10000)), delay);
    };
  }
  connect(500);
})();
