import { memo, useCallback } from "react";
import { BaseEdge, EdgeLabelRenderer, getBezierPath, useStore } from "@xyflow/react";
import { backEdge, isBackEdge } from "../lib/edges.js";
import { DEFAULT_SIZE } from "../lib/place.js";

// A card's box as a string of numbers: the selector's answer only changes (and the edge only
// re-renders) when that card moves or resizes, not on every change elsewhere in the flow.
function useBox(id) {
  const key = useStore(
    useCallback(
      (s) => {
        const n = s.nodeLookup.get(id);
        if (!n) return "";
        const p = n.internals.positionAbsolute;
        const m = n.measured || {};
        return `${p.x},${p.y},${m.width || DEFAULT_SIZE.w},${m.height || DEFAULT_SIZE.h}`;
      },
      [id],
    ),
  );
  if (!key) return null;
  const [x, y, w, h] = key.split(",").map(Number);
  return { x, y, w, h };
}

/**
 * One connection: a curve down to the next card, or a lane round the cards when it goes back
 * up. Hovered or selected, it is raised above the cards (App sets its zIndex) and shows its
 * label: the category it leaves from and the card it goes to.
 */
function FlowEdge({ id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, markerEnd, data, selected }) {
  const src = useBox(source);
  const tgt = useBox(target);
  let path;
  let labelX;
  let labelY;
  if (src && tgt && isBackEdge(sourceY, targetY)) {
    ({ path, labelX, labelY } = backEdge(sourceX, sourceY, targetX, targetY, src, tgt));
  } else {
    [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition });
  }
  const raised = selected || (data && data.hover);
  const showLabel = data && data.caption && raised;
  return (
    <>
      {/* raised above the cards, a halo under the line keeps it readable where it crosses one
          (only then: 300 more paths would slow a large flow's every repaint) */}
      {raised && <path d={path} className="fg-edge-halo" fill="none" />}
      <BaseEdge id={id} path={path} markerEnd={markerEnd} interactionWidth={22} />
      {showLabel && (
        <EdgeLabelRenderer>
          <div
            className={`fg-edge-label nodrag nopan${selected ? " selected" : ""}`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            aria-hidden="true"
            data-edge-label={id}
          >
            {data.caption}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export default memo(FlowEdge);
