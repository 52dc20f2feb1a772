"""Audit the installed Python packages for known vulnerabilities (`make security-scan`).

    python scripts/dependency_audit.py [--osv-db PATH] [--osv-url URL]

With an OSV database (``--osv-db`` or ``GATEPOST_OSV_DB``: an OSV JSON file, a
directory of them, or a zip of them such as OSV's ``PyPI/all.zip`` dump) every package
installed in this interpreter's environment is matched against the PyPI advisories in
it, offline. Without one, pip-audit asks a vulnerability service (PyPI's, or the OSV
API at ``--osv-url``); where no service answers (this build machine reaches PyPI's
package index only) nothing is audited, and the script says "skipped" instead of
reporting success.

Exit status: 0 when no known vulnerability was found or the audit was skipped
(the output says which), 1 when a vulnerability was found, 2 when the audit could not
run (a missing or empty OSV database, pip-audit failing for another reason).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

SKIPPED = "skipped: no vulnerability database reachable"
_UNREACHABLE = re.compile(
    r"ConnectionError|NewConnectionError|NameResolutionError|Max retries exceeded"
    r"|ConnectTimeout|ReadTimeout|timed out|Temporary failure in name resolution"
)


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    fixed: str


def say(text: str) -> None:
    """One report line on stdout (this script's whole output)."""
    sys.stdout.write(text + "\n")


def normalise(name: str) -> str:
    """A package name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed() -> dict[str, str]:
    """Name (normalised) to version of every distribution in this environment."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[normalise(name)] = dist.version
    return found


# -- offline: an OSV database -------------------------------------------------------


def _records_in(blob: bytes, origin: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(blob)
    except ValueError as exc:
        raise SystemExit(f"error: {origin} is not JSON: {exc}") from exc
    items = data if isinstance(data, list) else [data]
    return [item for item in items if isinstance(item, dict)]


def osv_records(path: Path) -> Iterator[dict[str, Any]]:
    """The OSV records in a JSON file, a directory of them (recursively) or a zip."""
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            yield from _records_in(file.read_bytes(), str(file))
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in sorted(archive.namelist()):
                if name.endswith(".json"):
                    yield from _records_in(archive.read(name), f"{path}:{name}")
    else:
        yield from _records_in(path.read_bytes(), str(path))


def _version(raw: object) -> Version | None:
    try:
        return Version(str(raw))
    except InvalidVersion:
        return None


def _in_range(version: Version, events: list[dict[str, Any]]) -> tuple[bool, str]:
    """Whether ``version`` falls in an OSV ECOSYSTEM range; and the fix, when named."""
    affected, fixed_in = False, ""
    for event in events:  # OSV orders a range's events; each opens or closes it
        if "introduced" in event:
            start = event["introduced"]
            lower = _version(start)
            if start == "0" or (lower is not None and version >= lower):
                affected = True
        elif "fixed" in event:
            upper = _version(event["fixed"])
            if upper is not None and version >= upper:
                affected = False
            elif affected and not fixed_in:
                fixed_in = str(event["fixed"])
        elif "last_affected" in event:
            last = _version(event["last_affected"])
            if last is not None and version > last:
                affected = False
        elif "limit" in event:
            limit = _version(event["limit"])
            if limit is not None and version >= limit:
                affected = False
    return affected, fixed_in if affected else ""


def affects(record: dict[str, Any], name: str, raw_version: str) -> tuple[bool, str]:
    """Whether OSV ``record`` affects PyPI package ``name`` at ``raw_version``."""
    if record.get("withdrawn"):
        return False, ""
    version = _version(raw_version)
    for entry in record.get("affected") or []:
        package = entry.get("package") or {}
        if package.get("ecosystem") != "PyPI" or normalise(str(package.get("name"))) != name:
            continue
        listed = [str(v) for v in entry.get("versions") or []]
        if raw_version in listed or (
            version is not None and any(_version(v) == version for v in listed)
        ):
            return True, ""
        if version is None:
            continue
        for span in entry.get("ranges") or []:
            if span.get("type") in ("ECOSYSTEM", "SEMVER"):
                hit, fixed = _in_range(version, list(span.get("events") or []))
                if hit:
                    return True, fixed
    return False, ""


def audit_osv(path: Path, packages: dict[str, str]) -> int:
    if not path.exists():
        say(f"error: GATEPOST_OSV_DB={path} does not exist; nothing was audited")
        return 2
    findings: list[Finding] = []
    pypi_records = 0
    for record in osv_records(path):
        names = {
            normalise(str((entry.get("package") or {}).get("name")))
            for entry in record.get("affected") or []
            if (entry.get("package") or {}).get("ecosystem") == "PyPI"
        }
        pypi_records += bool(names)
        for name in sorted(names & packages.keys()):
            hit, fixed = affects(record, name, packages[name])
            if hit:
                findings.append(Finding(name, packages[name], str(record.get("id")), fixed))
    if pypi_records == 0:
        say(f"error: {path} holds no PyPI advisories; nothing was audited")
        return 2
    say(
        f"dependency audit: {len(packages)} installed packages checked against "
        f"{pypi_records} PyPI advisories in {path}"
    )
    for finding in findings:
        fix = f" (fixed in {finding.fixed})" if finding.fixed else ""
        say(f"VULNERABLE {finding.package} {finding.version}: {finding.advisory}{fix}")
    if findings:
        say(f"{len(findings)} known vulnerabilities found")
        return 1
    say("no known vulnerabilities found")
    return 0


# -- online: pip-audit ------------------------------------------------------------------


def summarise_pip_audit(report: dict[str, Any]) -> tuple[int, list[str]]:
    """Exit status and lines for pip-audit's JSON report: success only for packages
    that were actually audited."""
    dependencies = [d for d in report.get("dependencies") or [] if isinstance(d, dict)]
    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = [d for d in dependencies if "skip_reason" in d]
    lines: list[str] = []
    found = [(d, v) for d in audited for v in d.get("vulns") or []]
    for dependency, vuln in found:
        fixes = ", ".join(vuln.get("fix_versions") or [])
        lines.append(
            f"VULNERABLE {dependency.get('name')} {dependency.get('version')}: "
            f"{vuln.get('id')}" + (f" (fixed in {fixes})" if fixes else "")
        )
    if found:
        lines.append(f"{len(found)} known vulnerabilities found")
        return 1, lines
    if not audited:
        lines.append(
            f"{SKIPPED} (pip-audit could not audit any of {len(dependencies)} packages); "
            "NOTHING WAS AUDITED. Set GATEPOST_OSV_DB to an OSV dump to audit offline."
        )
        return 0, lines
    if skipped:
        names = ", ".join(sorted(str(d.get("name")) for d in skipped))
        lines.append(f"not audited ({len(skipped)} packages): {names}")
    lines.append(f"no known vulnerabilities found in {len(audited)} audited packages")
    return 0, lines


def audit_pip(osv_url: str | None) -> int:
    service = ["--vulnerability-service", "osv", "--osv-url", osv_url] if osv_url else []
    command = [
        str(Path(sys.executable).with_name("pip-audit")),
        "--progress-spinner",
        "off",
        "--skip-editable",
        "--format",
        "json",
        *(service or ["--vulnerability-service", "pypi"]),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    try:
        report = json.loads(done.stdout)
    except ValueError:
        if _UNREACHABLE.search(done.stderr):
            say(f"{SKIPPED} (pip-audit could not connect); NOTHING WAS AUDITED.")
            say("Set GATEPOST_OSV_DB to an OSV dump to audit offline.")
            return 0
        say(f"error: pip-audit failed (exit {done.returncode}); nothing was audited")
        say("\n".join(done.stderr.strip().splitlines()[-5:]))
        return 2
    status, lines = summarise_pip_audit(report if isinstance(report, dict) else {})
    say("\n".join(lines))
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--osv-db",
        type=Path,
        default=os.environ.get("GATEPOST_OSV_DB") or None,
        help="OSV JSON file, directory or zip to audit against offline (GATEPOST_OSV_DB).",
    )
    parser.add_argument("--osv-url", help="Ask the OSV API at this URL instead of PyPI.")
    args = parser.parse_args(argv)
    if args.osv_db is not None:
        return audit_osv(Path(args.osv_db), installed())
    return audit_pip(args.osv_url)


if __name__ == "__main__":
    sys.exit(main())
