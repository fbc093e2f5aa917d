// Pure parts of the editor: definition edits, routers, history, autocomplete, simulator reading.
import assert from "node:assert/strict";
import test from "node:test";
import * as F from "../src/lib/flow.js";
import * as H from "../src/lib/history.js";
import { accept, fragmentAt, suggest } from "../src/lib/complete.js";
import { linesFrom, pathOf } from "../src/lib/sim.js";
import { autoLayout } from "../src/lib/layout.js";

function twoNodes() {
  let d = F.normalize(F.emptyDefinition({ uuid: "f1", name: "T" }));
  const a = F.newNode("send_msg");
  const b = F.newNode("wait_for_response");
  d = F.addNode(d, a, { left: 0, top: 0 });
  d = F.addNode(d, b, { left: 0, top: 200 });
  return { d, a, b };
}

test("connect, disconnect and delete keep exits consistent", () => {
  const { d, a, b } = twoNodes();
  const c = F.connectExit(d, a.exits[0].uuid, b.uuid);
  assert.equal(F.findNode(c, a.uuid).exits[0].destination_uuid, b.uuid);
  assert.equal(F.findNode(d, a.uuid).exits[0].destination_uuid, null, "input is not mutated");
  assert.equal(F.edgesOf(c).length, 1);
  const self = F.connectExit(c, a.exits[0].uuid, a.uuid);
  assert.equal(F.findNode(self, a.uuid).exits[0].destination_uuid, b.uuid, "no self loops");
  const del = F.deleteNodes(c, [b.uuid]);
  assert.equal(del.nodes.length, 1);
  assert.equal(del.nodes[0].exits[0].destination_uuid, null);
  assert.equal(del._ui.nodes[b.uuid], undefined);
});

test("router form keeps connections of categories that keep their name", () => {
  const { d, a, b } = twoNodes();
  const wait = F.findNode(d, b.uuid);
  const form = F.routerForm(wait);
  assert.equal(form.wait, true);
  assert.equal(form.defaultName, "All Responses");
  const withRules = F.applyRouterForm(wait, {
    ...form,
    cases: [
      { type: "has_any_word", arguments: "yes y", category: "Yes" },
      { type: "has_number_between", arguments: "1 10", category: "Low" },
    ],
    timeout: 300,
  });
  const names = withRules.router.categories.map((c) => c.name);
  assert.deepEqual(names, ["Yes", "Low", "Other", "No Response"]);
  assert.deepEqual(withRules.router.cases[1].arguments, ["1", "10"]);
  assert.equal(withRules.router.wait.timeout.seconds, 300);
  assert.equal(withRules.exits.length, 4);
  const yes = withRules.router.categories[0];
  const connected = { ...withRules, exits: withRules.exits.map((e) => (e.uuid === yes.exit_uuid ? { ...e, destination_uuid: a.uuid } : e)) };
  const again = F.applyRouterForm(connected, { ...F.routerForm(connected), timeout: 0 });
  assert.equal(again.router.categories[0].uuid, yes.uuid);
  assert.equal(again.exits.find((e) => e.uuid === yes.exit_uuid).destination_uuid, a.uuid);
  assert.ok(!again.router.categories.some((c) => c.name === "No Response"));
});

test("new webhook and subflow nodes route on their outcome", () => {
  const hook = F.newNode("call_webhook");
  assert.equal(hook.actions[0].type, "call_webhook");
  assert.deepEqual(hook.router.categories.map((c) => c.name), ["Success", "Failure"]);
  assert.equal(hook.router.operand, "@results.result.category");
  const sub = F.newNode("enter_flow");
  assert.equal(sub.router.operand, "@child.run.status");
});

test("history undoes and redoes", () => {
  let h = H.initHistory(1);
  h = H.push(h, 2);
  h = H.push(h, 3);
  h = H.undo(h);
  assert.equal(h.present, 2);
  h = H.redo(h);
  assert.equal(h.present, 3);
  h = H.undo(H.undo(h));
  h = H.push(h, 9);
  assert.equal(h.present, 9);
  assert.equal(h.future.length, 0);
});

test("autocomplete finds the fragment at the caret", () => {
  assert.deepEqual(fragmentAt("Hi @contact.na", 14), { start: 3, prefix: "contact.na" });
  assert.equal(fragmentAt("mail me@@x", 10), null);
  assert.equal(fragmentAt("no expression", 5), null);
  const { frag, items } = suggest("Hi @res", 7, { results: ["age"], fields: [] });
  assert.ok(items.includes("results.age"));
  const out = accept("Hi @res!", 7, frag, "results.age");
  assert.equal(out.text, "Hi @results.age!");
  assert.equal(out.caret, 15);
  assert.ok(suggest("@fie", 4, { results: [], fields: ["district"] }).items.includes("fields.district"));
});

test("simulator reading: lines once, path and current node", () => {
  const seen = new Set();
  const ev = [{ type: "msg_created", msg: { text: "Hello" } }, { type: "msg_received", msg: { text: "x" } }];
  assert.deepEqual(linesFrom(ev, seen).map((l) => l.text), ["Hello"]);
  assert.equal(linesFrom(ev, seen).length, 0);
  const p = pathOf({ runs: [{ status: "waiting", path: [{ node_uuid: "n1", exit_uuid: "e1" }, { node_uuid: "n2" }] }] });
  assert.ok(p.nodes.has("n1") && p.exits.has("e1"));
  assert.equal(p.current, "n2");
  assert.equal(p.last, "n2");
  // a completed run waits nowhere, but the canvas still follows it to where it ended
  const done = pathOf({ runs: [{ status: "completed", path: [{ node_uuid: "n1", exit_uuid: "e1" }, { node_uuid: "n3" }] }] });
  assert.equal(done.current, null);
  assert.equal(done.last, "n3");
});

test("auto-layout puts a destination below its source", () => {
  const { d, a, b } = twoNodes();
  const c = F.connectExit(d, a.exits[0].uuid, b.uuid);
  const moved = F.moveNodes(c, { [a.uuid]: { x: 500, y: 900 }, [b.uuid]: { x: 0, y: 0 } });
  const laid = autoLayout(moved);
  assert.ok(laid._ui.nodes[b.uuid].position.top > laid._ui.nodes[a.uuid].position.top);
});
