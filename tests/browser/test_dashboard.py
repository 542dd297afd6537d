"""The dashboard in a real Chromium: pages render, and filter, sort, group, hide, zoom, smoothing,
compare, URL state and live updates do what they say."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

import trailmark as tm
from tests.browser.conftest import expect_http_errors, screenshot
from tests.browser.seed import LONG_PROJECT, PROJECT, SPIKE_STEP
from tests.support import ServerProcess, wait_for

pytestmark = pytest.mark.browser


def open_workspace(
    page: Page, server: ServerProcess, project: str = PROJECT, query: str = ""
) -> None:
    page.goto(f"{server.url}/projects/{project}{query}")
    expect(page.get_by_test_id("runs-table")).to_be_visible()
    expect(page.get_by_test_id("panel").first).to_be_visible()


def rows(page: Page) -> list[str]:
    return [r.get_attribute("data-run-id") or "" for r in page.get_by_test_id("run-row").all()]


def panel(page: Page, key: str) -> Locator:
    return page.locator(f'[data-testid="panel"][data-key="{key}"]')


def drag_across(page: Page, chart: Locator, start: float, end: float) -> None:
    """Drag horizontally over a chart's plot area, from and to fractions of its width."""
    box = chart.locator("canvas").first.bounding_box()
    assert box is not None
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * start, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end, middle, steps=8)
    page.mouse.up()


def set_theme(page: Page, theme: str) -> None:
    current = page.evaluate("document.documentElement.dataset.theme")
    if current != theme:
        page.get_by_test_id("theme-toggle").click()
    expect(page.locator("html")).to_have_attribute("data-theme", theme)


