import { useCallback, useEffect, useState } from "react";
import { api } from "../lib/api.js";

const TEST_CONTACT = { name: "Test Contact", urn: "tel:+12065550100" };

/** How many of the flow's stored tests fail against `definition` (0 when it has none or they can't run). */
export async function testsFailing(flowUuid, definition) {
  try {
    const stored = await api(`/flows/${flowUuid}/tests`);
    if (!(stored.tests || []).length) return 0; // no tests: nothing to run (nor to validate twice)
    const data = await api(`/flows/${flowUuid}/tests/run`, { method: "POST", body: { definition } });
    return data.failed || 0;
  } catch {
    return 0; // an invalid definition: the save itself reports the problems
  }
}

/**
 * The flow's tests: pass/fail per test against the editor's current definition, the first
 * difference highlighted, the run's transcript ("show in simulator"), recording the simulator's
 * last session as a test, and editing a test as a list of steps (each step one JSON object).
 */
export default function TestsPanel({ flowUuid, definition, simInputs, onClose }) {
  const [tests, setTests] = useState([]);
  const [results, setResults] = useState({});
  const [status, setStatus] = useState("");
  const [name, setName] = useState("");
  const [editing, setEditing] = useState(null); // {index, steps: [text]}
  const [shown, setShown] = useState(null);

  const runAll = useCallback(async () => {
    setStatus("Running…");
    try {
      const data = await api(`/flows/${flowUuid}/tests/run`, { method: "POST", body: definition ? { definition } : {} });
      setResults(Object.fromEntries(data.results.map((r) => [r.test, r])));
      setStatus(`${data.passed} passed, ${data.failed} failed`);
    } catch (err) {
      setStatus(`Not run: ${err.message}`);
    }
  }, [flowUuid, definition]);

  const load = useCallback(async () => {
    const data = await api(`/flows/${flowUuid}/tests`);
    setTests(data.tests || []);
    return data.tests || [];
  }, [flowUuid]);

  useEffect(() => {
    load().then((list) => list.length && runAll());
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const record = async (e) => {
    e.preventDefault();
    const inputs = simInputs || [];
    if (!inputs.length) {
      setStatus("Play the flow in the simulator first, then record it here.");
      return;
    }
    try {
      await api(`/flows/${flowUuid}/tests/record`, {
        method: "POST",
        body: { name: name.trim() || `Test ${tests.length + 1}`, contact: TEST_CONTACT, inputs },
      });
      setName("");
      await load();
      await runAll();
    } catch (err) {
      setStatus(`Not recorded: ${err.message}`);
    }
  };

  const saveEdit = async () => {
    let steps;
    try {
      steps = editing.steps.filter((s) => s.trim()).map((s) => JSON.parse(s));
    } catch (err) {
      setStatus(`A step is not valid JSON: ${err.message}`);
      return;
    }
    const next = tests.map((t, i) => (i === editing.index ? { ...t, steps } : t));
    try {
      await api(`/flows/${flowUuid}/tests`, { method: "POST", body: { tests: next } });
      setEditing(null);
      await load();
      await runAll();
    } catch (err) {
      setStatus(`Not saved: ${err.message}`);
    }
  };

  const remove = async (index) => {
    await api(`/flows/${flowUuid}/tests`, { method: "POST", body: { tests: tests.filter((_, i) => i !== index) } });
    await load();
    await runAll();
  };

  return (
    <aside className="fg-tests" aria-label="Flow tests">
      <header>
        <h2>Tests</h2>
        <button type="button" onClick={runAll} data-action="run-tests">Run all</button>
        <button type="button" onClick={onClose} aria-label="Close the tests">×</button>
      </header>
      <p className="fg-tests-status" role="status">{status}</p>
      <ul className="fg-tests-list">
        {tests.map((t, i) => {
          const r = results[t.name];
          return (
            <li key={t.name} data-test={t.name} data-ok={r ? (r.ok ? "1" : "0") : ""}>
              <span className={r ? (r.ok ? "fg-pass" : "fg-fail") : ""}>{r ? (r.ok ? "✓ pass" : "✗ fail") : "…"}</span>{" "}
              <strong>{t.name}</strong>{" "}
              <button type="button" onClick={() => setEditing({ index: i, steps: t.steps.map((s) => JSON.stringify(s)) })}>Edit</button>{" "}
              <button type="button" onClick={() => setShown(shown === t.name ? null : t.name)} disabled={!r}>Show in simulator</button>{" "}
              <button type="button" onClick={() => remove(i)} aria-label={`Delete the test ${t.name}`}>Delete</button>
              {r && !r.ok && (
                <pre className="fg-diff" data-step={r.step || ""}>{r.diff}</pre>
              )}
              {shown === t.name && r && (
                <ol className="fg-transcript">
                  {(r.transcript || []).map((line, j) => (
                    <li key={j} className={`fg-line ${"in" in line ? "contact" : "flow"}`}>
                      {"in" in line ? `Contact: ${line.in ?? "(started)"}` : "out" in line ? `Flow: ${line.out}` : JSON.stringify(line)}
                    </li>
                  ))}
                </ol>
              )}
            </li>
          );
        })}
      </ul>
      {editing && (
        <div className="fg-test-edit">
          <h3>Steps of {tests[editing.index].name}</h3>
          <ol>
            {editing.steps.map((s, i) => (
              <li key={i}>
                <input
                  value={s}
                  aria-label={`Step ${i + 1}`}
                  onChange={(e) => setEditing({ ...editing, steps: editing.steps.map((x, k) => (k === i ? e.target.value : x)) })}
                />
                <button type="button" onClick={() => setEditing({ ...editing, steps: editing.steps.filter((_, k) => k !== i) })}>−</button>
              </li>
            ))}
          </ol>
          <button type="button" onClick={() => setEditing({ ...editing, steps: [...editing.steps, '{"send": ""}'] })}>Add step</button>{" "}
          <button type="button" className="primary" onClick={saveEdit} data-action="save-test">Save test</button>{" "}
          <button type="button" onClick={() => setEditing(null)}>Cancel</button>
        </div>
      )}
      <form onSubmit={record} className="fg-record">
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Test name" aria-label="Test name" />
        <button type="submit" data-action="record-test">Record from the simulator</button>
      </form>
    </aside>
  );
}
