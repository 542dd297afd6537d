"""The lineage graph: runs, artifact versions and model versions, and the edges between."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from trailmark.views.artifacts import ArtifactVersion
from trailmark.views.base import View
from trailmark.views.registry import ModelVersion


class RunNode(View):
    id: str = Field(description="run:RUN_ID")
    kind: Literal["run"]
    label: str
    project: str | None
    state: str = Field(description='The run\'s state, or "deleted".')


class ArtifactNode(ArtifactVersion):
    id: str = Field(description="artifact:PROJECT/NAME:vN")
    kind: Literal["artifact"]
    label: str


class ModelNode(ModelVersion):
    id: str = Field(description="model:NAME:vN")
    kind: Literal["model"]
    label: str


LineageNode = Annotated[RunNode | ArtifactNode | ModelNode, Field(discriminator="kind")]


class LineageEdge(View):
    source: str
    target: str
    kind: Literal["produced", "used", "registered"]


class LineageGraph(View):
    root: str
    direction: Literal["upstream", "downstream", "both"]
    hops: int
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    truncated: bool
