// How the simulator reaches the server: a websocket (/ws/simulator/) that keeps the session on
// the server, one per panel; when the socket can't be had or drops, POST /api/v1/simulate with
// the session JSON, which needs no server state. Both answer with the same fields.

export class SimError extends Error {}

const HELLO_TIMEOUT_MS = 4000;
const ANSWER_TIMEOUT_MS = 20000;
const RETRY_AFTER_MS = 30000; // after a failed connection, HTTP alone for a while

export function socketUrl(loc = globalThis.location) {
  return `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}/ws/simulator/`;
}

/**
 * `post(body)` is the HTTP fallback (resolves to the simulate answer); `WebSocketImpl` and `now`
 * are injectable for tests. `onMode("socket" | "http")` reports which way the last answer came.
 */
export function createSimTransport({ url, post, WebSocketImpl = globalThis.WebSocket, now = Date.now, onMode = () => {},
  helloTimeout = HELLO_TIMEOUT_MS, answerTimeout = ANSWER_TIMEOUT_MS } = {}) {
  let socket = null;
  let ready = null; // promise of an open socket (or null) while connecting
  let failedAt = -Infinity;
  let pending = null;
  let sessionOnSocket = false;
  let closed = false;

  const drop = () => {
    if (socket) {
      socket.onclose = socket.onmessage = socket.onerror = null;
      try {
        socket.close();
      } catch {
        /* already closed */
      }
    }
    socket = null;
    ready = null;
    sessionOnSocket = false;
    if (pending) {
      const { lost, timer } = pending;
      clearTimeout(timer);
      pending = null;
      lost();
    }
  };

  const connect = () => {
    if (closed || !WebSocketImpl || now() - failedAt < RETRY_AFTER_MS) return Promise.resolve(null);
    if (ready) return ready;
    ready = new Promise((resolve) => {
      let ws;
      try {
        ws = new WebSocketImpl(url);
      } catch {
        failedAt = now();
        resolve(null);
        return;
      }
      socket = ws;
      // "open" is not enough: the server says hello once it has accepted this user.
      const timer = setTimeout(() => {
        failedAt = now();
        drop();
        resolve(null);
      }, helloTimeout);
      ws.onmessage = (m) => {
        let data;
        try {
          data = JSON.parse(m.data);
        } catch {
          return;
        }
        if (data.kind === "hello") {
          clearTimeout(timer);
          resolve(ws);
          return;
        }
        if (!pending) return;
        const { resolve: done, reject, timer: answerTimer } = pending;
        clearTimeout(answerTimer);
        pending = null;
        if (data.kind === "sprint") {
          sessionOnSocket = true;
          done(data);
        } else {
          reject(new SimError(data.error || "the simulator failed"));
        }
      };
      ws.onerror = () => {}; // onclose follows and decides
      ws.onclose = () => {
        clearTimeout(timer);
        if (socket === ws) {
          if (!pending) failedAt = now(); // never got going, or went away while idle
          drop();
        }
        resolve(null);
      };
    });
    return ready;
  };

  const overSocket = (ws, message) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        failedAt = now();
        drop();
      }, answerTimeout);
      pending = { resolve, reject, timer, lost: () => resolve(null) };
      ws.send(JSON.stringify(message));
    });

  const overHttp = async (body) => {
    const data = await post(body);
    onMode("http");
    return data;
  };

  return {
    connect,
    /** Starts `flow` afresh, answering `input` if given. */
    async start({ flow, input = null, contact }) {
      const ws = await connect();
      if (ws) {
        sessionOnSocket = false;
        const data = await overSocket(ws, { flow, input, contact });
        if (data) {
          onMode("socket");
          return data;
        }
      }
      return overHttp({ flow, inputs: input === null ? [] : [input], contact });
    },
    /** Answers the waiting flow; `session` (from the last answer) serves the HTTP fallback. */
    async reply({ input, session }) {
      if (socket && sessionOnSocket && !pending) {
        const data = await overSocket(socket, { input });
        if (data) {
          onMode("socket");
          return data;
        }
      }
      return overHttp({ session, inputs: [input] });
    },
    close() {
      closed = true;
      drop();
    },
  };
}
