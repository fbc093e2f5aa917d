import { useEffect, useRef, useState } from "react";
import ExprInput from "./ExprInput.jsx";
import {
  ACTION_LABELS,
  CASE_TYPES,
  applyRouterForm,
  localizables,
  newAction,
  removeRouter,
  routerForm,
  snakify,
  translation,
  uuid4,
} from "../lib/flow.js";

const ADDABLE = ["send_msg", "set_run_result", "set_contact_field", "set_contact_name", "add_contact_groups", "call_webhook", "enter_flow"];
const TIMEOUTS = [
  [0, "no timeout"],
  [60, "1 minute"],
  [300, "5 minutes"],
  [600, "10 minutes"],
  [900, "15 minutes"],
  [1800, "30 minutes"],
  [3600, "1 hour"],
  [10800, "3 hours"],
  [43200, "12 hours"],
  [86400, "1 day"],
  [604800, "1 week"],
];

function headersText(h) {
  return Object.entries(h || {})
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
}

function parseHeaders(text) {
  const out = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

function ActionForm({ action, onChange, onDelete, names, flows, index }) {
  const set = (patch) => onChange({ ...action, ...patch });
  const pre = `a${index}`;
  let body = null;
  switch (action.type) {
    case "send_msg":
      body = (
        <>
          <ExprInput id={`${pre}-text`} label="Message" multiline value={action.text || ""} names={names} onChange={(text) => set({ text })} />
          <label htmlFor={`${pre}-qr`}>Quick replies (one per line)</label>
          <textarea
            id={`${pre}-qr`}
            rows={2}
            value={(action.quick_replies || []).map((q) => (typeof q === "string" ? q : q.text)).join("\n")}
            onChange={(e) => set({ quick_replies: e.target.value.split("\n").filter((x) => x.trim()) })}
          />
        </>
      );
      break;
    case "call_webhook":
      body = (
        <>
          <label htmlFor={`${pre}-method`}>Method</label>
          <select id={`${pre}-method`} value={action.method || "GET"} onChange={(e) => set({ method: e.target.value })}>
            {["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"].map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
          <ExprInput id={`${pre}-url`} label="URL" value={action.url || ""} names={names} onChange={(url) => set({ url })} />
          <label htmlFor={`${pre}-headers`}>Headers (Name: value per line)</label>
          <textarea id={`${pre}-headers`} rows={2} defaultValue={headersText(action.headers)} onChange={(e) => set({ headers: parseHeaders(e.target.value) })} />
          <ExprInput id={`${pre}-body`} label="Body" multiline value={action.body || ""} names={names} onChange={(b) => set({ body: b })} />
          <label htmlFor={`${pre}-result`}>Result name</label>
          <input id={`${pre}-result`} value={action.result_name || ""} onChange={(e) => set({ result_name: e.target.value })} />
        </>
      );
      break;
    case "set_run_result":
      body = (
        <>
          <label htmlFor={`${pre}-name`}>Result name</label>
          <input id={`${pre}-name`} value={action.name || ""} onChange={(e) => set({ name: e.target.value })} />
          <ExprInput id={`${pre}-value`} label="Value" value={action.value || ""} names={names} onChange={(value) => set({ value })} />
          <label htmlFor={`${pre}-cat`}>Category (optional)</label>
          <input id={`${pre}-cat`} value={action.category || ""} onChange={(e) => set({ category: e.target.value })} />
        </>
      );
      break;
    case "set_contact_field":
      body = (
        <>
          <label htmlFor={`${pre}-field`}>Field</label>
          <input
            id={`${pre}-field`}
            value={(action.field && action.field.name) || ""}
            onChange={(e) => set({ field: { name: e.target.value, key: snakify(e.target.value) } })}
          />
          <ExprInput id={`${pre}-value`} label="Value" value={action.value || ""} names={names} onChange={(value) => set({ value })} />
        </>
      );
      break;
    case "set_contact_name":
      body = <ExprInput id={`${pre}-name`} label="Name" value={action.name || ""} names={names} onChange={(name) => set({ name })} />;
      break;
    case "add_contact_groups":
    case "remove_contact_groups":
      body = (
        <>
          <label htmlFor={`${pre}-groups`}>Groups (comma separated)</label>
          <input
            id={`${pre}-groups`}
            defaultValue={(action.groups || []).map((g) => g.name).join(", ")}
            onChange={(e) => {
              const old = Object.fromEntries((action.groups || []).map((g) => [g.name, g]));
              const groups = e.target.value
                .split(",")
                .map((x) => x.trim())
                .filter(Boolean)
                .map((name) => old[name] || { uuid: uuid4(), name });
              set({ groups });
            }}
          />
        </>
      );
      break;
    case "enter_flow":
      body = (
        <>
          <label htmlFor={`${pre}-flow`}>Flow</label>
          <select
            id={`${pre}-flow`}
            value={(action.flow && action.flow.uuid) || ""}
            onChange={(e) => {
              const f = flows.find((x) => x.uuid === e.target.value);
              set({ flow: f ? { uuid: f.uuid, name: f.name } : { uuid: "", name: "" } });
            }}
          >
            <option value="">choose a flow…</option>
            {action.flow && action.flow.uuid && !flows.some((f) => f.uuid === action.flow.uuid) && (
              <option value={action.flow.uuid}>{action.flow.name}</option>
            )}
            {flows.map((f) => (
              <option key={f.uuid} value={f.uuid}>
                {f.name}
              </option>
            ))}
          </select>
        </>
      );
      break;
    default:
      body = <pre className="fg-raw">{JSON.stringify(action, null, 1)}</pre>;
  }
  return (
    <fieldset className="fg-action-form" data-action-type={action.type}>
      <legend>{ACTION_LABELS[action.type] || action.type}</legend>
      {body}
      <button type="button" className="fg-link danger" onClick={onDelete}>
        Remove this action
      </button>
    </fieldset>
  );
}

function RouterForm({ form, setForm, names }) {
  const setCase = (i, patch) => setForm({ ...form, cases: form.cases.map((c, j) => (i === j ? { ...c, ...patch } : c)) });
  return (
    <fieldset className="fg-router-form">
      <legend>{form.wait ? "Wait for response" : "Split"}</legend>
      {!form.wait && (
        <ExprInput id="router-operand" label="Split by expression" value={form.operand} names={names} onChange={(operand) => setForm({ ...form, operand })} />
      )}
      <label htmlFor="router-result">Save result as</label>
      <input id="router-result" value={form.resultName} onChange={(e) => setForm({ ...form, resultName: e.target.value })} />
      <div className="fg-cases">
        <div className="fg-cases-title">Rules (category for each)</div>
        {form.cases.map((c, i) => (
          <div className="fg-case" key={c.uuid || i}>
            <select aria-label={`Rule ${i + 1} test`} value={c.type} onChange={(e) => setCase(i, { type: e.target.value })}>
              {CASE_TYPES.map(([t, label]) => (
                <option key={t} value={t}>
                  {label}
                </option>
              ))}
            </select>
            <input aria-label={`Rule ${i + 1} arguments`} placeholder="arguments" value={c.arguments} onChange={(e) => setCase(i, { arguments: e.target.value })} />
            <input aria-label={`Rule ${i + 1} category`} placeholder="category" value={c.category} onChange={(e) => setCase(i, { category: e.target.value })} />
            <button type="button" aria-label={`Remove rule ${i + 1}`} onClick={() => setForm({ ...form, cases: form.cases.filter((_, j) => j !== i) })}>
              ×
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setForm({ ...form, cases: [...form.cases, { uuid: uuid4(), type: "has_any_word", arguments: "", category: "" }] })}>
          + Add rule
        </button>
      </div>
      {form.wait && (
        <>
          <label htmlFor="router-timeout">Timeout</label>
          <select id="router-timeout" value={form.timeout} onChange={(e) => setForm({ ...form, timeout: Number(e.target.value) })}>
            {TIMEOUTS.map(([s, label]) => (
              <option key={s} value={s}>
                {label}
              </option>
            ))}
          </select>
        </>
      )}
    </fieldset>
  );
}

function TranslationForm({ node, def, lang, onApply, onClose }) {
  const items = localizables(node);
  const [values, setValues] = useState(() => Object.fromEntries(items.map((it) => [`${it.uuid}:${it.key}`, translation(def, lang, it.uuid, it.key)])));
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onApply(values);
      }}
    >
      <h2>Translate to {lang}</h2>
      {!items.length && <p>Nothing to translate on this node.</p>}
      {items.map((it) => {
        const k = `${it.uuid}:${it.key}`;
        return (
          <div key={k} className="fg-translate">
            <label htmlFor={`tr-${k}`}>{it.base || <em>(empty)</em>}</label>
            <input id={`tr-${k}`} value={values[k]} onChange={(e) => setValues({ ...values, [k]: e.target.value })} />
          </div>
        );
      })}
      <div className="fg-form-buttons">
        <button type="submit" className="primary">
          Apply
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The side form for one node: its actions and its router, applied as one undo step. */
export default function NodeEditor({ node, def, lang, names, flows, errors, onApply, onApplyTranslations, onDelete, onClose }) {
  const [actions, setActions] = useState(node.actions);
  const [rf, setRf] = useState(node.router ? routerForm(node) : null);
  const [adding, setAdding] = useState("send_msg");
  const first = useRef(null);
  useEffect(() => {
    if (first.current) first.current.focus();
  }, []);
  const onKey = (e) => {
    if (e.key === "Escape") onClose();
  };
  if (lang) {
    return (
      <aside className="fg-panel" aria-label="Translate node" onKeyDown={onKey}>
        <TranslationForm node={node} def={def} lang={lang} onApply={onApplyTranslations} onClose={onClose} />
      </aside>
    );
  }
  const apply = (e) => {
    e.preventDefault();
    let next = { ...node, actions };
    if (rf) {
      let form = rf;
      const hook = actions.find((a) => a.type === "call_webhook");
      if (hook && /^@results\.\w*\.category$/.test(form.operand)) form = { ...form, operand: `@results.${snakify(hook.result_name)}.category` };
      next = applyRouterForm(next, form);
    } else if (node.router) {
      next = removeRouter(next);
    }
    onApply(next);
  };
  return (
    <aside className="fg-panel" aria-label="Edit node" onKeyDown={onKey}>
      <form onSubmit={apply}>
        <h2 tabIndex={-1} ref={first}>
          Edit node
        </h2>
        {errors.length > 0 && (
          <ul className="fg-errors" role="alert">
            {errors.map((e, i) => (
              <li key={i}>{e.field ? `${e.field}: ` : ""}{e.message}</li>
            ))}
          </ul>
        )}
        {actions.map((a, i) => (
          <ActionForm
            key={a.uuid}
            index={i}
            action={a}
            names={names}
            flows={flows}
            onChange={(na) => setActions(actions.map((x) => (x.uuid === a.uuid ? na : x)))}
            onDelete={() => setActions(actions.filter((x) => x.uuid !== a.uuid))}
          />
        ))}
        <div className="fg-add-action">
          <label htmlFor="add-action-type">Add an action</label>
          <select id="add-action-type" value={adding} onChange={(e) => setAdding(e.target.value)}>
            {ADDABLE.map((t) => (
              <option key={t} value={t}>
                {ACTION_LABELS[t]}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => setActions([...actions, newAction(adding)])}>
            + Add action
          </button>
        </div>
        <label htmlFor="router-kind">After the actions</label>
        <select
          id="router-kind"
          value={rf ? (rf.wait ? "wait" : "split") : "none"}
          onChange={(e) => {
            const v = e.target.value;
            if (v === "none") setRf(null);
            else {
              const base = rf || { operand: "@input.text", resultName: "", cases: [], timeout: 0, defaultName: "" };
              setRf({ ...base, wait: v === "wait", resultName: base.resultName || (v === "wait" ? "Result" : "") });
            }
          }}
        >
          <option value="none">continue (one exit)</option>
          <option value="wait">wait for a response</option>
          <option value="split">split by an expression</option>
        </select>
        {rf && <RouterForm form={rf} setForm={setRf} names={names} />}
        <div className="fg-form-buttons">
          <button type="submit" className="primary">
            Apply
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="danger" onClick={onDelete}>
            Delete node
          </button>
        </div>
      </form>
    </aside>
  );
}
