import { memo } from "react";
import { Handle, Position } from "@xyflow/react";
import { ACTION_LABELS, exitRows, translation } from "../lib/flow.js";
import { actionText } from "../lib/labels.js";

function actionSummary(a, lang, def) {
  const base = actionText(a);
  if (lang && (a.type === "send_msg" || a.type === "say_msg")) return translation(def, lang, a.uuid, "text") || base;
  return base;
}

function routerTitle(node) {
  const r = node.router;
  if (r.wait) return r.result_name ? `Wait for response → ${r.result_name}` : "Wait for response";
  return `Split by ${r.operand || "expression"}`;
}

/** One flow node as a card: its actions, then its router's categories with their exits. */
function FlowNode({ data }) {
  const { node, errors, visited, current, lang, def } = data;
  const rows = exitRows(node);
  const cls = ["fg-node", errors.length ? "has-errors" : "", visited ? "visited" : "", current ? "current" : ""].join(" ");
  return (
    <div className={cls} data-node-uuid={node.uuid} aria-invalid={errors.length ? "true" : undefined}>
      <Handle type="target" position={Position.Top} id="in" className="fg-in" />
      {node.actions.map((a) => (
        <div key={a.uuid} className={`fg-action fg-${a.type}`} data-action-uuid={a.uuid}>
          <div className="fg-action-type">{ACTION_LABELS[a.type] || a.type}</div>
          <div className="fg-action-body">{actionSummary(a, lang, def) || <em>empty</em>}</div>
        </div>
      ))}
      {node.router && <div className="fg-router">{routerTitle(node)}</div>}
      {errors.length > 0 && (
        <ul className="fg-errors" role="alert">
          {errors.map((e, i) => (
            <li key={i}>{e.field ? `${e.field}: ` : ""}{e.message}</li>
          ))}
        </ul>
      )}
      <div className="fg-exits">
        {rows.map((r) => (
          <div key={r.uuid} className={`fg-exit${r.destination ? " connected" : ""}`} data-exit-uuid={r.uuid}>
            {r.name && <span className="fg-category">{lang ? translation(def, lang, r.categoryUuid, "name") || r.name : r.name}</span>}
            <Handle type="source" position={Position.Bottom} id={r.uuid} className="fg-out" data-exit-uuid={r.uuid} title={`Drag to connect${r.name ? ` “${r.name}”` : ""} to a card, or to empty space to add one`} />
          </div>
        ))}
      </div>
    </div>
  );
}

export default memo(FlowNode);
