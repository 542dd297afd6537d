"""The run page shows what the SDK captured: the console (search, streams, ranks, paging, tail
follow of a live run), the code (git state, diff), the environment and the system metrics on a
time axis. In a real Chromium against a real server."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.seed_capture import (
    BARE_RUN,
    BRANCH,
    COMMIT,
    DONE_RUN,
    LINES,
    LIVE_RUN,
    PROJECT,
    RANK1_LINES,
    REMOTE,
    SCRIPT_LINE,
    TQDM_LINE,
    append_lines,
    console_line,
    seed_capture,
)
from tests.support import ServerProcess, start_server, wait_for

pytestmark = pytest.mark.browser

ALL_LINES = LINES + len(RANK1_LINES)


@pytest.fixture(scope="module")
def capture_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("capture-data")
    seed_capture(data_dir)
    server = start_server(data_dir)
    yield server
    server.stop()


def run_url(server: ServerProcess, run: str, query: str = "") -> str:
    return f"{server.url}/projects/{PROJECT}/runs/{run}{query}"


def set_theme(page: Page, theme: str) -> None:
    if page.evaluate("document.documentElement.dataset.theme") != theme:
        page.get_by_test_id("theme-toggle").click()
    expect(page.locator("html")).to_have_attribute("data-theme", theme)


def log_lines(page: Page) -> Locator:
    return page.get_by_test_id("log-line")


def line(page: Page, n: int) -> Locator:
    return page.locator(f'[data-testid="log-line"][data-n="{n}"]')


def at_bottom(page: Page) -> bool:
    return bool(
        page.get_by_test_id("log-lines").evaluate(
            "el => el.scrollHeight - el.scrollTop - el.clientHeight <= 20"
        )
    )


def settled_scroll_top(page: Page) -> int:
    """The list's scrollTop once a (possibly smooth) scroll has come to rest."""
    scroller = page.get_by_test_id("log-lines")
    last = [-1]

    def resting() -> tuple[int] | None:  # a tuple: a scrollTop of 0 is an answer too
        now = int(scroller.evaluate("el => el.scrollTop"))
        settled = now == last[0]
        last[0] = now
        return (now,) if settled else None

    return wait_for(resting, 5, "the console to stop scrolling", interval=0.25)[0]


