import { useCallback, useEffect, useMemo, useState } from "react";
import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  applyNodeChanges,
  useNodesInitialized,
  useReactFlow,
} from "@xyflow/react";
import FlowNode from "./components/FlowNode.jsx";
import FlowEdge from "./components/FlowEdge.jsx";
import NodeEditor from "./components/NodeEditor.jsx";
import Simulator from "./components/Simulator.jsx";
import Revisions from "./components/Revisions.jsx";
import NodePicker from "./components/NodePicker.jsx";
import IssuesPanel from "./components/IssuesPanel.jsx";
import { ConfirmDialog, LanguageDialog } from "./components/Dialog.jsx";
import { OverflowMenu, ToolButton, useNarrow } from "./components/Toolbar.jsx";
import { flowIssues } from "./lib/issues.js";
import { boxesOf, freeSpot } from "./lib/place.js";
import { cardLabel, edgeCaption, edgeLabel } from "./lib/labels.js";
import TestsPanel, { testsFailing } from "./components/TestsPanel.jsx";
import { api, listOf } from "./lib/api.js";
import * as H from "./lib/history.js";
import { autoLayout } from "./lib/layout.js";
import {
  NODE_KINDS,
  addLanguage,
  addNode,
  connectExit,
  deleteNodes,
  edgesOf,
  emptyDefinition,
  findNode,
  languages,
  moveNodes,
  namesInFlow,
  newNode,
  normalize,
  replaceNode,
  setTranslation,
} from "./lib/flow.js";

const nodeTypes = { flow: FlowNode };
const edgeTypes = { flow: FlowEdge };
// Connections run under the cards (a card stays readable) except the hovered or selected one,
// which is raised above every card, selected ones included (those sit at 1000).
const RAISED_EDGE_Z = 1001;
const EDGE_COLOURS = { plain: "#4f6a94", raised: "#2459d6", taken: "#1f8a4c" };
const NO_ERRORS = [];
const NO_PATH = { nodes: new Set(), exits: new Set(), current: null, last: null };

function buildNodes(def, prev, { errorsByNode, path, lang }) {
  const prevById = new Map(prev.map((n) => [n.id, n]));
  return def.nodes.map((node) => {
    const ui = def._ui.nodes[node.uuid] || {};
    const pos = ui.position || { left: 0, top: 0 };
    const errors = errorsByNode[node.uuid] || NO_ERRORS;
    const visited = path.nodes.has(node.uuid);
    const current = path.current === node.uuid;
    const old = prevById.get(node.uuid);
    if (
      old &&
      old.data.node === node &&
      old.data.errors === errors &&
      old.data.visited === visited &&
      old.data.current === current &&
      old.data.lang === lang &&
      (!lang || old.data.def === def) &&
      old.position.x === pos.left &&
      old.position.y === pos.top
    ) {
      return old;
    }
    return {
      id: node.uuid,
      type: "flow",
      position: { x: pos.left, y: pos.top },
      data: { node, errors, visited, current, lang, def },
      selected: old ? old.selected : false,
      measured: old ? old.measured : undefined,
      ariaLabel: cardLabel(node),
    };
  });
}

function groupErrors(errors) {
  const out = {};
  for (const e of errors) {
    if (!e.node_uuid) continue;
    (out[e.node_uuid] = out[e.node_uuid] || []).push(e);
  }
  return out;
}

function ReadyMarker({ count }) {
  const initialized = useNodesInitialized();
  useEffect(() => {
    if ((initialized || count === 0) && !window.__fgReadyAt) {
      window.__fgReadyAt = performance.now();
      document.documentElement.dataset.editorReady = "1";
    }
  }, [initialized, count]);
  return null;
}

