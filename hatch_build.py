"""Build the dashboard into the package when it is missing, so `pip install .` gives a working UI.

A wheel built with `python -m build` carries `src/trailmark/web_dist`, so end users need no Node.
Without Node (or without the `web/` sources, as in an sdist-less install) the build goes on and
the server shows a page explaining how to build the UI.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class DashboardBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "dashboard"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        web = root / "web"
        dist = root / "src" / "trailmark" / "web_dist"
        if (dist / "index.html").is_file() or not (web / "package.json").is_file():
            return
        npm = shutil.which("npm")
        if npm is None:
            self.app.display_warning("npm not found: building Trailmark without its dashboard")
            return
        self.app.display_info("building the Trailmark dashboard (npm ci && npm run build)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=web, check=True)
        subprocess.run([npm, "run", "build"], cwd=web, check=True)
