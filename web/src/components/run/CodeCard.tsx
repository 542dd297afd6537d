/** The code a run ran: git commit, branch, remote, whether the tree was dirty, and the command line. */
import { useState } from "react";
import type { CodeView } from "../../lib/runMetadata";
import "../../styles/capture.css";

/** Copy text; falls back to a hidden textarea where the Clipboard API is missing (plain http). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let ok: boolean;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

export function CopyButton({ text, label = "Copy", testId }: { text: string; label?: string; testId?: string }) {
  const [state, setState] = useState<"idle" | "done" | "failed">("idle");
  return (
    <button
      type="button"
      className="chip chip-btn copy-btn"
      data-testid={testId}
      title={`Copy ${text}`}
      onClick={() => {
        void copyText(text).then((ok) => {
          setState(ok ? "done" : "failed");
          window.setTimeout(() => setState("idle"), 1500);
        });
      }}
    >
      {state === "done" ? "Copied" : state === "failed" ? "Select and copy" : label}
    </button>
  );
}

export function CodeCard({ code }: { code: CodeView | null }) {
  const hasGit = !!code && (code.commit !== null || code.branch !== null || code.remote !== null || code.dirty !== null || code.root !== null);
  return (
    <div className="card code-card" data-testid="code-card">
      <div className="card-title">
        <h3>Code</h3>
        {code?.dirty === true && (
          <span className="badge dirty-badge" data-testid="git-dirty" title="The working tree had changes not committed when the run started">
            uncommitted changes
          </span>
        )}
        {code?.dirty === false && (
          <span className="badge clean-badge" data-testid="git-clean" title="The working tree matched the commit">
            clean
          </span>
        )}
      </div>
      {!code ? (
        <p className="muted not-captured" data-testid="not-captured">
          Not captured. The SDK records the git commit, branch, remote, uncommitted diff and command line unless{" "}
          <code>TRAILMARK_CAPTURE_CODE=false</code> or <code>init(capture_code=False)</code>.
        </p>
      ) : (
        <>
          {hasGit ? (
            <dl className="facts code-facts">
              <div className="fact">
                <dt>Commit</dt>
                <dd>
                  {code.commit ? (
                    <>
                      <span className="mono" title={code.commit} data-testid="git-commit" data-commit={code.commit}>
                        {code.commit.slice(0, 10)}
                      </span>{" "}
                      <CopyButton text={code.commit} testId="copy-commit" />
                    </>
                  ) : (
                    <span className="muted">no commit yet</span>
                  )}
                </dd>
              </div>
              <div className="fact">
                <dt>Branch</dt>
                <dd className="mono" data-testid="git-branch">
                  {code.branch ?? <span className="muted">detached HEAD</span>}
                </dd>
              </div>
              {code.remote && (
                <div className="fact wide">
                  <dt>Remote</dt>
                  <dd className="mono" data-testid="git-remote">
                    {code.remoteUrl ? (
                      <a href={code.remoteUrl} target="_blank" rel="noopener noreferrer">
                        {code.remote}
                      </a>
                    ) : (
                      code.remote
                    )}
                  </dd>
                </div>
              )}
              {code.root && (
                <div className="fact wide">
                  <dt>Repository</dt>
                  <dd className="mono">{code.root}</dd>
                </div>
              )}
            </dl>
          ) : (
            <p className="muted small not-captured" data-testid="no-git">
              No git information: the program was not in a git repository, or git was not installed.
            </p>
          )}
          {code.command && (
            <div className="fact-block">
              <div className="label">Command</div>
              <pre className="code small" data-testid="run-command">
                {code.command}
              </pre>
            </div>
          )}
          {code.cwd && (
            <div className="fact-block">
              <div className="label">Working directory</div>
              <div className="mono small">{code.cwd}</div>
            </div>
          )}
        </>
      )}
    </div>
  );
}
