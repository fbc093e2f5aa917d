// The simulator transport: websocket first, HTTP when the socket is missing, refused or drops.
import assert from "node:assert/strict";
import test from "node:test";
import { createSimTransport, SimError } from "../src/lib/simsocket.js";

/** A scripted stand-in for the browser WebSocket: `answer(msg)` returns what the server says. */
function fakeSocket({ hello = true, answer = () => null, closeOn = null } = {}) {
  const sockets = [];
  class FakeWS {
    constructor(url) {
      this.url = url;
      this.sent = [];
      sockets.push(this);
      setTimeout(() => {
        if (hello === "close") this.onclose && this.onclose({ code: 1006 });
        else if (hello) this.onmessage && this.onmessage({ data: JSON.stringify({ kind: "hello" }) });
      }, 0);
    }
    send(text) {
      const msg = JSON.parse(text);
      this.sent.push(msg);
      setTimeout(() => {
        if (closeOn && closeOn(msg)) {
          this.onclose && this.onclose({ code: 1006 });
          return;
        }
        const reply = answer(msg);
        if (reply) this.onmessage && this.onmessage({ data: JSON.stringify(reply) });
      }, 0);
    }
    close() {
      this.closed = true;
    }
  }
  return { FakeWS, sockets };
}

function recorder() {
  const posts = [];
  const post = async (body) => {
    posts.push(body);
    return { kind: "http", status: "waiting", session: { runs: [] }, events: [] };
  };
  return { posts, post };
}

test("start and reply go over the socket and the server keeps the session", async () => {
  const { FakeWS, sockets } = fakeSocket({ answer: (m) => ({ kind: "sprint", status: "waiting", echo: m, session: { runs: [] } }) });
  const { posts, post } = recorder();
  const modes = [];
  const t = createSimTransport({ url: "ws://x/ws/simulator/", post, WebSocketImpl: FakeWS, onMode: (m) => modes.push(m) });
  const started = await t.start({ flow: "f1", contact: { name: "T" } });
  assert.deepEqual(started.echo, { flow: "f1", input: null, contact: { name: "T" } });
  const replied = await t.reply({ input: "red", session: { big: "json" } });
  assert.deepEqual(replied.echo, { input: "red" }, "the session is not sent back over the socket");
  assert.equal(sockets.length, 1);
  assert.deepEqual(posts, []);
  assert.deepEqual(modes, ["socket", "socket"]);
  t.close();
  assert.equal(sockets[0].closed, true);
});

test("server errors are shown, not retried over HTTP", async () => {
  const { FakeWS } = fakeSocket({ answer: () => ({ kind: "error", error: "flow not found" }) });
  const { posts, post } = recorder();
  const t = createSimTransport({ url: "ws://x", post, WebSocketImpl: FakeWS });
  await assert.rejects(t.start({ flow: "nope" }), (err) => err instanceof SimError && err.message === "flow not found");
  assert.deepEqual(posts, []);
});

test("a socket refused at connect falls back to HTTP and is not retried at once", async () => {
  const { FakeWS, sockets } = fakeSocket({ hello: "close" });
  const { posts, post } = recorder();
  const modes = [];
  const t = createSimTransport({ url: "ws://x", post, WebSocketImpl: FakeWS, onMode: (m) => modes.push(m) });
  await t.start({ flow: "f1", input: "hi", contact: { name: "T" } });
  await t.start({ flow: "f1" });
  assert.deepEqual(posts, [{ flow: "f1", inputs: ["hi"], contact: { name: "T" } }, { flow: "f1", inputs: [], contact: undefined }]);
  assert.equal(sockets.length, 1, "no reconnect storm");
  assert.deepEqual(modes, ["http", "http"]);
});

test("a socket that says nothing in time, or no WebSocket at all, means HTTP", async () => {
  const { FakeWS } = fakeSocket({ hello: false });
  const { posts, post } = recorder();
  const t = createSimTransport({ url: "ws://x", post, WebSocketImpl: FakeWS, helloTimeout: 20 });
  await t.start({ flow: "f1" });
  const none = createSimTransport({ url: "ws://x", post, WebSocketImpl: undefined });
  await none.start({ flow: "f2" });
  assert.deepEqual(posts.map((p) => p.flow), ["f1", "f2"]);
});

test("a socket dropping mid-session continues over HTTP with the session JSON", async () => {
  const { FakeWS } = fakeSocket({
    answer: () => ({ kind: "sprint", status: "waiting", session: { runs: [1] } }),
    closeOn: (m) => m.input === "drop",
  });
  const { posts, post } = recorder();
  const t = createSimTransport({ url: "ws://x", post, WebSocketImpl: FakeWS });
  const first = await t.start({ flow: "f1" });
  const answer = await t.reply({ input: "drop", session: first.session });
  assert.equal(answer.kind, "http");
  assert.deepEqual(posts, [{ session: { runs: [1] }, inputs: ["drop"] }]);
  await t.reply({ input: "again", session: first.session });
  assert.equal(posts.length, 2, "the server's session went with the socket: HTTP carries on");
});

test("a socket that never answers is given up and HTTP answers", async () => {
  const { FakeWS } = fakeSocket({ answer: () => null });
  const { posts, post } = recorder();
  const t = createSimTransport({ url: "ws://x", post, WebSocketImpl: FakeWS, answerTimeout: 20 });
  const answer = await t.start({ flow: "f1" });
  assert.equal(answer.kind, "http");
  assert.equal(posts.length, 1);
});
