// How a connection is drawn. Forward connections (the target below the exit) are curves; a
// connection back up the flow (a retry loop) would run straight through the cards between, so it
// leaves the exit downwards, goes round the side of both cards in a lane, and comes down into
// the target from above.

const LANE = 28; // distance of the side lane from the cards' edges (flow units)
const STUB = 18; // straight run out of the exit and into the target
const RADIUS = 10; // rounded corners

/** True when the target's input is not comfortably below the exit. */
export function isBackEdge(sourceY, targetY) {
  return targetY < sourceY + 2 * STUB;
}

/** The corner points of a connection going round the cards: boxes are {x, y, w, h}. */
export function backEdgePoints(sx, sy, tx, ty, src, tgt) {
  const right = Math.max(src.x + src.w, tgt.x + tgt.w) + LANE;
  const left = Math.min(src.x, tgt.x) - LANE;
  const gapLeft = Math.min(src.x + src.w, tgt.x + tgt.w);
  const gapRight = Math.max(src.x, tgt.x);
  let lane;
  if (gapRight - gapLeft >= LANE) {
    // cards side by side: the lane runs in the gap between them
    lane = (gapLeft + gapRight) / 2;
  } else {
    // one above the other: round the side closer to both ends
    lane = Math.abs(sx - right) + Math.abs(tx - right) <= Math.abs(sx - left) + Math.abs(tx - left) ? right : left;
  }
  const top = Math.min(ty - STUB, tgt.y - STUB);
  return [
    [sx, sy],
    [sx, sy + STUB],
    [lane, sy + STUB],
    [lane, top],
    [tx, top],
    [tx, ty],
  ];
}

/** An SVG path through orthogonal points with rounded corners. */
export function roundedPath(points, radius = RADIUS) {
  let d = `M ${points[0][0]},${points[0][1]}`;
  for (let i = 1; i < points.length - 1; i++) {
    const [px, py] = points[i - 1];
    const [x, y] = points[i];
    const [nx, ny] = points[i + 1];
    const r = Math.min(radius, Math.hypot(x - px, y - py) / 2, Math.hypot(nx - x, ny - y) / 2);
    const inDir = unit(x - px, y - py);
    const outDir = unit(nx - x, ny - y);
    d += ` L ${x - inDir[0] * r},${y - inDir[1] * r} Q ${x},${y} ${x + outDir[0] * r},${y + outDir[1] * r}`;
  }
  const last = points[points.length - 1];
  return `${d} L ${last[0]},${last[1]}`;
}

function unit(dx, dy) {
  const len = Math.hypot(dx, dy) || 1;
  return [dx / len, dy / len];
}

/** Path and label point of a connection going back up: the label sits on the side lane. */
export function backEdge(sx, sy, tx, ty, src, tgt) {
  const pts = backEdgePoints(sx, sy, tx, ty, src, tgt);
  return { path: roundedPath(pts), labelX: pts[2][0], labelY: (pts[2][1] + pts[3][1]) / 2 };
}
