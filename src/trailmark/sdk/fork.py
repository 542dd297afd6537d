"""``init(fork_from="RUN_ID?step=500")``: a new run that shares its parent's history up to a step.

The SDK only names the parent and the step in the ``run`` record; the store copies the
parent's series up to that step when it creates the new run, and notes the parent in the
new run's ``metadata.fork`` so a dashboard can draw it as a continuation.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

from trailmark.errors import InvalidInput
from trailmark.validation import check_project_name, check_run_id

FORMAT_HELP = "give it as 'RUN_ID?step=N' (or 'PROJECT/RUN_ID?step=N')"


@dataclass(frozen=True)
class ForkPoint:
    run_id: str
    step: int
    project: str | None = None

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"run": self.run_id, "step": self.step}
        if self.project is not None:
            found["project"] = self.project
        return found


def parse_fork_from(text: str) -> ForkPoint:
    """``"abc123?step=500"`` → ``ForkPoint("abc123", 500)``; ``_step=`` is accepted too."""
    if not isinstance(text, str) or "?" not in text:
        raise InvalidInput(f"fork_from needs the run and the step: {FORMAT_HELP}, got {text!r}")
    path, _, query = text.partition("?")
    params = urllib.parse.parse_qs(query, keep_blank_values=True)
    values = params.get("step") or params.get("_step")
    if not values or len(values) != 1:
        raise InvalidInput(f"fork_from needs one step: {FORMAT_HELP}, got {text!r}")
    try:
        step = int(values[0])
    except ValueError:
        raise InvalidInput(
            f"fork_from's step must be an integer, got {values[0]!r} in {text!r}"
        ) from None
    if step < 0:
        raise InvalidInput(f"fork_from's step must be 0 or more, got {step}")
    project, _, run_id = path.rpartition("/")
    return ForkPoint(check_run_id(run_id), step, check_project_name(project) if project else None)
