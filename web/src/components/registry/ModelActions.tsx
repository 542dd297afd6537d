/** Point an alias at a version, remove one of its aliases, or move it to a stage, each after a confirmation. */
import { useState } from "react";
import "../../styles/registry.css";
import { isNotFound } from "../../api/client";
import { deleteModelAlias, setModelAlias, setModelStage, STAGES, type ModelVersion, type Stage } from "../../api/registry";
import { ErrorMessage } from "../common";
import { AliasChip } from "./Chips";

type Action = { kind: "alias"; alias: string } | { kind: "unalias"; alias: string } | { kind: "stage"; stage: Stage; archive: boolean };

const ALIAS_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function ModelActions({ version, onChanged }: { version: ModelVersion; onChanged: () => void }) {
  const [open, setOpen] = useState<"alias" | "stage" | null>(null);
  const [alias, setAlias] = useState("");
  const [stage, setStage] = useState<Stage>(version.stage === "Production" ? "Archived" : "Production");
  const [archive, setArchive] = useState(true);
  const [confirm, setConfirm] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const aliasValid = ALIAS_RE.test(alias) && !/^v?\d+$/.test(alias) && alias !== "latest";
  const reset = () => {
    setOpen(null);
    setConfirm(null);
    setAlias("");
    setError(null);
  };
  const toggle = (form: "alias" | "stage") => {
    setOpen(open === form ? null : form);
    setConfirm(null);
  };
  const run = async (action: Action) => {
    setBusy(true);
    setError(null);
    try {
      if (action.kind === "alias") await setModelAlias(version.model, action.alias, version.version);
      else if (action.kind === "unalias") await deleteModelAlias(version.model, action.alias);
      else await setModelStage(version.model, version.version, action.stage, action.archive);
      reset();
      onChanged();
    } catch (e) {
      setError(e);
      // Someone else removed it already: show the page as it is now.
      if (action.kind === "unalias" && isNotFound(e)) {
        setConfirm(null);
        onChanged();
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="model-actions">
      {version.aliases.length > 0 ? (
        <div className="toolbar-row alias-remove-row" data-testid="version-alias-list">
          <span className="muted small">Aliases</span>
          {version.aliases.map((a) => (
            <AliasChip
              key={a}
              alias={a}
              onRemove={() => {
                setError(null);
                setConfirm({ kind: "unalias", alias: a });
              }}
            />
          ))}
        </div>
      ) : null}
      <div className="toolbar-row">
        <button type="button" className="btn small" data-testid="set-alias-button" onClick={() => toggle("alias")}>
          Set alias…
        </button>
        <button type="button" className="btn small" data-testid="change-stage-button" onClick={() => toggle("stage")}>
          Change stage…
        </button>
      </div>
      {open === "alias" && !confirm ? (
        <form
          className="action-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (aliasValid) setConfirm({ kind: "alias", alias });
          }}
        >
          <label className="control">
            Alias
            <input className="input" data-testid="alias-input" value={alias} onChange={(e) => setAlias(e.target.value)} placeholder="champion" autoFocus />
          </label>
          <button type="submit" className="btn small primary" disabled={!aliasValid}>
            Continue
          </button>
          {alias && !aliasValid ? <span className="field-error">Use letters, digits, '_', '-' or '.'; not a version number or “latest”.</span> : null}
        </form>
      ) : null}
      {open === "stage" && !confirm ? (
        <form
          className="action-form"
          onSubmit={(e) => {
            e.preventDefault();
            setConfirm({ kind: "stage", stage, archive });
          }}
        >
          <label className="control">
            Stage
            <select className="input select" data-testid="stage-select" value={stage} onChange={(e) => setStage(e.target.value as Stage)}>
              {STAGES.map((s) => (
                <option key={s} value={s} disabled={s === version.stage}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          {stage === "Production" || stage === "Staging" ? (
            <label className="control">
              <input type="checkbox" checked={archive} onChange={(e) => setArchive(e.target.checked)} /> archive the version now in {stage}
            </label>
          ) : null}
          <button type="submit" className="btn small primary" disabled={stage === version.stage}>
            Continue
          </button>
        </form>
      ) : null}
      {confirm ? (
        <div className="confirm-box" role="alertdialog" aria-label="Confirm the change" data-testid="confirm-dialog">
          <p>
            {confirm.kind === "alias" ? (
              <>
                Point alias <strong>{confirm.alias}</strong> at version {version.version} of <strong>{version.model}</strong>? If it names
                another version now, it moves.
              </>
            ) : confirm.kind === "unalias" ? (
              <>
                Remove alias <strong>{confirm.alias}</strong> from version {version.version} of <strong>{version.model}</strong>? Anything that
                loads{" "}
                <code>
                  {version.model}@{confirm.alias}
                </code>{" "}
                will fail until it is set again.
              </>
            ) : (
              <>
                Move version {version.version} of <strong>{version.model}</strong> from {version.stage} to <strong>{confirm.stage}</strong>?
                {confirm.archive && (confirm.stage === "Production" || confirm.stage === "Staging")
                  ? ` The version now in ${confirm.stage} is archived.`
                  : ""}
              </>
            )}
          </p>
          <div className="toolbar-row">
            <button type="button" className="btn small primary" data-testid="confirm-ok" disabled={busy} onClick={() => void run(confirm)}>
              {busy ? "Saving…" : confirm.kind === "unalias" ? "Remove alias" : "Confirm"}
            </button>
            <button type="button" className="btn small" onClick={reset} disabled={busy}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      {error ? <ErrorMessage error={error} compact /> : null}
    </div>
  );
}
