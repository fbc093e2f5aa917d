import { memo } from "react";
import { BaseEdge, EdgeLabelRenderer, getBezierPath, useInternalNode } from "@xyflow/react";
import { backEdge, isBackEdge } from "../lib/edges.js";
import { DEFAULT_SIZE } from "../lib/place.js";

function boxOf(node) {
  const p = node.internals.positionAbsolute;
  return { x: p.x, y: p.y, w: (node.measured && node.measured.width) || DEFAULT_SIZE.w, h: (node.measured && node.measured.height) || DEFAULT_SIZE.h };
}

/**
 * One connection: a curve down to the next card, or a lane round the cards when it goes back
 * up. Hovered or selected, it is raised above the cards (App sets its zIndex) and shows its
 * label: the category it leaves from and the card it goes to.
 */
function FlowEdge({ id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, markerEnd, data, selected }) {
  const src = useInternalNode(source);
  const tgt = useInternalNode(target);
  let path;
  let labelX;
  let labelY;
  if (src && tgt && isBackEdge(sourceY, targetY)) {
    ({ path, labelX, labelY } = backEdge(sourceX, sourceY, targetX, targetY, boxOf(src), boxOf(tgt)));
  } else {
    [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition });
  }
  const showLabel = data && data.caption && (selected || data.hover);
  return (
    <>
      {/* a pale halo under the line keeps it readable where it crosses the dotted grid or a card */}
      <path d={path} className="fg-edge-halo" fill="none" />
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
