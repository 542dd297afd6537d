"""Schemathesis over the OpenAPI spec of a real server: generated requests, valid and not, never
get a 5xx or an answer that breaks the documented response schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.result import Ok

from tests.reliability.helpers import Server

EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 4}
"""Per operation and mode: about 130 operations (REST and MLflow) in about a minute here."""


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("schemathesis"))
    server.start()
    seed(server.url)
    try:
        yield server
    finally:
        server.stop()


def seed(url: str) -> None:
    """A project with a run and metrics, so that generated names sometimes hit real data."""
    envelope = {"run": "r1", "project": "p", "writer": "w1"}
    records = [{"t": "run", "q": 1, "name": "seed", "config": {"lr": 0.1}}] + [
        {"t": "m", "q": i + 2, "s": i, "w": 1.0, "d": {"loss": 1.0 / (i + 1)}} for i in range(50)
    ]
    response = httpx.post(f"{url}/api/v1/ingest", json={"envelope": envelope, "records": records})
    assert response.status_code == 200, response.text


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors_and_no_schema_violations(
    fuzzed_server: Server, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed_server.url}/api/v1/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        operations += 1
        if mode == GenerationMode.NEGATIVE and not can_be_invalid(operation):
            continue

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES[mode],
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(
                checks=[not_a_server_error, response_schema_conformance], timeout=30
            )

        try:
            check()
        except Unsatisfiable:
            continue  # e.g. no invalid value exists for a lone string path parameter
        except (Exception, BaseExceptionGroup) as exc:  # a report for every operation
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 10, "the spec lists the API's operations"
    assert not failures, "\n\n".join(failures)


def can_be_invalid(operation: schemathesis.APIOperation[Any, Any, Any, Any]) -> bool:
    """Whether invalid input exists: a body, or a parameter that is more than any string."""
    if operation.get_request_payload_content_types():
        return True
    return not all(
        plain_string(parameter.definition.get("schema", {}))
        for parameter in operation.iter_parameters()
    )


def plain_string(schema: dict[str, Any]) -> bool:
    described = {k: v for k, v in schema.items() if k not in ("title", "description")}
    if "anyOf" in described and len(described) == 1:
        return all(plain_string(s) or s == {"type": "null"} for s in described["anyOf"])
    return described == {"type": "string"}


def test_the_fuzzed_server_logged_no_errors(fuzzed_server: Server) -> None:
    text = Path(fuzzed_server.log_path).read_text()
    assert "Traceback" not in text, text[-5000:]