def test_projects_page(page: Page, seeded_server: ServerProcess) -> None:
    page.goto(seeded_server.url + "/")
    row = page.locator(f'[data-testid="project-row"][data-project="{PROJECT}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("12")
    page.get_by_test_id("project-search").fill("lon")
    expect(page.get_by_test_id("project-row")).to_have_count(1)
    for theme in ("light", "dark"):
        set_theme(page, theme)
        screenshot(page, "projects")


def test_workspace_shows_runs_and_charts(page: Page, seeded_server: ServerProcess) -> None:
    open_workspace(page, seeded_server)
    expect(page.get_by_test_id("run-row")).to_have_count(12)
    for prefix in ("train", "val", "system"):
        expect(
            page.locator(f'[data-testid="panel-section"][data-prefix="{prefix}"]')
        ).to_be_visible()
    # Like W&B, charts draw the table's first 10 runs until others are switched on.
    expect(panel(page, "train/loss")).to_have_attribute("data-series", "10")
    for theme in ("light", "dark"):
        set_theme(page, theme)
        screenshot(page, "workspace")


def test_filter_with_errors_shown_in_place(page: Page, seeded_server: ServerProcess) -> None:
    expect_http_errors(page)
    open_workspace(page, seeded_server)
    box = page.get_by_test_id("filter-input")
    box.fill("config.lr <")
    box.press("Enter")
    expect(page.get_by_test_id("filter-error")).to_contain_text("position")
    box.fill('config.lr < 5e-4 and config.optimizer = "adam"')
    box.press("Enter")
    expect(page.get_by_test_id("filter-error")).to_have_count(0)
    expect(page.get_by_test_id("run-row")).to_have_count(4)
    assert "filter" in page.url


def test_sort_by_a_column(page: Page, seeded_server: ServerProcess) -> None:
    open_workspace(page, seeded_server)
    header = page.locator('[data-testid="column-header"][data-column="name"]')
    header.click()
    expect(header).to_have_attribute("data-sort", "asc")
    names = [n.inner_text() for n in page.get_by_test_id("run-name").all()]
    assert names == sorted(names)
    header.click()
    expect(header).to_have_attribute("data-sort", "desc")
    names = [n.inner_text() for n in page.get_by_test_id("run-name").all()]
    assert names == sorted(names, reverse=True)


def test_hide_and_show_a_run(page: Page, seeded_server: ServerProcess) -> None:
    open_workspace(page, seeded_server)
    toggle = page.get_by_test_id("run-visibility-toggle").first
    toggle.click()
    expect(panel(page, "train/loss")).to_have_attribute("data-series", "9")
    assert "hide" in page.url
    toggle.click()
    expect(panel(page, "train/loss")).to_have_attribute("data-series", "10")


def test_group_by_draws_one_line_per_group(page: Page, seeded_server: ServerProcess) -> None:
    open_workspace(page, seeded_server)
    page.get_by_test_id("group-by").select_option("group")
    expect(panel(page, "train/loss")).to_have_attribute("data-series", "2")
    screenshot(page, "workspace-grouped")


def test_zoom_returns_full_resolution(page: Page, seeded_server: ServerProcess) -> None:
    open_workspace(page, seeded_server, LONG_PROJECT)
    chart = panel(page, "loss")
    expect(chart).to_have_attribute("data-bucketed", "true")
    points = int(chart.get_attribute("data-points") or 0)
    assert 0 < points < 5_000
    drag_across(page, chart, 0.60, 0.66)
    expect(chart).not_to_have_attribute("data-max-step", "49999")
    drag_across(page, chart, 0.45, 0.55)
    expect(chart).to_have_attribute("data-bucketed", "false", timeout=10_000)
    low = int(chart.get_attribute("data-min-step") or 0)
    high = int(chart.get_attribute("data-max-step") or 0)
    assert 25_000 < low < high < 35_000
    wait_for(
        lambda: int(chart.get_attribute("data-points") or 0) >= (high - low) * 0.9,
        10,
        "the zoomed range to be drawn at full resolution",
    )


def test_spikes_survive_bucketing(page: Page, seeded_server: ServerProcess) -> None:
    open_workspace(page, seeded_server, LONG_PROJECT)
    series = page.request.post(
        f"{seeded_server.url}/api/v1/projects/{LONG_PROJECT}/series",
        data={"runs": ["longrun"], "keys": ["loss"], "buckets": 300},
    ).json()["series"][0]
    assert series["bucketed"] and SPIKE_STEP in series["steps"]


def test_smoothing_and_the_url_restore_a_view(page: Page, seeded_server: ServerProcess) -> None:
    open_workspace(page, seeded_server)
    page.get_by_test_id("filter-input").fill('config.optimizer = "sgd"')
    page.get_by_test_id("filter-input").press("Enter")
    expect(page.get_by_test_id("run-row")).to_have_count(6)
    page.get_by_test_id("smoothing").fill("0.8")
    page.locator('[data-testid="column-header"][data-column="name"]').click()
    page.get_by_test_id("panel-search").fill("^val/")
    expect(page.get_by_test_id("panel")).to_have_count(1)
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    expect(page.get_by_test_id("run-row")).to_have_count(6)
    expect(page.get_by_test_id("filter-input")).to_have_value('config.optimizer = "sgd"')
    expect(page.get_by_test_id("smoothing")).to_have_value("0.8")
    expect(page.get_by_test_id("panel")).to_have_count(1)
    expect(page.locator('[data-testid="column-header"][data-column="name"]')).to_have_attribute(
        "data-sort", "asc"
    )


def test_compare_selected_runs(page: Page, seeded_server: ServerProcess) -> None:
    open_workspace(page, seeded_server)
    checkboxes = page.get_by_test_id("run-select")
    for i in range(3):
        checkboxes.nth(i).click()
    page.get_by_test_id("compare-button").click()
    expect(page).to_have_url(re.compile(r"/compare\?"))
    expect(page.get_by_test_id("config-diff")).to_contain_text("lr")
    expect(page.get_by_test_id("parallel-coords")).to_be_visible()
    expect(page.get_by_test_id("scatter-plot")).to_be_visible()
    for theme in ("light", "dark"):
        set_theme(page, theme)
        screenshot(page, "compare")


def test_run_page_with_editable_notes(page: Page, seeded_server: ServerProcess) -> None:
    page.goto(f"{seeded_server.url}/projects/{PROJECT}/runs/run03")
    expect(page.get_by_test_id("run-overview")).to_contain_text("finished")
    expect(page.get_by_test_id("config-tree")).to_contain_text("optimizer")
    expect(page.get_by_test_id("summary-table")).to_contain_text("train/loss")
    editor = page.get_by_test_id("notes-editor")
    editor.click()
    page.keyboard.type("looks promising")
    page.keyboard.press("Control+Enter")
    run_url = f"{seeded_server.url}/api/v1/projects/{PROJECT}/runs/run03"
    wait_for(
        lambda: "looks promising" in page.request.get(run_url).json()["notes"],
        10,
        "the notes to be saved",
        interval=0.1,
    )
    for theme in ("light", "dark"):
        set_theme(page, theme)
        screenshot(page, "run")


def test_empty_project_teaches_how_to_log(page: Page, seeded_server: ServerProcess) -> None:
    page.request.post(f"{seeded_server.url}/api/v1/projects", data={"name": "empty"})
    page.goto(f"{seeded_server.url}/projects/empty")
    expect(page.get_by_test_id("empty-state")).to_contain_text("init(")


def test_api_errors_are_shown_in_words(page: Page, seeded_server: ServerProcess) -> None:
    expect_http_errors(page)
    page.goto(f"{seeded_server.url}/projects/no-such-project")
    expect(page.get_by_test_id("error-message")).to_contain_text("does not exist")


def test_slash_focuses_search(page: Page, seeded_server: ServerProcess) -> None:
    open_workspace(page, seeded_server)
    page.locator("body").click()
    page.keyboard.press("/")
    focused = page.evaluate("document.activeElement && document.activeElement.dataset.testid")
    assert focused in ("filter-input", "panel-search")


@pytest.fixture
def live_run(
    seeded_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    stop = threading.Event()
    run = tm.init(
        project="live", name="growing", dir=tmp_path_factory.mktemp("live"), url=seeded_server.url
    )

    def train() -> None:
        step = 0
        while not stop.is_set():
            run.log({"train/loss": 1.0 / (step + 1)})
            step += 1
            time.sleep(0.01)

    thread = threading.Thread(target=train)
    thread.start()
    yield run.id
    stop.set()
    thread.join()
    run.finish()


def test_a_running_run_grows_live(page: Page, seeded_server: ServerProcess, live_run: str) -> None:
    run_url = f"{seeded_server.url}/api/v1/projects/live/runs/{live_run}"
    wait_for(lambda: page.request.get(run_url).ok, 10, "the live run to exist", interval=0.1)
    open_workspace(page, seeded_server, "live")
    expect(page.get_by_test_id("live-indicator")).to_be_visible()
    chart = panel(page, "train/loss")
    first = int(chart.get_attribute("data-points") or 0)
    expect(chart).not_to_have_attribute("data-points", str(first), timeout=15_000)
    assert int(chart.get_attribute("data-points") or 0) > first