function Editor({ flowUuid }) {
  const rf = useReactFlow();
  const narrow = useNarrow();
  const [meta, setMeta] = useState(null);
  const [loadError, setLoadError] = useState("");
  const [hist, setHist] = useState(null);
  const [saved, setSaved] = useState(null);
  const [rfNodes, setRfNodes] = useState([]);
  const [errors, setErrors] = useState([]);
  const [status, setStatus] = useState("");
  const [editing, setEditing] = useState(null);
  const [lang, setLang] = useState("");
  const [kind, setKind] = useState("send_msg");
  const [showSim, setShowSim] = useState(false);
  const [showRevs, setShowRevs] = useState(false);
  const [showTests, setShowTests] = useState(false); // the Tests panel (TestsPanel.jsx)
  const [simInputs, setSimInputs] = useState([]); // what the simulator's last session played
  const [path, setPath] = useState(NO_PATH);
  const [flows, setFlows] = useState([]);
  const [picker, setPicker] = useState(null);
  const [selEdges, setSelEdges] = useState(() => new Set());
  const [hoverEdge, setHoverEdge] = useState(null);
  const [knownFields, setKnownFields] = useState(null);
  const [ask, setAsk] = useState(null); // "flow tests fail, save anyway?": {failing, resolve}
  const [addingLang, setAddingLang] = useState(false);
  const def = hist ? hist.present : null;

  const load = useCallback(async () => {
    try {
      const data = await api(`/flows/${flowUuid}`);
      const raw = data.definition && data.definition.nodes ? data.definition : emptyDefinition({ uuid: flowUuid, name: data.name });
      const d = normalize(raw);
      setMeta({ name: data.name, revision: data.revision, archived: data.archived });
      setHist(H.initHistory(d));
      setSaved(d);
      setErrors([]);
    } catch (err) {
      setLoadError(err.status === 404 ? "This flow does not exist." : err.message);
    }
  }, [flowUuid]);

  useEffect(() => {
    load();
    api("/flows")
      .then((d) => setFlows(listOf(d, "flows").filter((f) => f.uuid !== flowUuid)))
      .catch(() => setFlows([]));
    api("/fields")
      .then((d) => setKnownFields(listOf(d, "fields").map((f) => f.key)))
      .catch(() => setKnownFields(null));
  }, [load, flowUuid]);

  const errorsByNode = useMemo(() => groupErrors(errors), [errors]);
  // A save message stays until the next edit.
  useEffect(() => setStatus(""), [def]);
  useEffect(() => {
    if (def) setRfNodes((prev) => buildNodes(def, prev, { errorsByNode, path, lang }));
  }, [def, errorsByNode, path, lang]);
  // Edges are built once per definition and path (names, captions); hovering or selecting one
  // replaces only that edge's object, so the other connections keep theirs and do not re-render.
  const baseEdges = useMemo(() => {
    if (!def) return [];
    const byUuid = new Map(def.nodes.map((n) => [n.uuid, n]));
    return edgesOf(def, { taken: path.exits }).map((e) => {
      const source = byUuid.get(e.source);
      const target = byUuid.get(e.target);
      const colour = path.exits.has(e.id) ? EDGE_COLOURS.taken : EDGE_COLOURS.plain;
      return {
        ...e,
        type: "flow",
        selected: false,
        zIndex: 0,
        markerEnd: { type: MarkerType.ArrowClosed, color: colour, width: 16, height: 16 },
        data: { hover: false, caption: edgeCaption(source, e.sourceHandle, target) },
        ariaLabel: edgeLabel(source, e.sourceHandle, target),
      };
    });
  }, [def, path]);
  const edges = useMemo(
    () =>
      baseEdges.map((e) => {
        const selected = selEdges.has(e.id);
        const hover = hoverEdge === e.id;
        if (!selected && !hover) return e;
        const taken = path.exits.has(e.id);
        return {
          ...e,
          selected,
          zIndex: RAISED_EDGE_Z,
          className: [e.className, hover ? "hover" : ""].filter(Boolean).join(" ") || undefined,
          markerEnd: { ...e.markerEnd, color: taken ? EDGE_COLOURS.taken : EDGE_COLOURS.raised },
          data: { ...e.data, hover },
        };
      }),
    [baseEdges, selEdges, hoverEdge, path],
  );
  const onEdgeMouseEnter = useCallback((_e, edge) => setHoverEdge(edge.id), []);
  const onEdgeMouseLeave = useCallback(() => setHoverEdge(null), []);
  const onNodeClick = useCallback((_e, n) => setEditing(n.id), []);
  const onEdgesChange = useCallback((changes) => {
    const picks = changes.filter((c) => c.type === "select");
    if (!picks.length) return;
    setSelEdges((old) => {
      const next = new Set(old);
      picks.forEach((c) => (c.selected ? next.add(c.id) : next.delete(c.id)));
      return next;
    });
  }, []);
  const sizes = useCallback(() => Object.fromEntries(rfNodes.map((n) => [n.id, n.measured || {}])), [rfNodes]);
  const issues = useMemo(() => {
    if (!def) return [];
    const serverSide = errors.map((e) => ({ node_uuid: e.node_uuid || null, kind: "save", message: `${e.field ? `${e.field}: ` : ""}${e.message}` }));
    return [...serverSide, ...flowIssues(def, { knownFields })];
  }, [def, errors, knownFields]);
  const names = useMemo(() => (def ? namesInFlow(def) : { results: [], fields: [] }), [def]);

  const commit = useCallback((fn) => setHist((h) => H.push(h, fn(h.present))), []);
  const undo = useCallback(() => setHist((h) => H.undo(h)), []);
  const redo = useCallback(() => setHist((h) => H.redo(h)), []);

  const onNodesChange = useCallback(
    (changes) => {
      setRfNodes((ns) => applyNodeChanges(changes, ns));
      const done = changes.filter((c) => c.type === "position" && c.dragging === false && c.position);
      if (done.length) commit((d) => moveNodes(d, Object.fromEntries(done.map((c) => [c.id, c.position]))));
    },
    [commit],
  );
  const onConnect = useCallback((c) => commit((d) => connectExit(d, c.sourceHandle, c.target)), [commit]);
  // Dropping a connection anywhere on a card (not only on its input handle) connects to it;
  // dropping it on empty canvas offers the picker there, RapidPro's way of growing a flow.
  const onConnectEnd = useCallback(
    (event, state) => {
      if (state && state.isValid) return;
      const from = state && state.fromHandle;
      if (!from || from.type !== "source") return;
      const pt = event.changedTouches ? event.changedTouches[0] : event;
      const el = document.elementFromPoint(pt.clientX, pt.clientY);
      const card = el && el.closest("[data-node-uuid]");
      if (card) commit((d) => connectExit(d, from.id, card.getAttribute("data-node-uuid")));
      else if (el && el.closest(".react-flow__pane")) {
        const flowPos = rf.screenToFlowPosition({ x: pt.clientX, y: pt.clientY });
        setPicker({ exit: from.id, screen: { x: pt.clientX, y: pt.clientY }, flow: { x: flowPos.x - 120, y: flowPos.y } });
      }
    },
    [commit, rf],
  );
  // One undo step for whatever one Delete removed: cards and connections together.
  const removeSelected = useCallback(
    (nodeIds, edgeIds) => {
      if (!nodeIds.length && !edgeIds.length) return;
      commit((d) => deleteNodes(edgeIds.reduce((acc, id) => connectExit(acc, id, null), d), nodeIds));
      setSelEdges(new Set());
    },
    [commit],
  );
  const onDelete = useCallback(({ nodes: ns, edges: es }) => removeSelected(ns.map((n) => n.id), es.map((e) => e.id)), [removeSelected]);
  const selectedNodes = rfNodes.filter((n) => n.selected).map((n) => n.id);

  const place = useCallback((d, want) => freeSpot(boxesOf(d, sizes()), want), [sizes]);

  const addKind = () => {
    const box = document.querySelector(".fg-canvas").getBoundingClientRect();
    const want = rf.screenToFlowPosition({ x: box.left + box.width / 3, y: box.top + box.height / 5 });
    const node = newNode(kind);
    commit((d) => addNode(d, node, place(d, want)));
    setEditing(node.uuid);
  };

  const pickAt = (k) => {
    const node = newNode(k);
    const { exit, flow } = picker;
    commit((d) => connectExit(addNode(d, node, place(d, flow)), exit, node.uuid));
    setPicker(null);
    setEditing(node.uuid);
  };

  const goTo = useCallback(
    (uuid) => {
      const n = rf.getNode(uuid);
      if (!n) return;
      const w = (n.measured && n.measured.width) || 240;
      const h = (n.measured && n.measured.height) || 120;
      rf.setCenter(n.position.x + w / 2, n.position.y + h / 2, { zoom: Math.max(rf.getZoom(), 0.8), duration: 250 });
      setRfNodes((ns) => ns.map((x) => (x.selected !== (x.id === uuid) ? { ...x, selected: x.id === uuid } : x)));
    },
    [rf],
  );
  // The simulator docks beside the canvas; the canvas follows the contact to its current card.
  // A resize (a phone turned, the window narrowed) centres it again: it must not end off screen.
  useEffect(() => {
    if (!path.last) return undefined;
    const follow = () => {
      const n = rf.getNode(path.last);
      if (!n) return;
      const w = (n.measured && n.measured.width) || 240;
      const h = (n.measured && n.measured.height) || 120;
      rf.setCenter(n.position.x + w / 2, n.position.y + h / 2, { zoom: rf.getZoom(), duration: 250 });
    };
    follow();
    let timer = 0;
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(follow, 150);
    };
    window.addEventListener("resize", later);
    return () => {
      clearTimeout(timer);
      window.removeEventListener("resize", later);
    };
  }, [path.last, rf]);

  const layout = () => {
    const sizes = Object.fromEntries(rfNodes.map((n) => [n.id, n.measured || {}]));
    commit((d) => autoLayout(d, sizes));
    requestAnimationFrame(() => rf.fitView({ duration: 200, maxZoom: 1, padding: 0.15 }));
  };

  const save = useCallback(async () => {
    if (!def) return false;
    // publishing over failing flow tests asks first (the tests run on the unsaved definition)
    const failing = await testsFailing(flowUuid, def);
    if (failing && !(await new Promise((resolve) => setAsk({ failing, resolve })))) {
      setStatus("Not saved: flow tests fail");
      return false;
    }
    setStatus("Saving…");
    try {
      const data = await api(`/flows/${flowUuid}/definition`, { method: "PUT", body: { definition: def } });
      setSaved(def);
      setErrors(data.errors || []);
      setMeta((m) => ({ ...m, revision: data.revision }));
      setStatus(`Saved revision ${data.revision}`);
      return true;
    } catch (err) {
      const errs = (err.body && err.body.errors) || [];
      setErrors(errs.filter((e) => e && typeof e === "object" && "message" in e));
      setStatus(errs.length ? `Not saved: ${errs.length} problem${errs.length > 1 ? "s" : ""} to fix` : `Not saved: ${err.message}`);
      return false;
    }
  }, [def, flowUuid]);

  const dirty = def !== null && def !== saved;
  const beforeSim = useCallback(async () => (dirty ? save() : true), [dirty, save]);

  useEffect(() => {
    const onKey = (e) => {
      const mod = e.ctrlKey || e.metaKey;
      if (!mod) return;
      const inField = /^(INPUT|TEXTAREA|SELECT)$/.test((e.target && e.target.tagName) || "");
      if (e.key === "s") {
        e.preventDefault();
        save();
      } else if (!inField && e.key.toLowerCase() === "z") {
        e.preventDefault();
        if (e.shiftKey) redo();
        else undo();
      } else if (!inField && e.key === "y") {
        e.preventDefault();
        redo();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [save, undo, redo]);

  useEffect(() => {
    const warn = (e) => {
      if (dirty) {
        e.preventDefault();
        e.returnValue = "";
      }
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  if (loadError) return <p className="fg-load-error" role="alert">{loadError}</p>;
  if (!def) return <p className="fg-loading">Loading the flow…</p>;

  const editNode = editing ? findNode(def, editing) : null;
  const flowErrors = errors.filter((e) => !e.node_uuid);
  const langs = languages(def);

  const moreTools = (
    <>
      <button type="button" onClick={layout} data-action="layout">
        Auto-layout
      </button>
      <label htmlFor="lang" className="sr-only">
        Language
      </label>
      <select
        id="lang"
        value={lang}
        onChange={(e) => {
          const v = e.target.value;
          if (v === "__add") setAddingLang(true);
          else setLang(v);
        }}
      >
        <option value="">{`Language: ${def.language || "eng"}`}</option>
        {langs.map((l) => (
          <option key={l} value={l}>
            Translate: {l}
          </option>
        ))}
        <option value="__add">Add a language…</option>
      </select>
      <button type="button" onClick={() => setShowRevs((v) => !v)} aria-expanded={showRevs} data-action="revisions">
        Revisions
      </button>
      <button type="button" onClick={() => setShowTests((v) => !v)} aria-expanded={showTests} data-action="tests">
        Tests
      </button>
      <button type="button" onClick={() => setShowSim((v) => !v)} aria-expanded={showSim} data-action="simulator">
        Simulator
      </button>
    </>
  );

  return (
    <div className={`fg-editor${showSim ? " with-sim" : ""}${editNode ? " with-panel" : ""}`}>
      <div className={`fg-toolbar${narrow ? " fg-narrow" : ""}`} role="toolbar" aria-label="Flow editor">
        <div className="fg-toolbar-head">
          <strong className="fg-title" title={meta.name}>{meta.name}</strong>
          <span className="fg-status" role="status" data-dirty={dirty ? "1" : "0"}>
            {status || (dirty ? "Unsaved changes" : `Revision ${meta.revision}`)}
          </span>
        </div>
        <label htmlFor="add-kind" className="sr-only">
          Node type
        </label>
        <select id="add-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
          {NODE_KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
        <ToolButton icon="add" label="Add node" onClick={addKind} data-action="add-node" title="Add a card of the chosen type" />
        <ToolButton
          icon="delete"
          label="Delete"
          onClick={() => removeSelected(selectedNodes, [...selEdges])}
          disabled={!selectedNodes.length && !selEdges.size}
          title="Delete the selected cards and connections (Delete)"
          data-action="delete-selected"
        />
        <ToolButton icon="undo" label="Undo" iconOnly onClick={undo} disabled={!hist.past.length} title="Undo (Ctrl+Z)" data-action="undo" />
        <ToolButton icon="redo" label="Redo" iconOnly onClick={redo} disabled={!hist.future.length} title="Redo (Ctrl+Shift+Z)" data-action="redo" />
        {narrow ? <OverflowMenu>{moreTools}</OverflowMenu> : moreTools}
        <button type="button" className="primary" onClick={save} disabled={!dirty} data-action="save">
          Save
        </button>
      </div>
      {flowErrors.length > 0 && (
        <ul className="fg-errors fg-flow-errors" role="alert">
          {flowErrors.map((e, i) => (
            <li key={i}>{e.field ? `${e.field}: ` : ""}{e.message}</li>
          ))}
        </ul>
      )}
      {showRevs && (
        <Revisions
          flowUuid={flowUuid}
          onReverted={async () => {
            await load();
            setShowRevs(false);
          }}
          onClose={() => setShowRevs(false)}
        />
      )}
      <div className="fg-body">
        <div
          className="fg-canvas"
          // a connection reached with the keyboard is raised and captioned as on hover
          onFocus={(e) => {
            const el = e.target.closest && e.target.closest(".react-flow__edge");
            setHoverEdge(el ? el.getAttribute("data-id") : null);
          }}
          onBlur={(e) => {
            if (e.target.closest && e.target.closest(".react-flow__edge")) setHoverEdge(null);
          }}
          onKeyDown={(e) => {
          if (e.key === "Enter" && e.target.closest && e.target.closest(".react-flow__node")) {
            setEditing(e.target.closest(".react-flow__node").getAttribute("data-id"));
          }
        }}>
          {def.nodes.length === 0 && <p className="fg-empty">This flow is empty: choose a card type and press “Add node”, then drag from a card’s exit to empty canvas to add the next one.</p>}
          <ReactFlow
            nodes={rfNodes}
            edges={edges}
            nodeTypes={nodeTypes}
            edgeTypes={edgeTypes}
            onEdgeMouseEnter={onEdgeMouseEnter}
            onEdgeMouseLeave={onEdgeMouseLeave}
            onNodesChange={onNodesChange}
            onConnect={onConnect}
            onConnectEnd={onConnectEnd}
            onEdgesChange={onEdgesChange}
            onDelete={onDelete}
            onNodeClick={onNodeClick}
            deleteKeyCode={["Delete", "Backspace"]}
            minZoom={0.1}
            maxZoom={2}
            fitView
            fitViewOptions={{ maxZoom: 1, padding: 0.15 }}
            onlyRenderVisibleElements={def.nodes.length > 120}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={20} />
            <Controls fitViewOptions={{ maxZoom: 1, padding: 0.15 }} />
            {def.nodes.length <= 120 && <MiniMap pannable zoomable ariaLabel="Overview of the flow" />}
          </ReactFlow>
          <IssuesPanel issues={issues} onGoTo={goTo} />
          {picker && <NodePicker at={picker.screen} onPick={pickAt} onCancel={() => setPicker(null)} />}
          <ReadyMarker count={def.nodes.length} />
        </div>
        {editNode && (
          <div
            className="fg-modal"
            onMouseDown={(e) => {
              if (e.target === e.currentTarget) setEditing(null);
            }}
          >
          <NodeEditor
            key={`${editNode.uuid}:${lang}`}
            node={editNode}
            def={def}
            lang={lang}
            names={names}
            flows={flows}
            errors={errorsByNode[editNode.uuid] || NO_ERRORS}
            onApply={(n) => {
              commit((d) => replaceNode(d, n));
              setEditing(null);
            }}
            onApplyTranslations={(values) => {
              commit((d) =>
                Object.entries(values).reduce((acc, [k, v]) => {
                  const [uuid, key] = k.split(":");
                  return setTranslation(acc, lang, uuid, key, v);
                }, d),
              );
              setEditing(null);
            }}
            onDelete={() => {
              commit((d) => deleteNodes(d, [editNode.uuid]));
              setEditing(null);
            }}
            onClose={() => setEditing(null)}
          />
          </div>
        )}
        {showSim && <Simulator flowUuid={flowUuid} beforeStart={beforeSim} onPath={setPath} onInputs={setSimInputs} onClose={() => { setShowSim(false); setPath(NO_PATH); }} />}
        {showTests && <TestsPanel flowUuid={flowUuid} definition={def} simInputs={simInputs} onClose={() => setShowTests(false)} />}
        {ask && (
          <ConfirmDialog
            id="save-failing"
            title="Save with failing flow tests?"
            message={`${ask.failing} flow test${ask.failing > 1 ? "s fail" : " fails"} with these changes. Save anyway?`}
            confirmLabel="Save anyway"
            cancelLabel="Don’t save"
            onAnswer={(yes) => {
              ask.resolve(yes);
              setAsk(null);
            }}
          />
        )}
        {addingLang && (
          <LanguageDialog
            base={def.language || "eng"}
            existing={langs}
            onCancel={() => setAddingLang(false)}
            onAdd={(code) => {
              commit((d) => addLanguage(d, code));
              setLang(code);
              setAddingLang(false);
            }}
          />
        )}
      </div>
    </div>
  );
}

export default function App({ flowUuid }) {
  return (
    <ReactFlowProvider>
      <Editor flowUuid={flowUuid} />
    </ReactFlowProvider>
  );
}
