"""The code a run ran: the program and its arguments, and the git state of its repository.

Git is asked with ``GIT_OPTIONAL_LOCKS=0`` (never takes the index lock from under the user's
own git commands) and a timeout. No git, no repository or no commit simply leaves the
corresponding fields out. The remote URL loses any user and password, and the uncommitted
diff (``git diff HEAD``) is kept up to :data:`MAX_DIFF_BYTES`, with a note when cut.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from trailmark.redact import redact_argv, strip_url_credentials

MAX_DIFF_BYTES = 1024 * 1024
GIT_TIMEOUT = 10.0

_GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


def program_dir(argv0: str | None = None) -> Path:
    """Where the program lives (its script's folder), else the working directory."""
    script = sys.argv[0] if argv0 is None else argv0
    if script and script not in ("-c", "-m", "-") and os.path.isfile(script):
        return Path(script).resolve().parent
    return Path.cwd()


def program_metadata(argv: list[str] | None = None) -> dict[str, Any]:
    """The program path and its arguments (secret-looking option values redacted)."""
    args = list(sys.argv if argv is None else argv)
    script = args[0] if args else ""
    program = str(Path(script).resolve()) if script and os.path.isfile(script) else script
    return {"program": program, "args": redact_argv(args[1:])}


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(_GIT_ENV)
    return env


def _git(directory: Path, *args: str) -> str | None:
    """A git command's stripped output, or ``None`` if it failed."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=directory,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            env=_git_env(),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").strip()


def _diff(root: Path, limit: int) -> tuple[str, bool] | None:
    """``git diff HEAD`` read up to ``limit`` bytes: (text, was it cut)."""
    try:
        process = subprocess.Popen(
            ["git", "diff", "HEAD", "--no-color", "--no-ext-diff"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_git_env(),
        )
    except OSError:
        return None
    assert process.stdout is not None
    chunks: list[bytes] = []
    size = 0
    cut = False
    with process:
        while True:
            chunk = process.stdout.read(min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                cut = True
                process.kill()
                break
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(GIT_TIMEOUT)
    if not cut and process.returncode != 0:
        return None
    data = b"".join(chunks)[:limit]
    text = data.decode("utf-8", "replace")
    if cut:
        text += f"\n[trailmark: diff cut at {limit} bytes; the rest was not recorded]\n"
    return text, cut


def git_metadata(directory: Path, max_diff_bytes: int = MAX_DIFF_BYTES) -> dict[str, Any] | None:
    """Commit, branch, remote, dirty flag and diff of the repository holding ``directory``.

    Returns ``None`` outside a repository or without git; ``"diff"`` holds ``git diff HEAD``.
    """
    top = _git(directory, "rev-parse", "--show-toplevel")
    if not top:
        return None
    root = Path(top)
    info: dict[str, Any] = {"root": str(root)}
    commit = _git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    info["commit"] = commit or None
    branch = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    info["branch"] = branch or None
    remote = _git(root, "config", "--get", "remote.origin.url")
    if not remote:
        names = (_git(root, "remote") or "").split()
        remote = _git(root, "config", "--get", f"remote.{names[0]}.url") if names else None
    info["remote"] = strip_url_credentials(remote) if remote else None
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    info["dirty"] = bool(status) if status is not None else None
    if commit and info["dirty"]:
        diff = _diff(root, max_diff_bytes)
        if diff is not None:
            info["diff"], info["diff_cut"] = diff
    return info
