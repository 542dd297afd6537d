"""Everything tracked without more code: a training script in a git repository with
uncommitted changes, a remote with credentials and secrets in its environment prints, writes
to fd 1 like C code does, shows a tqdm bar, and runs a second; then we look at what came back."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import orjson

import trailmark as tm
from tests.support import ServerProcess, client_env

SECRETS = ("hf_fakeSecretValue123", "pw-in-url-456", "sk-cli-secret-789", "s3cret-remote-tok")

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    import tqdm
    import trailmark as tm

    run = tm.init(project="cap", config={"lr": 0.1})
    print("hello from python")
    for step in range(30):
        run.log({"loss": 1.0 / (step + 1)})
    os.write(1, b"straight to fd 1, as C code writes\\n")
    print("a warning on stderr", file=sys.stderr)
    for _ in tqdm.tqdm(range(40), mininterval=0, ncols=60):
        time.sleep(0.002)
    time.sleep(1.3)  # a system sample at 1 s
    print("bye")
    run.finish()
    print("RUN_ID=" + run.id)
    """
)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def train_in_a_repo(tmp_path: Path, **env: str) -> tuple[str, str, Path]:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "experiment")
    (repo / "train.py").write_text(SCRIPT)
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "train")
    git(repo, "remote", "add", "origin", f"https://bob:{SECRETS[3]}@git.example.com/ml/repo.git")
    (repo / "train.py").write_text(SCRIPT + "# tuned the learning rate\n")  # uncommitted
    done = subprocess.run(
        [sys.executable, "train.py", "--epochs", "2", f"--api-key={SECRETS[2]}"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env=client_env(
            PYTHONUNBUFFERED="1",  # prints reach fd 1 in program order, as on a terminal
            TRAILMARK_SYSTEM_INTERVAL="1",
            HF_TOKEN=SECRETS[0],
            MLFLOW_TRACKING_URI=f"https://alice:{SECRETS[1]}@mlflow.example.com",
            **env,
        ),
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().rsplit("RUN_ID=", 1)[1]
    return run_id, done.stdout + done.stderr, repo


def check_the_run(api: tm.Api, run_id: str, seen: str, repo: Path) -> None:
    # The user saw their output unchanged.
    for text in ("hello from python", "straight to fd 1", "a warning on stderr", "bye", "40/40"):
        assert text in seen

    run = api.run(f"cap/{run_id}")
    assert run.state == "finished"
    assert run.keys() == ["loss"] and set(run.summary) == {"loss"}

    logs = run.logs()
    texts = [line["text"] for line in logs]
    assert texts[:2] == ["hello from python", "straight to fd 1, as C code writes"]
    assert texts[-1] == "bye"
    assert [line["n"] for line in logs] == list(range(1, len(logs) + 1))
    (bar,) = [t for t in texts if "40/40" in t]
    assert "100%" in bar and "\r" not in bar
    assert sum("it/s" in t for t in texts) == 1, "the bar's redraws collapse to its last state"
    assert [x["text"] for x in run.logs(stream="stderr") if "warning" in x["text"]] == [
        "a warning on stderr"
    ]
    assert [x["text"] for x in run.logs(search="HELLO")] == ["hello from python"]
    assert [x["text"] for x in run.logs(tail=1)] == ["bye"]

    meta = run.metadata
    git_info = meta["git"]
    assert git_info["commit"] == git(repo, "rev-parse", "HEAD")
    assert git_info["branch"] == "experiment"
    assert git_info["remote"] == "https://git.example.com/ml/repo.git"
    assert git_info["dirty"] is True and "+# tuned the learning rate" in git_info["diff"]
    assert meta["program"] == str((repo / "train.py").resolve())
    assert meta["args"] == ["--epochs", "2", "--api-key=[redacted]"]
    env = meta["environment"]["env"]
    assert env["HF_TOKEN"] == "[redacted]"
    assert env["MLFLOW_TRACKING_URI"] == "https://alice:[redacted]@mlflow.example.com"
    assert env["TRAILMARK_SYSTEM_INTERVAL"] == "1"
    assert {"trailmark", "tqdm"} <= set(meta["environment"]["packages"])
    assert meta["host"]["cpu_count"] >= 1 and meta["host"]["hostname"]
    everything = orjson.dumps([meta, logs, run.data]).decode()
    for secret in SECRETS:
        assert secret not in everything

    system = run.system_metrics()
    assert system, "at least one sample"
    row = system[0]
    assert {"system/cpu.util", "system/mem.used_mib", "system/proc.mem.rss_mib"} <= set(row)
    assert 0 < row["_runtime"] < 60 and row["_step"] == round(row["_runtime"] * 1000)


def test_a_local_run(tmp_path: Path) -> None:
    run_id, seen, repo = train_in_a_repo(tmp_path, TRAILMARK_DIR=str(tmp_path / "data"))
    with tm.Api(dir=tmp_path / "data") as api:
        check_the_run(api, run_id, seen, repo)


def test_a_run_on_a_server(server: ServerProcess, tmp_path: Path) -> None:
    run_id, seen, repo = train_in_a_repo(
        tmp_path, TRAILMARK_URL=server.url, TRAILMARK_DIR=str(tmp_path / "client")
    )
    with tm.Api(server.url) as api:
        check_the_run(api, run_id, seen, repo)


def test_every_capture_can_be_switched_off(tmp_path: Path) -> None:
    code = (
        "import trailmark as tm; r = tm.init(project='cap', console='off', capture_code=False);"
        " print('quiet'); r.log({'x': 1.0}); r.finish(); print('RUN_ID=' + r.id)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=client_env(
            TRAILMARK_DIR=str(tmp_path), TRAILMARK_SYSTEM_INTERVAL="0", TRAILMARK_CAPTURE_ENV="no"
        ),
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.rsplit("RUN_ID=", 1)[1].strip()
    with tm.Api(dir=tmp_path) as api:
        run = api.run(f"cap/{run_id}")
        assert run.logs() == [] and run.system_metrics() == []
        assert not {"git", "environment", "host", "program"} & set(run.metadata)


def test_both_console_modes_from_init(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import os, trailmark as tm
        for console in ("wrap", "redirect"):
            r = tm.init(project="cap", name=console, console=console, system_interval=0,
                        capture_code=False, capture_env=False)
            print("python")
            os.write(1, b"fd\\n")
            r.finish()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=client_env(TRAILMARK_DIR=str(tmp_path), PYTHONUNBUFFERED="1"),
    )
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == ["fd", "fd", "python", "python"]
    with tm.Api(dir=tmp_path) as api:
        by_mode = {run.name: [x["text"] for x in run.logs()] for run in api.runs("cap")}
    assert by_mode == {"wrap": ["python"], "redirect": ["python", "fd"]}