def test_console_search_streams_ranks_and_paging(page: Page, capture_server: ServerProcess) -> None:
    page.goto(run_url(capture_server, DONE_RUN, "?tab=logs"))
    expect(page.get_by_test_id("log-viewer")).to_be_visible()
    expect(page.get_by_test_id("log-count")).to_have_text(f"{ALL_LINES:,} lines")
    # It opens at the end; stderr lines carry a marker, and the rank shows for a 2-rank run.
    last = line(page, ALL_LINES)
    expect(last).to_be_visible()
    expect(last).to_contain_text(RANK1_LINES[-1])
    stderr = line(page, LINES)
    expect(stderr).to_have_attribute("data-stream", "stderr")
    expect(stderr.get_by_test_id("log-stderr")).to_be_visible()
    expect(page.get_by_test_id("log-rank-filter")).to_be_visible()

    # Server-side search, highlighted, counted, kept in the URL.
    search = page.get_by_test_id("log-search")
    search.press_sequentially("gradient norm", delay=60)  # slower than the debounce: no key lost
    warnings = sum(1 for n in range(1, LINES + 1) if "gradient norm" in console_line(n)[1])
    expect(page.get_by_test_id("log-count")).to_have_text(f"{warnings} matching lines")
    expect(page).to_have_url(re.compile(r"lq=gradient\+norm"))
    expect(search).to_have_value("gradient norm")
    expect(page.get_by_test_id("log-match").first).to_have_text("gradient norm")
    texts = log_lines(page).all_inner_texts()
    assert texts and all("gradient norm" in t for t in texts)
    page.reload()
    expect(page.get_by_test_id("log-search")).to_have_value("gradient norm")
    expect(page.get_by_test_id("log-count")).to_have_text(f"{warnings} matching lines")

    # Markup in the output is text, never HTML.
    search = page.get_by_test_id("log-search")
    search.fill("<script>")
    expect(page.get_by_test_id("log-count")).to_have_text("1 matching line")
    expect(line(page, 2_000)).to_contain_text(SCRIPT_LINE)
    assert page.get_by_test_id("log-viewer").locator("script, img").count() == 0
    assert page.evaluate("window.__xss") is None
    # A progress bar redrawn with carriage returns arrives as the one line it ended as.
    search.fill("it/s")
    expect(line(page, 3_000)).to_contain_text(TQDM_LINE)

    # Streams and ranks.
    search.fill("")
    expect(page.get_by_test_id("log-count")).to_have_text(f"{ALL_LINES:,} lines")
    page.get_by_test_id("log-stream-filter").select_option("stderr")
    expect(page).to_have_url(re.compile(r"stream=stderr"))
    expect(page.get_by_test_id("log-count")).to_have_text(f"{warnings} lines")
    expect(line(page, LINES)).to_be_visible()
    streams = {s for s in log_lines(page).evaluate_all("els => els.map(e => e.dataset.stream)")}
    assert streams == {"stderr"}
    page.get_by_test_id("log-stream-filter").select_option("")
    page.get_by_test_id("log-rank-filter").select_option("1")
    expect(page.get_by_test_id("log-count")).to_have_text("3 lines")
    expect(log_lines(page)).to_have_count(3)
    page.get_by_test_id("log-rank-filter").select_option("")
    expect(page.get_by_test_id("log-count")).to_have_text(f"{ALL_LINES:,} lines")

    # Scrolling up loads earlier pages until the first line.
    scroller = page.get_by_test_id("log-lines")
    expect(line(page, ALL_LINES)).to_be_visible()
    for _ in range(10):
        if scroller.get_attribute("data-first") == "1":
            break
        first = scroller.get_attribute("data-first") or ""
        scroller.evaluate("el => { el.scrollTop = 0; }")
        expect(scroller).not_to_have_attribute("data-first", first)
    expect(scroller).to_have_attribute("data-first", "1")
    scroller.evaluate("el => { el.scrollTop = 0; }")
    expect(line(page, 1)).to_be_visible()
    expect(line(page, 1)).to_contain_text(console_line(1)[1])

    toggle = page.get_by_test_id("log-time-toggle")
    toggle.click()
    expect(page).to_have_url(re.compile(r"ltime=clock"))
    expect(line(page, 1).locator(".log-time")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    toggle.click()
    expect(line(page, 1).locator(".log-time")).to_have_text("+0:00")
    page.get_by_test_id("log-search").fill("step 5")
    expect(line(page, LINES)).to_be_visible()
    expect(page.get_by_test_id("log-match").first).to_be_visible()
    for theme in ("light", "dark"):
        set_theme(page, theme)
        screenshot(page, "run-logs")


def test_console_download_is_the_whole_output_as_text(
    page: Page, capture_server: ServerProcess
) -> None:
    import urllib.request

    page.goto(run_url(capture_server, DONE_RUN, "?tab=logs"))
    page.get_by_test_id("log-search").fill("gradient norm")  # a filter on screen: still all
    with page.expect_download() as download:
        page.get_by_test_id("log-download").click()
    assert download.value.suggested_filename == f"{DONE_RUN}-console.txt"
    text = open(download.value.path(), encoding="utf-8").read()  # noqa: SIM115
    api = f"{capture_server.url}/api/v1/projects/{PROJECT}/runs/{DONE_RUN}/logs.txt"
    with urllib.request.urlopen(api) as answer:
        assert text == answer.read().decode()
    assert text.endswith("\n") and text.count("\n") == ALL_LINES


def test_console_follows_a_live_run(page: Page, capture_server: ServerProcess) -> None:
    def append(texts: list[tuple[str, str]]) -> None:
        body = append_lines(texts, writer=f"test-{uuid.uuid4().hex[:8]}")
        answer = page.request.post(f"{capture_server.url}/api/v1/ingest", data=body)
        assert answer.ok, answer.text()

    page.goto(run_url(capture_server, LIVE_RUN, "?tab=logs"))
    expect(page.get_by_test_id("live-indicator")).to_be_visible()
    follow = page.get_by_test_id("log-follow")
    expect(follow).to_have_attribute("data-following", "true")
    expect(log_lines(page).last).to_contain_text("warming up 5")

    # New lines appear while the page is open, and the view stays at the bottom.
    append([("stdout", f"training step {i}") for i in range(1, 201)])
    append([("stderr", "a warning while live")])
    expect(log_lines(page).last).to_contain_text("a warning while live", timeout=15_000)
    expect(log_lines(page).last.get_by_test_id("log-stderr")).to_be_visible()
    wait_for(lambda: at_bottom(page), 15, "the view to follow the new lines", interval=0.1)

    # Scrolling up stops following: new lines arrive but the view stays where the reader is.
    page.get_by_test_id("log-lines").hover()
    page.mouse.wheel(0, -2_000)
    expect(follow).to_have_attribute("data-following", "false")
    jump = page.get_by_test_id("log-jump")
    expect(jump).to_be_visible()
    top = settled_scroll_top(page)
    append([("stdout", "after the reader scrolled up")])
    expect(jump).to_contain_text("1 new", timeout=15_000)
    assert not at_bottom(page)
    assert settled_scroll_top(page) == top

    # Jump to latest resumes following.
    jump.click()
    expect(follow).to_have_attribute("data-following", "true")
    expect(jump).to_be_hidden()
    expect(log_lines(page).last).to_contain_text("after the reader scrolled up")
    wait_for(lambda: at_bottom(page), 15, "the view to be at the bottom", interval=0.1)
    append([("stdout", "and one more")])
    expect(log_lines(page).last).to_contain_text("and one more", timeout=15_000)
    wait_for(lambda: at_bottom(page), 15, "the view to keep following", interval=0.1)


def test_code_and_environment(page: Page, capture_server: ServerProcess) -> None:
    page.goto(run_url(capture_server, DONE_RUN))
    code = page.get_by_test_id("code-card")
    expect(code.get_by_test_id("git-commit")).to_have_text(COMMIT[:10])
    expect(code.get_by_test_id("git-commit")).to_have_attribute("title", COMMIT)
    expect(code.get_by_test_id("git-branch")).to_have_text(BRANCH)
    expect(code.get_by_test_id("git-remote").locator("a")).to_have_attribute("href", REMOTE)
    expect(code.get_by_test_id("git-dirty")).to_be_visible()
    expect(code.get_by_test_id("run-command")).to_have_text(
        "/usr/bin/python3 train.py --config configs/base.yaml"
    )

    diff = page.get_by_test_id("diff-view")
    files = diff.get_by_test_id("diff-file")
    expect(files).to_have_count(2)
    assert [f.get_attribute("data-path") for f in files.all()] == ["train.py", "configs/base.yaml"]
    expect(diff.get_by_test_id("diff-add")).to_have_count(3)
    expect(diff.get_by_test_id("diff-del")).to_have_count(2)
    expect(diff.get_by_test_id("diff-add").first).to_contain_text("lr = 0.01")
    expect(diff.get_by_test_id("diff-cut")).to_have_count(0)
    files.first.locator("button").first.click()  # a file folds
    expect(files.first.get_by_test_id("diff-add")).to_have_count(0)
    files.first.locator("button").first.click()

    env = page.get_by_test_id("environment-card")
    expect(env.get_by_test_id("env-python")).to_have_text("3.11.7")
    expect(env.get_by_test_id("env-host")).to_have_text("gpu-box-7")
    expect(env.get_by_test_id("env-cpus")).to_have_text("32 (16 physical)")
    expect(env.get_by_test_id("env-gpus")).to_contain_text("2 × NVIDIA A100-SXM4-40GB")
    expect(env.get_by_test_id("env-cuda")).to_have_text("12.4")
    env.get_by_test_id("package-search").fill("torch")
    rows = env.get_by_test_id("package-row")
    expect(rows).to_have_count(2)
    assert [r.get_attribute("data-name") for r in rows.all()] == ["torch", "torchvision"]
    expect(env.get_by_test_id("package-count")).to_have_text("2 of 125")
    env.get_by_test_id("env-vars-toggle").click()
    expect(env.locator('[data-testid="env-var"][data-name="HF_TOKEN"]')).to_contain_text(
        "[redacted]"
    )
    env.get_by_test_id("package-search").fill("")
    env.get_by_test_id("env-vars-toggle").click()

    page.get_by_test_id("code-card").scroll_into_view_if_needed()
    page.evaluate(
        "window.scrollTo(0, document.querySelector('[data-testid=code-card]')"
        ".getBoundingClientRect().top + window.scrollY - 80)"
    )
    for theme in ("light", "dark"):
        set_theme(page, theme)
        screenshot(page, "run-code")


def test_a_run_without_capture_says_so(page: Page, capture_server: ServerProcess) -> None:
    page.goto(run_url(capture_server, BARE_RUN))
    expect(page.get_by_test_id("code-card").get_by_test_id("not-captured")).to_contain_text(
        "TRAILMARK_CAPTURE_CODE=false"
    )
    expect(page.get_by_test_id("environment-card").get_by_test_id("not-captured")).to_contain_text(
        "TRAILMARK_CAPTURE_ENV=false"
    )
    expect(page.get_by_test_id("diff-view")).to_have_count(0)
    page.get_by_test_id("tab-logs").click()
    expect(page.get_by_test_id("empty-state")).to_contain_text("TRAILMARK_CONSOLE=off")
    page.get_by_test_id("tab-system").click()
    expect(page.get_by_test_id("empty-state")).to_contain_text("TRAILMARK_SYSTEM_INTERVAL=0")


def test_system_charts_on_a_time_axis(page: Page, capture_server: ServerProcess) -> None:
    page.goto(run_url(capture_server, DONE_RUN, "?tab=system"))
    expect(page.get_by_test_id("system-charts")).to_be_visible()
    sections = page.get_by_test_id("panel-section")
    expect(sections).to_have_count(5)
    assert [s.get_attribute("data-prefix") for s in sections.all()] == [
        "cpu",
        "memory",
        "gpu",
        "disk",
        "network",
    ]
    expect(page.get_by_test_id("x-axis")).to_have_value("elapsed")
    gpu = page.locator('[data-testid="panel"][data-key="system/gpu.util"]')
    expect(gpu).to_have_attribute("data-series", "2")
    expect(gpu).to_have_attribute("data-x-axis", "elapsed")
    expect(gpu).to_have_attribute("data-max-step", "1800000")  # ms since the run was created
    expect(gpu.locator("canvas").first).to_be_visible()
    expect(gpu.get_by_test_id("panel-legend")).to_contain_text("GPU 0")
    expect(gpu.get_by_test_id("panel-legend")).to_contain_text("GPU 1")
    cpu = page.locator('[data-testid="panel"][data-key="system/cpu.util"]')
    expect(cpu).to_contain_text("CPU utilisation")
    expect(cpu.locator("canvas").first).to_be_visible()
    # The tooltip reads the cursor's x as elapsed time.
    box = cpu.locator("canvas").first.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
    expect(cpu.locator(".tt-head")).to_have_text(re.compile(r"^\d+:\d\d$"))

    # Dragging zooms to a time range (kept in the URL as milliseconds, the system steps).
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, middle, steps=8)
    page.mouse.up()
    expect(page).to_have_url(re.compile(r"zoom=\d+(:|%3A)\d+"))
    expect(cpu.locator(".chip-btn")).to_have_text(re.compile(r"^\d+:\d\d–\d+:\d\d"))
    low = int(cpu.get_attribute("data-min-step") or 0)
    high = int(cpu.get_attribute("data-max-step") or 0)
    assert 0 < low < high < 1_800_000
    cpu.locator(".chip-btn").click()
    expect(page).not_to_have_url(re.compile(r"zoom="))

    page.get_by_test_id("x-axis").select_option("step")
    expect(page).to_have_url(re.compile(r"x=step"))
    expect(gpu).to_have_attribute("data-x-axis", "step")
    page.get_by_test_id("x-axis").select_option("elapsed")
    expect(page).not_to_have_url(re.compile(r"x="))
    expect(gpu).to_have_attribute("data-x-axis", "elapsed")
    page.mouse.move(0, 0)
    page.locator('[data-testid="panel-section"][data-prefix="memory"]').evaluate(
        "el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 60)"
    )
    for theme in ("light", "dark"):
        set_theme(page, theme)
        screenshot(page, "run-system")
