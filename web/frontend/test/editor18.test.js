// Issue 18: placement without overlap, the issues list, and what cards and connections say.
import assert from "node:assert/strict";
import test from "node:test";
import * as F from "../src/lib/flow.js";
import { boxesOf, freeSpot, overlapping } from "../src/lib/place.js";
import { flowIssues } from "../src/lib/issues.js";
import { actionText, cardLabel, edgeLabel } from "../src/lib/labels.js";

test("new cards never land on another card", () => {
  let d = F.normalize(F.emptyDefinition({ uuid: "f", name: "T" }));
  for (let i = 0; i < 8; i++) {
    const n = F.newNode("send_msg");
    d = F.addNode(d, n, freeSpot(boxesOf(d), { x: 100, y: 100 }));
  }
  assert.equal(d.nodes.length, 8);
  assert.deepEqual(overlapping(boxesOf(d)), []);
  // the wanted point is kept when it is free
  assert.deepEqual(freeSpot([], { x: 10.4, y: 20.6 }), { left: 10, top: 21 });
});

test("issues: missing results, unknown fields, dangling and unconnected exits, unreachable cards", () => {
  let d = F.normalize(F.emptyDefinition({ uuid: "f", name: "T" }));
  const ask = F.newNode("wait_for_response", { resultName: "Name" });
  ask.actions = [{ ...F.newAction("send_msg"), text: "Hi @results.nickname, in @fields.district?" }];
  const split = F.newNode("split_by_expression");
  split.router = { ...split.router, categories: [...split.router.categories, { uuid: "c2", name: "Yes", exit_uuid: "x2" }] };
  split.exits = [...split.exits, { uuid: "x2", destination_uuid: "gone" }];
  d = F.addNode(d, ask, { left: 0, top: 0 });
  d = F.addNode(d, split, { left: 0, top: 300 });
  const lonely = F.newNode("send_msg");
  lonely.actions[0].text = "@results.name is known";
  d = F.addNode(d, lonely, { left: 400, top: 0 });
  const kinds = (issues) => issues.map((i) => i.kind).sort();
  const before = flowIssues(d, { knownFields: ["age"] });
  assert.ok(before.some((i) => i.kind === "missing_result" && i.message.includes("@results.nickname")));
  assert.ok(!before.some((i) => i.kind === "missing_result" && i.message.includes("uses @results.name,")), "a result a card saves is known");
  assert.ok(before.some((i) => i.kind === "unknown_field" && i.message.includes("@fields.district")));
  assert.ok(before.some((i) => i.kind === "dangling_exit" && i.node_uuid === split.uuid && i.message.includes("no longer exists")));
  assert.ok(before.some((i) => i.kind === "dangling_exit" && i.message.includes("“Other” is not connected")));
  assert.deepEqual(kinds(before.filter((i) => i.kind === "unreachable")), ["unreachable", "unreachable"]);
  // fields not loaded yet: none is called unknown
  assert.ok(!flowIssues(d).some((i) => i.kind === "unknown_field"));
});

test("every action card shows its content, send_email included", () => {
  const email = { uuid: "a", type: "send_email", addresses: ["ops@example.org"], subject: "New signup", body: "@contact.name joined" };
  assert.equal(actionText(email), "To: ops@example.org\nSubject: New signup\n@contact.name joined");
  assert.equal(actionText({ uuid: "b", type: "add_input_labels", labels: [{ uuid: "l", name: "Spam" }] }), "Spam");
  assert.equal(actionText({ uuid: "c", type: "set_contact_language", language: "fra" }), "fra");
  assert.match(actionText({ uuid: "d", type: "something_new", foo: "bar" }), /foo: bar/);
});

test("cards and connections have spoken names, not uuids", () => {
  const a = F.newNode("wait_for_response", { resultName: "Name" });
  a.actions = [{ ...F.newAction("send_msg"), text: "What is your name?" }];
  const b = F.newNode("send_msg");
  b.actions[0].text = "Thanks";
  assert.match(cardLabel(a), /Send message “What is your name\?”, then wait for a response saved as Name/);
  const label = edgeLabel(a, a.exits[0].uuid, b);
  assert.match(label, /category All Responses/);
  assert.ok(!label.includes(a.uuid) && !label.includes(b.uuid));
});

test("a connection back up the flow goes round the cards, not through them", async () => {
  const { backEdgePoints, isBackEdge, roundedPath } = await import("../src/lib/edges.js");
  const src = { x: 300, y: 400, w: 230, h: 90 }; // the card the loop leaves from (below)
  const tgt = { x: 0, y: 160, w: 230, h: 60 }; // the card it returns to (above, to the left)
  const [sx, sy, tx, ty] = [415, 490, 115, 156];
  assert.equal(isBackEdge(sy, ty), true);
  assert.equal(isBackEdge(100, 300), false);
  const pts = backEdgePoints(sx, sy, tx, ty, src, tgt);
  assert.deepEqual(pts[0], [sx, sy]);
  assert.deepEqual(pts[pts.length - 1], [tx, ty]);
  // the vertical run is in a lane outside both cards, and the path enters the target from above
  const lane = pts[2][0];
  for (const box of [src, tgt]) assert.ok(lane < box.x || lane > box.x + box.w, `lane ${lane} crosses a card`);
  assert.equal(lane, 265); // in the gap between the two cards
  assert.ok(pts[4][1] < tgt.y);
  // every segment is horizontal or vertical: the rounded path is built on right angles
  for (let i = 1; i < pts.length; i++) assert.ok(pts[i][0] === pts[i - 1][0] || pts[i][1] === pts[i - 1][1]);
  // one above the other (no gap): the lane runs outside both, on the side closer to the ends
  const stacked = backEdgePoints(115, 490, 115, 156, { x: 0, y: 400, w: 230, h: 90 }, { x: 20, y: 160, w: 230, h: 60 });
  assert.ok(stacked[2][0] < 0 || stacked[2][0] > 250, `lane ${stacked[2][0]} crosses a card`);
  const d = roundedPath(pts);
  assert.match(d, /^M 415,490 /);
  assert.equal((d.match(/Q/g) || []).length, pts.length - 2);
  assert.match(d, / L 115,156$/);
});

test("a connection's caption names its category and where it goes", async () => {
  const { edgeCaption } = await import("../src/lib/labels.js");
  const ask = F.newNode("wait_for_response", { resultName: "Name" });
  const thanks = F.newNode("send_msg");
  thanks.actions[0].text = "Thanks for registering with the clinic, see you soon";
  const caption = edgeCaption(ask, ask.exits[0].uuid, thanks);
  assert.match(caption, /^All Responses → Send message “Thanks for/);
  assert.ok(caption.length < 60, caption);
  assert.doesNotMatch(caption, /[0-9a-f]{8}-[0-9a-f]{4}/); // never a uuid
});
