// Undo/redo over immutable definition snapshots; bounded so a long session stays small.

const LIMIT = 200;

export function initHistory(present) {
  return { past: [], present, future: [] };
}

export function push(h, next) {
  if (next === h.present) return h;
  return { past: [...h.past, h.present].slice(-LIMIT), present: next, future: [] };
}

/** Replaces the present without an undo step (e.g. while a node is being dragged). */
export function replace(h, next) {
  return { ...h, present: next };
}

export function undo(h) {
  if (!h.past.length) return h;
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1], future: [h.present, ...h.future] };
}

export function redo(h) {
  if (!h.future.length) return h;
  return { past: [...h.past, h.present], present: h.future[0], future: h.future.slice(1) };
}
