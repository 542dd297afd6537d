"""The artifact, lineage and model registry pages in a real Chromium, over data logged through
the SDK: lists, versions and aliases, the manifest, every kind of file preview, walking the
lineage graph, the model's versions and stage history, and hostile text shown as text."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Dialog, Locator, Page, Route, expect

from tests.browser.conftest import expect_http_errors, screenshot
from tests.browser.seed_registry import (
    DATASET,
    HOSTILE,
    MODEL,
    PARQUET_ROWS,
    PROJECT,
    SHARD_COUNT,
    SHARDS,
    WEIGHTS,
    Seeded,
    seed_registry,
)
from tests.support import ServerProcess, start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("registry") / "server")
    try:
        server.seeded = seed_registry(server.url, tmp_path_factory.mktemp("registry-work"))  # type: ignore[attr-defined]
        yield server
    finally:
        server.stop()


def seeded(server: ServerProcess) -> Seeded:
    return server.seeded  # type: ignore[attr-defined, no-any-return]


def set_theme(page: Page, theme: str) -> None:
    if page.evaluate("document.documentElement.dataset.theme") != theme:
        page.get_by_test_id("theme-toggle").click()
    expect(page.locator("html")).to_have_attribute("data-theme", theme)


def screenshots(page: Page, name: str, top: Locator | None = None) -> None:
    """Light and dark screenshots, scrolled to the top of the page or of ``top``."""
    for theme in ("light", "dark"):
        set_theme(page, theme)
        if top is None:
            page.evaluate("window.scrollTo(0, 0)")
        else:
            top.evaluate("el => window.scrollTo(0, el.getBoundingClientRect().top + scrollY - 60)")
        screenshot(page, name)
    set_theme(page, "light")


def assert_no_script_ran(page: Page) -> None:
    assert page.evaluate("window.__xss") is None, "an injected script ran"
    assert page.locator("img[src='x']").count() == 0


def quoted(value: str) -> str:
    """A CSS attribute value in double quotes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def api(server: ServerProcess, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the REST API directly (to check what a click changed); None for an empty answer."""
    request = urllib.request.Request(
        server.url + path,
        None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        text = response.read()
    return json.loads(text) if text else None


def manifest_row(page: Page, path: str) -> Locator:
    return page.locator(f'[data-testid="manifest-row"][data-path={quoted(path)}]')


def open_file(page: Page, path: str) -> Locator:
    manifest_row(page, path).click()
    preview = page.locator(f"[data-testid=file-preview][data-path={quoted(path)}]")
    expect(preview).to_be_visible()
    return preview


def test_artifacts_list_filters_and_keeps_its_view_in_the_url(
    page: Page, registry_server: ServerProcess
) -> None:
    page.goto(f"{registry_server.url}/projects/{PROJECT}")
    page.get_by_test_id("nav-artifacts").click()
    expect(page).to_have_url(re.compile(f"/projects/{PROJECT}/artifacts$"))
    rows = page.get_by_test_id("artifact-row")
    expect(rows).to_have_count(3)
    dataset = page.locator(f'[data-testid="artifact-row"][data-artifact="{DATASET}"]')
    expect(dataset).to_contain_text("v2")
    expect(dataset.get_by_test_id("alias-chip")).to_have_text(["latest"])
    expect(dataset).to_contain_text("3")  # versions

    page.get_by_test_id("artifact-type-filter").select_option("model")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-artifact", WEIGHTS)
    page.get_by_test_id("artifact-type-filter").select_option("")
    page.get_by_test_id("artifact-search").fill("shar")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=shar"))
    page.reload()
    expect(page.get_by_test_id("artifact-search")).to_have_value("shar")
    expect(rows).to_have_count(1)
    page.get_by_test_id("artifact-search").fill("")
    expect(rows).to_have_count(3)
    screenshots(page, "artifacts")


def test_artifact_page_shows_versions_aliases_and_the_manifest(
    page: Page, registry_server: ServerProcess
) -> None:
    page.goto(f"{registry_server.url}/projects/{PROJECT}/artifacts")
    page.locator(f'[data-testid="artifact-row"][data-artifact="{DATASET}"] a').first.click()
    versions = page.get_by_test_id("artifact-version-row")
    expect(versions).to_have_count(3)
    assert [v.get_attribute("data-version") for v in versions.all()] == ["2", "1", "0"]
    expect(versions.nth(0).get_by_test_id("alias-chip")).to_have_text(["latest"])
    expect(versions.nth(1).get_by_test_id("alias-chip")).to_have_text(["best"])
    expect(versions.nth(0)).to_have_attribute("data-selected", "true")  # the newest by default
    producer = versions.nth(0).get_by_test_id("producer-link")
    expect(producer).to_have_attribute(
        "href", f"/projects/{PROJECT}/runs/{seeded(registry_server).prep_run}"
    )

    detail = page.get_by_test_id("version-detail")
    expect(detail).to_have_attribute("data-version", "2")
    expect(page.get_by_test_id("version-metadata")).to_contain_text("split")
    expect(page.get_by_test_id("version-users")).to_contain_text(seeded(registry_server).train_run)
    manifest = page.get_by_test_id("manifest")
    expect(manifest).to_have_attribute("data-total", "10")
    expect(manifest_row(page, "nested")).to_have_attribute("data-kind", "folder")
    manifest_row(page, "nested").click()
    manifest_row(page, "nested/deep").click()
    expect(manifest).to_have_attribute("data-prefix", "nested/deep")
    expect(manifest_row(page, "nested/deep/leaf.txt")).to_be_visible()
    expect(page).to_have_url(re.compile(r"dir=nested%2Fdeep"))
    page.locator('[data-testid="manifest-crumb"][data-path=""]').click()
    expect(manifest).to_have_attribute("data-prefix", "")

    # The alias chip in the header selects the version it names.
    page.locator('[data-testid="artifact-aliases"] [data-alias="best"]').click()
    expect(versions.nth(1)).to_have_attribute("data-selected", "true")
    expect(detail).to_have_attribute("data-version", "1")
    expect(page.get_by_test_id("manifest")).to_have_attribute("data-total", "5")


def test_every_kind_of_file_preview(page: Page, registry_server: ServerProcess) -> None:
    page.goto(f"{registry_server.url}/projects/{PROJECT}/artifacts/{DATASET}?v=2")
    expect(page.get_by_test_id("manifest")).to_have_attribute("data-total", "10")

    text = open_file(page, "readme.txt")
    expect(text.get_by_test_id("preview-text")).to_contain_text("hello from the dataset")
    expect(text.get_by_test_id("download-link")).to_have_attribute(
        "href", f"/api/v1/projects/{PROJECT}/artifacts/{DATASET}/versions/v2/files/readme.txt"
    )

    json_preview = open_file(page, "config.json").get_by_test_id("preview-json")
    expect(json_preview).to_contain_text("classes")
    expect(json_preview).to_contain_text('"cat"')
    expect(json_preview).to_contain_text("depth")

    csv = open_file(page, "table.csv").get_by_test_id("preview-table")
    expect(csv).to_have_attribute("data-rows", "3")
    expect(csv.locator("tbody tr").first).to_contain_text('a, quoted "word"')
    expect(csv.locator("thead")).to_contain_text("score")

    parquet = open_file(page, "table.parquet").get_by_test_id("preview-table")
    expect(parquet).to_have_attribute("data-format", "parquet")
    expect(parquet).to_have_attribute("data-rows", "100")
    expect(parquet).to_have_attribute("data-total", str(PARQUET_ROWS))
    expect(parquet.locator("thead")).to_contain_text("int64")

    manifest_row(page, "images").click()
    for image in ("images/logo.svg", "images/pixel.png"):
        img = open_file(page, image).get_by_test_id("preview-image")
        expect(img).to_be_visible()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=img.element_handle()
        )
        assert (img.get_attribute("src") or "").startswith("blob:")
    assert_no_script_ran(page)  # the SVG's script and onload did not run
    screenshots(page, "artifact-version", top=page.get_by_test_id("version-detail"))

    page.locator('[data-testid="manifest-crumb"][data-path=""]').click()
    manifest_row(page, "external").click()
    ref = open_file(page, "external/labels.csv").get_by_test_id("preview-reference")
    expect(ref).to_contain_text("file://")
    expect(page.get_by_test_id("download-link")).to_have_count(0)

    page.locator('[data-testid="manifest-crumb"][data-path=""]').click()
    binary = open_file(page, "model.bin")
    expect(binary.get_by_test_id("preview-binary")).to_contain_text("No preview")
    expect(binary.get_by_test_id("download-link")).to_be_visible()

    # The selection is in the URL: a reload shows the same version and preview.
    page.goto(f"{registry_server.url}/projects/{PROJECT}/artifacts/{DATASET}?v=1&file=table.csv")
    expect(page.get_by_test_id("version-detail")).to_have_attribute("data-version", "1")
    expect(page.get_by_test_id("preview-table")).to_have_attribute("data-rows", "4")


def test_big_manifests_are_paged(page: Page, registry_server: ServerProcess) -> None:
    page.goto(f"{registry_server.url}/projects/{PROJECT}/artifacts/{SHARDS}")
    expect(page.get_by_test_id("manifest")).to_have_attribute("data-total", str(SHARD_COUNT))
    expect(page.locator('[data-testid="manifest-row"][data-kind="file"]')).to_have_count(500)
    page.get_by_test_id("manifest-next").click()
    expect(page.locator('[data-testid="manifest-row"][data-kind="file"]')).to_have_count(
        SHARD_COUNT - 500
    )
    expect(manifest_row(page, f"part-{SHARD_COUNT - 1:04}.txt")).to_be_visible()
    expect(page).to_have_url(re.compile(r"offset=500"))


def test_lineage_graph_walks_from_node_to_node(page: Page, registry_server: ServerProcess) -> None:
    train = seeded(registry_server).train_run
    page.goto(f"{registry_server.url}/projects/{PROJECT}/artifacts/{DATASET}?v=2")
    page.get_by_test_id("lineage-link").click()
    graph = page.get_by_test_id("lineage-graph")
    expect(graph).to_have_attribute("data-root", f"artifact:{PROJECT}/{DATASET}:v2")
    page.get_by_test_id("lineage-hops").select_option("3")
    expect(page).to_have_url(re.compile(r"hops=3"))

    def node(node_id: str) -> Locator:
        return page.locator(f'[data-testid="lineage-node"][data-node-id="{node_id}"]')

    chain = [
        f"run:{seeded(registry_server).prep_run}",
        f"artifact:{PROJECT}/{DATASET}:v2",
        f"run:{train}",
        f"model:{MODEL}:v1",
        f"artifact:{PROJECT}/{WEIGHTS}:v0",
        f"model:{MODEL}:v2",
    ]
    for node_id in chain:
        expect(node(node_id)).to_be_visible()
    expect(node(f"run:{train}")).to_contain_text("<img src=x")  # a hostile run name, as text
    for kind in ("produced", "used", "registered"):
        expect(
            page.locator(f'[data-testid="lineage-edge"][data-kind="{kind}"]').first
        ).to_be_attached()
    # Left to right in the order data flows.
    xs = [node(n).bounding_box()["x"] for n in chain[:4]]  # type: ignore[index]
    assert xs == sorted(xs) and len(set(xs)) == 4
    assert_no_script_ran(page)
    screenshots(page, "lineage")

    node(f"run:{train}").click()
    expect(graph).to_have_attribute("data-root", f"run:{train}")
    expect(node(f"run:{train}")).to_have_attribute("data-root", "true")
    expect(page).to_have_url(re.compile(f"node=run%3A{train}"))
    expect(page.get_by_test_id("lineage-open-link")).to_have_attribute(
        "href", f"/projects/{PROJECT}/runs/{train}"
    )
    page.get_by_test_id("lineage-direction").select_option("downstream")
    expect(node(f"artifact:{PROJECT}/{DATASET}:v2")).to_have_count(0)
    expect(node(f"model:{MODEL}:v1")).to_be_visible()
    page.go_back()
    expect(graph).to_have_attribute("data-root", f"artifact:{PROJECT}/{DATASET}:v2")


def test_models_list(page: Page, registry_server: ServerProcess) -> None:
    page.goto(registry_server.url + "/")
    page.get_by_test_id("nav-models").click()
    row = page.locator(f'[data-testid="model-row"][data-model="{MODEL}"]')
    expect(row).to_be_visible()
    expect(row.get_by_test_id("production-version")).to_contain_text("v2")
    expect(row.get_by_test_id("alias-chip")).to_have_text(["challenger → v2", "champion → v1"])
    expect(row).to_contain_text("<img src=x")  # the description, as text
    page.get_by_test_id("model-search").fill("zzz")
    expect(page.get_by_test_id("empty-state")).to_contain_text("No model matches")
    page.get_by_test_id("model-search").fill("fraud")
    expect(row).to_be_visible()
    assert_no_script_ran(page)
    screenshots(page, "models")


def test_model_page_versions_history_and_source_run(
    page: Page, registry_server: ServerProcess
) -> None:
    train = seeded(registry_server).train_run
    page.goto(f"{registry_server.url}/models")
    page.locator(f'[data-testid="model-row"][data-model="{MODEL}"] a').first.click()
    expect(page).to_have_url(re.compile(f"/models/{MODEL}$"))
    rows = page.get_by_test_id("model-version-row")
    expect(rows).to_have_count(2)
    assert [
        (r.get_attribute("data-version"), r.get_attribute("data-stage")) for r in rows.all()
    ] == [
        ("2", "Production"),
        ("1", "Archived"),
    ]
    expect(page.get_by_test_id("model-aliases").get_by_test_id("alias-chip")).to_have_text(
        ["challenger → v2", "champion → v1"]
    )
    expect(page.get_by_test_id("model-header")).to_contain_text("team=risk")
    stages = page.locator('[data-testid="model-event"][data-kind="stage_changed"]')
    expect(stages).to_have_count(3)
    assert [
        (s.get_attribute("data-version"), s.get_attribute("data-to")) for s in stages.all()
    ] == [
        ("2", "Production"),
        ("1", "Archived"),
        ("1", "Production"),
    ]
    expect(stages.nth(1)).to_contain_text("because v2 went to Production")
    expect(page.get_by_test_id("model-events")).to_contain_text("registered v1 from runs/")

    # The newest version is shown; the champion chip shows v1 with its run and files.
    detail = page.get_by_test_id("model-version-detail")
    expect(detail).to_have_attribute("data-version", "2")
    expect(detail.get_by_test_id("source-artifact-link")).to_contain_text(f"{WEIGHTS}:v0")
    page.locator('[data-testid="model-aliases"] [data-alias="champion"]').click()
    expect(detail).to_have_attribute("data-version", "1")
    expect(page.get_by_test_id("source-run")).to_contain_text("val/acc")
    expect(page.get_by_test_id("source-run")).to_contain_text("<img src=x")  # run name as text
    preview = open_file(page, "params.json")
    expect(preview.get_by_test_id("preview-json")).to_contain_text("lr")
    expect(detail.get_by_test_id("lineage-link")).to_have_attribute(
        "href", re.compile(f"/projects/{PROJECT}/lineage\\?node=model%3A{MODEL}%3Av1")
    )
    assert_no_script_ran(page)
    screenshots(page, "model")

    page.get_by_test_id("source-run-link").click()
    expect(page).to_have_url(re.compile(f"/projects/{PROJECT}/runs/{train}$"))


def test_model_actions_ask_before_changing(page: Page, registry_server: ServerProcess) -> None:
    page.goto(f"{registry_server.url}/models/{MODEL}?v=1")
    detail = page.get_by_test_id("model-version-detail")
    expect(detail).to_have_attribute("data-version", "1")
    page.get_by_test_id("set-alias-button").click()
    page.get_by_test_id("alias-input").fill("candidate")
    page.get_by_test_id("alias-input").press("Enter")
    expect(page.get_by_test_id("confirm-dialog")).to_contain_text("candidate")
    page.get_by_test_id("confirm-ok").click()
    expect(page.locator('[data-testid="model-aliases"] [data-alias="candidate"]')).to_have_text(
        "candidate → v1"
    )
    page.get_by_test_id("change-stage-button").click()
    page.get_by_test_id("stage-select").select_option("Staging")
    page.locator(".action-form button[type=submit]").click()
    page.get_by_test_id("confirm-ok").click()
    row = page.locator('[data-testid="model-version-row"][data-version="1"]')
    expect(row).to_have_attribute("data-stage", "Staging")
    expect(page.locator('[data-testid="model-event"]').first).to_contain_text(
        "moved v1 from Archived to Staging"
    )


def test_hostile_text_is_shown_as_text(page: Page, registry_server: ServerProcess) -> None:
    page.goto(f"{registry_server.url}/projects/{PROJECT}/artifacts/{DATASET}")
    expect(page.get_by_test_id("artifact-header")).to_contain_text(HOSTILE)
    expect(page.get_by_test_id("version-description")).to_contain_text(HOSTILE)
    expect(page.get_by_test_id("version-metadata")).to_contain_text("window.__xss")
    row = manifest_row(page, f"{HOSTILE}.txt")
    expect(row).to_contain_text(HOSTILE)
    preview = open_file(page, f"{HOSTILE}.txt")
    expect(preview.get_by_test_id("preview-text")).to_contain_text("hostile name")
    page.goto(f"{registry_server.url}/models/{MODEL}")
    expect(page.get_by_test_id("model-header")).to_contain_text(HOSTILE)
    assert_no_script_ran(page)


def test_pages_explain_what_is_missing(page: Page, registry_server: ServerProcess) -> None:
    expect_http_errors(page)
    page.goto(f"{registry_server.url}/projects/{PROJECT}/artifacts/nope")
    expect(page.get_by_test_id("empty-state")).to_contain_text("No such artifact")
    page.goto(f"{registry_server.url}/models/nope")
    expect(page.get_by_test_id("empty-state")).to_contain_text("No such model")
    page.goto(f"{registry_server.url}/projects/{PROJECT}/lineage")
    expect(page.get_by_test_id("empty-state")).to_contain_text("Pick something to trace")
    page.get_by_test_id("lineage-start").first.click()
    expect(page.get_by_test_id("lineage-graph")).to_be_visible()
    page.goto(f"{registry_server.url}/projects/{PROJECT}/lineage?node=run:missing")
    expect(page.get_by_test_id("empty-state")).to_contain_text("Nothing by that name")


def test_removing_an_alias_asks_first(page: Page, registry_server: ServerProcess) -> None:
    api(registry_server, "PUT", f"/api/v1/models/{MODEL}/aliases/retiring", {"version": 1})
    page.goto(f"{registry_server.url}/models/{MODEL}?v=1")
    expect(page.get_by_test_id("model-version-detail")).to_have_attribute("data-version", "1")
    chips = page.get_by_test_id("version-alias-list")
    retiring = chips.locator('[data-alias="retiring"]')
    dialog = page.get_by_test_id("confirm-dialog")
    question = (
        f"Remove alias retiring from version 1 of {MODEL}? Anything that loads "
        f"{MODEL}@retiring will fail until it is set again."
    )

    # Cancel changes nothing.
    retiring.get_by_role("button", name="Remove alias retiring").click()
    expect(dialog.locator("p")).to_have_text(question)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(retiring).to_be_visible()
    assert api(registry_server, "GET", f"/api/v1/models/{MODEL}")["aliases"]["retiring"] == 1

    retiring.get_by_test_id("remove-alias").click()
    expect(dialog.locator("p")).to_have_text(question)
    page.get_by_test_id("confirm-ok").click()
    expect(dialog).to_have_count(0)
    expect(retiring).to_have_count(0)
    expect(page.locator('[data-testid="model-aliases"] [data-alias="retiring"]')).to_have_count(0)
    expect(page.locator('[data-testid="model-aliases"] [data-alias="champion"]')).to_be_visible()
    expect(page.locator('[data-testid="model-event"]').first).to_contain_text(
        "removed alias retiring (it named v1)"
    )
    aliases = api(registry_server, "GET", f"/api/v1/models/{MODEL}")["aliases"]
    assert "retiring" not in aliases and aliases["champion"] == 1
    with pytest.raises(urllib.error.HTTPError) as missing:
        api(registry_server, "GET", f"/api/v1/models/{MODEL}/versions/retiring")
    assert missing.value.code == 404


def test_descriptions_are_edited_in_place(page: Page, registry_server: ServerProcess) -> None:
    expect_http_errors(page)  # one save is refused on purpose
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    hostile = "<img src=x onerror=alert(1)>"
    model_text = f"Scores payments {hostile}\nsecond line & <b>not bold</b>"
    version_text = f"Retrained weights {hostile}"
    page.goto(f"{registry_server.url}/models/{MODEL}?v=2")
    detail = page.get_by_test_id("model-version-detail")
    expect(detail).to_have_attribute("data-version", "2")

    # The model's description, in the header: Escape throws the draft away.
    header = page.get_by_test_id("entity-description-editor")
    header.get_by_test_id("edit-description").click()
    box = header.get_by_test_id("description-input")
    save = header.get_by_test_id("description-save")
    expect(box).to_be_focused()
    expect(box).to_have_value(f"Flags fraudulent payments {HOSTILE}")
    expect(save).to_be_disabled()  # nothing changed yet
    box.fill("thrown away")
    expect(save).to_be_enabled()
    box.press("Escape")
    expect(header).to_have_attribute("data-editing", "false")
    expect(page.get_by_test_id("entity-description")).to_have_text(
        f"Flags fraudulent payments {HOSTILE}"
    )

    # Near the server's limit a counter appears; over it, Save is disabled.
    header.get_by_test_id("edit-description").click()
    box.fill("x" * 100_001)
    expect(header.get_by_test_id("description-counter")).to_have_text(
        "1 character too many (at most 100,000)"
    )
    expect(save).to_be_disabled()
    box.fill("x" * 99_990)
    expect(header.get_by_test_id("description-counter")).to_have_text("10 characters left")
    expect(save).to_be_enabled()

    # A refusal from the server is shown and the draft kept.
    def refuse(route: Route) -> None:
        if route.request.method != "PATCH":
            route.continue_()
            return
        route.fulfill(
            status=400,
            content_type="application/json",
            body=json.dumps({"error": {"code": "invalid_input", "message": f"no {hostile}"}}),
        )

    page.route(f"**/api/v1/models/{MODEL}", refuse)
    box.fill(model_text)
    save.click()
    error = header.get_by_test_id("error-message")
    expect(error).to_contain_text("The server refused the request")
    expect(error).to_contain_text(f"no {hostile}")
    expect(box).to_have_value(model_text)
    page.unroute(f"**/api/v1/models/{MODEL}")
    save.click()
    expect(header).to_have_attribute("data-editing", "false")
    expect(header.get_by_test_id("error-message")).to_have_count(0)
    expect(page.get_by_test_id("entity-description")).to_have_text(model_text)
    expect(page.locator('[data-testid="model-event"]').first).to_contain_text(
        "changed the model (description)"
    )

    # The version's description, in its facts card: Ctrl+Enter saves.
    editor = detail.get_by_test_id("version-description-editor")
    expect(editor).to_contain_text("No description.")
    editor.get_by_test_id("edit-description").click()
    expect(editor.get_by_test_id("description-save")).to_be_disabled()
    editor.get_by_test_id("description-input").fill(version_text)
    editor.get_by_test_id("description-input").press("Control+Enter")
    expect(detail.get_by_test_id("model-version-description")).to_have_text(version_text)
    row = page.locator('[data-testid="model-version-row"][data-version="2"]')
    expect(row).to_contain_text(version_text)

    page.reload()
    expect(page.get_by_test_id("entity-description")).to_have_text(model_text)
    expect(detail.get_by_test_id("model-version-description")).to_have_text(version_text)
    assert api(registry_server, "GET", f"/api/v1/models/{MODEL}")["description"] == model_text
    version = api(registry_server, "GET", f"/api/v1/models/{MODEL}/versions/2")
    assert version["description"] == version_text
    assert_no_script_ran(page)
    assert page.locator("b", has_text="not bold").count() == 0
    assert dialogs == [], "an injected script ran"

    # An empty description clears it.
    editor.get_by_test_id("edit-description").click()
    editor.get_by_test_id("description-input").fill("")
    editor.get_by_test_id("description-save").click()
    expect(editor).to_contain_text("No description.")
    assert api(registry_server, "GET", f"/api/v1/models/{MODEL}/versions/2")["description"] == ""
