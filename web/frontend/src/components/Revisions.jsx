import { useEffect, useState } from "react";
import { api, listOf } from "../lib/api.js";
import { ConfirmDialog } from "./Dialog.jsx";

function revNumber(r) {
  return r.revision ?? r.number ?? r.n;
}

/** Saved revisions of the flow, newest first, each revertible. */
export default function Revisions({ flowUuid, onReverted, onClose }) {
  const [revs, setRevs] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    api(`/flows/${flowUuid}/revisions`)
      .then((d) => setRevs(listOf(d, "revisions")))
      .catch((e) => setError(e.message));
  }, [flowUuid]);
  const [asking, setAsking] = useState(null); // the revision a revert is asked for
  const revert = async (n) => {
    setAsking(null);
    try {
      await api(`/flows/${flowUuid}/revisions/${n}/revert`, { method: "POST" });
      onReverted(n);
    } catch (e) {
      setError(e.message);
    }
  };
  return (
    <section className="fg-revisions" aria-label="Revisions">
      <div className="fg-sim-head">
        <h2>Revisions</h2>
        <button type="button" onClick={onClose} aria-label="Close revisions">
          ×
        </button>
      </div>
      {error && <p className="error">{error}</p>}
      {revs === null && !error && <p>Loading…</p>}
      {revs && revs.length === 0 && <p>No saved revisions yet.</p>}
      <ol>
        {(revs || []).map((r) => (
          <li key={revNumber(r)} data-revision={revNumber(r)}>
            <span>
              Revision {revNumber(r)}
              {r.created_on && <small> · {new Date(r.created_on).toLocaleString()}</small>}
              {r.comment && <small> · {r.comment}</small>}
            </span>
            <button type="button" onClick={() => setAsking(revNumber(r))}>
              Revert
            </button>
          </li>
        ))}
      </ol>
      {asking !== null && (
        <ConfirmDialog
          id="revert"
          title={`Revert to revision ${asking}?`}
          message={`The flow goes back to revision ${asking}. Unsaved changes are lost.`}
          confirmLabel="Revert"
          cancelLabel="Keep editing"
          danger
          onAnswer={(yes) => (yes ? revert(asking) : setAsking(null))}
        />
      )}
    </section>
  );
}
