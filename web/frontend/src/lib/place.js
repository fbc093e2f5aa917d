// Where a new card may go: never on top of another one. Boxes are {x, y, w, h} in flow units.

export const DEFAULT_SIZE = { w: 240, h: 120 };
const GAP = 24;

function hits(a, b) {
  return a.x < b.x + b.w + GAP && b.x < a.x + a.w + GAP && a.y < b.y + b.h + GAP && b.y < a.y + a.h + GAP;
}

/** Boxes of a definition's cards, measured where the canvas knows their size. */
export function boxesOf(def, sizes = {}) {
  return def.nodes.map((n) => {
    const p = ((def._ui.nodes[n.uuid] || {}).position) || { left: 0, top: 0 };
    const s = sizes[n.uuid] || {};
    return { id: n.uuid, x: p.left, y: p.top, w: s.width || DEFAULT_SIZE.w, h: s.height || DEFAULT_SIZE.h };
  });
}

/**
 * The first free place at or below the wanted point: a card that would overlap is pushed just
 * under the card it hits, so it stays in the column the user aimed at. Each step moves down
 * past one box, so the loop ends after at most one step per box.
 */
export function freeSpot(boxes, want, size = DEFAULT_SIZE) {
  const me = { x: Math.round(want.x), y: Math.round(want.y), w: size.w, h: size.h };
  for (let i = 0; i <= boxes.length; i++) {
    const hit = boxes.find((b) => hits(me, b));
    if (!hit) break;
    me.y = hit.y + hit.h + GAP + 1;
  }
  return { left: me.x, top: me.y };
}

/** Pairs of cards that overlap (for tests and the issues list). */
export function overlapping(boxes) {
  const out = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) out.push([a.id, b.id]);
    }
  }
  return out;
}
