import { useEffect, useRef, useState } from "react";
import { api } from "../lib/api.js";
import { fieldRows, linesFrom, pathOf, resultRows } from "../lib/sim.js";
import { createSimTransport, socketUrl } from "../lib/simsocket.js";

const TEST_CONTACT = { name: "Test Contact", urn: "tel:+12065550100" };

/**
 * Talks to the flow as a test contact over the /ws/simulator/ websocket, which keeps the session
 * for this panel; if the socket can't be had, each input goes to /api/v1/simulate with the session.
 */
export default function Simulator({ flowUuid, beforeStart, onPath, onInputs, onClose }) {
  const [lines, setLines] = useState([]);
  const [state, setState] = useState({ session: null, status: "", results: {}, contact: null });
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [mode, setMode] = useState("");
  const seen = useRef(new Set());
  const logRef = useRef(null);
  const inputRef = useRef(null);
  const transport = useRef(null);

  useEffect(() => {
    const t = createSimTransport({
      url: socketUrl(),
      post: (body) => api("/simulate", { method: "POST", body }),
      onMode: setMode,
    });
    transport.current = t;
    t.connect().then((ws) => setMode((m) => m || (ws ? "socket" : "http")));
    return () => t.close();
  }, []);

  useEffect(() => {
    if (logRef.current) logRef.current.scrollTop = logRef.current.scrollHeight;
    // the session's inputs, for "record from the simulator" in the Tests panel
    // (a leading null: the session was started without a message)
    const played = lines.filter((l) => l.who === "contact").map((l) => l.text);
    if (onInputs) onInputs(lines.length && lines[0].who !== "contact" ? [null, ...played] : played);
  }, [lines]); // eslint-disable-line react-hooks/exhaustive-deps

  const absorb = (data, extra = []) => {
    const fresh = linesFrom(data.events, seen.current);
    setLines((ls) => [...ls, ...extra, ...fresh]);
    setState({ session: data.session, status: data.status || "", results: data.results || {}, contact: data.contact || null });
    onPath(pathOf(data.session));
  };

  const fail = (err) => setLines((ls) => [...ls, { who: "error", text: err.message }]);

  const start = async () => {
    setBusy(true);
    try {
      if (beforeStart && !(await beforeStart())) return;
      seen.current = new Set();
      setLines([]);
      const data = await transport.current.start({ flow: flowUuid, contact: TEST_CONTACT });
      absorb(data);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
      if (inputRef.current) inputRef.current.focus();
    }
  };

  const send = async (e) => {
    e.preventDefault();
    const value = text.trim();
    if (!value || busy) return;
    setText("");
    setBusy(true);
    const mine = { who: "contact", text: value };
    try {
      if (!state.session) {
        if (beforeStart && !(await beforeStart())) return;
        seen.current = new Set();
        const data = await transport.current.start({ flow: flowUuid, input: value, contact: TEST_CONTACT });
        setLines([]);
        absorb(data, [mine]);
      } else {
        setLines((ls) => [...ls, mine]);
        const data = await transport.current.reply({ input: value, session: state.session });
        absorb(data);
      }
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const results = resultRows(state.results);
  const fields = fieldRows(state.contact);
  return (
    <aside className="fg-sim" aria-label="Simulator" data-transport={mode}>
      <div className="fg-sim-head">
        <h2>Simulator</h2>
        <span className="fg-sim-status" data-status={state.status}>
          {state.status}
        </span>
        {mode && (
          <span className="fg-sim-transport" title={mode === "socket" ? "Connected over a websocket" : "Over HTTP: the websocket is unavailable"}>
            {mode === "socket" ? "live" : "http"}
          </span>
        )}
        <button type="button" onClick={start} disabled={busy}>
          {state.session ? "Restart" : "Start"}
        </button>
        <button type="button" onClick={onClose} aria-label="Close simulator">
          ×
        </button>
      </div>
      <ol className="fg-chat" ref={logRef} aria-live="polite">
        {lines.map((l, i) => (
          <li key={i} className={`fg-line ${l.who}`}>
            {l.text}
            {l.quickReplies && l.quickReplies.length > 0 && (
              <span className="fg-qr">
                {l.quickReplies.map((q, j) => (
                  <button key={j} type="button" onClick={() => setText(typeof q === "string" ? q : q.text)}>
                    {typeof q === "string" ? q : q.text}
                  </button>
                ))}
              </span>
            )}
          </li>
        ))}
      </ol>
      <form className="fg-sim-input" onSubmit={send}>
        <label htmlFor="sim-text" className="sr-only">
          Message as the test contact
        </label>
        <input id="sim-text" ref={inputRef} value={text} onChange={(e) => setText(e.target.value)} placeholder="Type a reply…" autoComplete="off" />
        <button type="submit" disabled={busy}>
          Send
        </button>
      </form>
      <details open className="fg-sim-data">
        <summary>Results</summary>
        <table className="fg-sim-results">
          <tbody>
            {results.length === 0 && (
              <tr>
                <td>none yet</td>
              </tr>
            )}
            {results.map(([k, v, c]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>{v}</td>
                <td>{c}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <details className="fg-sim-data">
        <summary>Contact fields</summary>
        <table className="fg-sim-fields">
          <tbody>
            {state.contact && state.contact.name && (
              <tr>
                <th scope="row">name</th>
                <td>{state.contact.name}</td>
              </tr>
            )}
            {fields.map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </aside>
  );
}
