"""The browser tests' accessibility check: axe-core run in the page, from disk.

axe-core is installed at build time from npm, pinned exactly by
``tests/e2e/axe/package-lock.json`` (``make axe``, which ``make test`` runs before
pytest), and read here from ``tests/e2e/axe/node_modules/axe-core/axe.min.js``: nothing
fetches it while the tests run. It is injected with Playwright's ``page.evaluate``,
which runs over the DevTools protocol and is not subject to the page's Content Security
Policy, so the strict CSP stays as it is.

:func:`assert_accessible` fails on any violation whose impact is ``serious`` or
``critical`` and names each one: rule id, impact, what the rule asks, where to read
more, and the CSS selectors of the offending nodes with a sample of their HTML. Lesser
impacts (``minor``, ``moderate``) are returned, not failed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from playwright.sync_api import Page

from tests.support.services import REPO_ROOT, missing

__all__ = [
    "AXE_DIR",
    "AXE_SCRIPT",
    "AXE_VERSION",
    "FAILING_IMPACTS",
    "Violation",
    "assert_accessible",
    "axe_source",
    "axe_violations",
    "report",
]

AXE_DIR = REPO_ROOT / "tests" / "e2e" / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
#: The version ``package.json`` pins (checked against the installed package).
AXE_VERSION: str = json.loads((AXE_DIR / "package.json").read_text())["dependencies"]["axe-core"]
#: The impacts that fail a page.
FAILING_IMPACTS = frozenset({"serious", "critical"})

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact || "",
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.map(String).join(" "), html: n.html})),
  }));
}"""


@dataclass(frozen=True)
class Violation:
    """One axe rule that a page breaks, and where."""

    rule: str
    impact: str
    help: str
    help_url: str
    targets: tuple[tuple[str, str], ...]  # (CSS selector, a sample of the node's HTML)

    @property
    def fails(self) -> bool:
        return self.impact in FAILING_IMPACTS


@cache
def _source() -> str:
    installed = json.loads((AXE_SCRIPT.parent / "package.json").read_text())["version"]
    assert installed == AXE_VERSION, (
        f"axe-core {installed} is installed, package.json pins {AXE_VERSION}: run `make axe`"
    )
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_source() -> str:
    """axe-core's script, read from disk (skips, or fails under CI, when not installed)."""
    if not AXE_SCRIPT.is_file():
        missing(f"axe-core at {AXE_SCRIPT.relative_to(REPO_ROOT)} (run `make axe`)")
    return _source()


def axe_violations(page: Page) -> list[Violation]:
    """Every axe violation of the page as it is now (axe injected once per document)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found: list[dict[str, Any]] = page.evaluate(_RUN)
    return [
        Violation(
            rule=item["id"],
            impact=item["impact"],
            help=item["help"],
            help_url=item["helpUrl"],
            targets=tuple((node["target"], node["html"][:160]) for node in item["nodes"]),
        )
        for item in found
    ]


def report(where: str, violations: list[Violation]) -> str:
    """A readable account of ``violations`` on ``where`` (one rule per paragraph)."""
    lines = []
    for v in violations:
        lines.append(f"{where}: [{v.impact}] {v.rule}: {v.help} ({v.help_url})")
        lines.extend(f"    {target}    {html}" for target, html in v.targets[:8])
        if len(v.targets) > 8:
            lines.append(f"    ... and {len(v.targets) - 8} more")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str | None = None) -> list[Violation]:
    """Fail on any serious or critical axe violation of ``page``; returns the lesser ones."""
    violations = axe_violations(page)
    failing = [v for v in violations if v.fails]
    assert not failing, "axe-core found serious or critical violations:\n" + report(
        where or page.url, failing
    )
    return violations
