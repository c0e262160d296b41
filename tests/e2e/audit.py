"""Every page a person sees in the browser journey: a screenshot kept as an artefact, and an
accessibility check with axe-core (WCAG 2.1 A and AA rules) injected by Playwright."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
# Installed from the npm registry by `make test` (Makefile: AXE); never fetched at run time.
AXE = ROOT / "var" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = ROOT / "var" / "e2e"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


@dataclass
class Audit:
    """Screenshots and axe findings, page after page, for the end of the journey to judge."""

    directory: Path = ARTEFACTS
    pages: int = 0
    violations: list[str] = field(default_factory=list)
    findings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for old in self.directory.glob("*.png"):
            old.unlink()

    def check(self, page: Page, name: str) -> list[dict[str, Any]]:
        self.pages += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        page.screenshot(path=self.directory / f"{self.pages:02d}-{slug}.png", full_page=True)
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=AXE)
        found: list[dict[str, Any]] = page.evaluate(
            """async (tags) => {
                const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
                return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
            }""",
            WCAG_21_AA,
        )
        self.findings[f"{self.pages:02d}-{slug}"] = found
        # Every finding, minor ones too, beside the screenshots: the report to read.
        (self.directory / "axe.json").write_text(json.dumps(self.findings, indent=1))
        for v in found:
            if v["impact"] in BLOCKING:
                self.violations.append(
                    f"{name} ({page.url}): {v['impact']} {v['id']}: {v['help']} at {v['targets']}"
                )
        return found
