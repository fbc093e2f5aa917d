// Auto-layout: a top-to-bottom layered drawing (dagre) using each card's measured size.
import dagre from "@dagrejs/dagre";
import { moveNodes } from "./flow.js";

export function autoLayout(def, sizes = {}) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 50, ranksep: 70, marginx: 40, marginy: 40 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of def.nodes) {
    const s = sizes[n.uuid] || {};
    g.setNode(n.uuid, { width: s.width || 240, height: s.height || 120 });
  }
  const known = new Set(def.nodes.map((n) => n.uuid));
  for (const n of def.nodes) {
    for (const e of n.exits) {
      if (e.destination_uuid && known.has(e.destination_uuid) && e.destination_uuid !== n.uuid) g.setEdge(n.uuid, e.destination_uuid);
    }
  }
  dagre.layout(g);
  const positions = {};
  for (const n of def.nodes) {
    const p = g.node(n.uuid);
    positions[n.uuid] = { x: p.x - p.width / 2, y: p.y - p.height / 2 };
  }
  return moveNodes(def, positions);
}
