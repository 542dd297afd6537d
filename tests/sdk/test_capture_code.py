"""The code a run ran: git commit, branch, remote without credentials, dirty flag and diff."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from trailmark.redact import REDACTED
from trailmark.sdk.capture.code import git_metadata, program_dir, program_metadata


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "train.py").write_text("lr = 0.1\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "first")
    git(repo, "remote", "add", "origin", "https://alice:s3cret-token@example.com/team/repo.git")
    return repo


def test_a_clean_repository(repo: Path) -> None:
    info = git_metadata(repo)
    assert info is not None
    assert info["commit"] == git(repo, "rev-parse", "HEAD")
    assert info["branch"] == "main"
    assert info["remote"] == "https://example.com/team/repo.git"
    assert info["dirty"] is False
    assert "diff" not in info
    assert Path(info["root"]) == repo.resolve()


def test_uncommitted_changes_are_kept_as_a_diff(repo: Path) -> None:
    (repo / "train.py").write_text("lr = 0.2\n")
    (repo / "sub").mkdir()
    info = git_metadata(repo / "sub")
    assert info is not None and info["dirty"] is True
    assert "-lr = 0.1\n+lr = 0.2" in info["diff"]
    assert info["diff_cut"] is False


def test_a_huge_diff_is_cut_with_a_note(repo: Path) -> None:
    (repo / "train.py").write_text("".join(f"line {i}\n" for i in range(20_000)))
    info = git_metadata(repo, max_diff_bytes=10_000)
    assert info is not None and info["diff_cut"] is True
    assert len(info["diff"].encode()) < 10_200
    assert info["diff"].endswith(
        "[trailmark: diff cut at 10000 bytes; the rest was not recorded]\n"
    )


def test_a_repository_without_commits_and_a_detached_head(repo: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    info = git_metadata(empty)
    assert info is not None and info["commit"] is None and info["remote"] is None
    git(repo, "checkout", "-q", "--detach")
    detached = git_metadata(repo)
    assert detached is not None and detached["branch"] is None and detached["commit"]


def test_no_repository_or_no_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert git_metadata(tmp_path) is None
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on the PATH
    assert git_metadata(tmp_path) is None


def test_the_program_and_its_arguments(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text("")
    found = program_metadata([str(script), "--lr", "3", "--api-key=abc"])
    assert found == {
        "program": str(script.resolve()),
        "args": ["--lr", "3", f"--api-key={REDACTED}"],
    }
    assert program_dir(str(script)) == tmp_path.resolve()
    assert program_dir("-c") == Path.cwd()
