"""`make security-scan`'s dependency audit (scripts/dependency_audit.py): it audits
against a local OSV database when given one, and says "skipped" rather than "no known
vulnerabilities" when no vulnerability database answers (SECURITY.md 35)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "dependency_audit.py"
INSTALLED = "packaging"  # pip-audit's own dependency: always in the test environment
VERSION = metadata.version(INSTALLED)


def _run(*args: str, osv_db: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GATEPOST_OSV_DB"}
    if osv_db is not None:
        env["GATEPOST_OSV_DB"] = str(osv_db)
    return subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dependency_audit", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look themselves up there
    spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules[spec.name]


def _record(advisory: str, affected: dict[str, Any]) -> dict[str, Any]:
    package = {"ecosystem": "PyPI", "name": INSTALLED.upper()}  # names compare normalised
    return {"id": advisory, "affected": [{"package": package, **affected}]}


def _osv_dir(tmp_path: Path, *records: dict[str, Any]) -> Path:
    folder = tmp_path / "osv"
    folder.mkdir()
    other = {"id": "OTHER-1", "affected": [{"package": {"ecosystem": "npm", "name": INSTALLED}}]}
    for record in (*records, other):
        (folder / f"{record['id']}.json").write_text(json.dumps(record))
    return folder


def test_skipped_not_passed_when_no_vulnerability_database_answers() -> None:
    result = _run("--osv-url", "http://127.0.0.1:1/v1/query")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped: no vulnerability database reachable" in result.stdout
    assert "NOTHING WAS AUDITED" in result.stdout
    assert "no known vulnerabilities" not in result.stdout.lower()


def test_pip_audit_report_with_every_package_skipped_is_no_success() -> None:
    report = {
        "dependencies": [
            {"name": "alembic", "skip_reason": "Dependency not found on PyPI"},
            {"name": "anyio", "skip_reason": "Dependency not found on PyPI"},
        ]
    }
    status, lines = _script().summarise_pip_audit(report)
    assert status == 0
    assert any("skipped: no vulnerability database reachable" in line for line in lines)
    assert not any("no known vulnerabilities" in line for line in lines)


def test_pip_audit_report_with_a_vulnerability_fails() -> None:
    report = {
        "dependencies": [
            {"name": "alembic", "version": "1.0", "vulns": []},
            {
                "name": "anyio",
                "version": "4.0",
                "vulns": [{"id": "PYSEC-1", "fix_versions": ["4.1"]}],
            },
        ]
    }
    status, lines = _script().summarise_pip_audit(report)
    assert status == 1
    assert "VULNERABLE anyio 4.0: PYSEC-1 (fixed in 4.1)" in lines


@pytest.mark.parametrize(
    "affected",
    [
        {"versions": [VERSION]},
        {
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "0"}, {"fixed": VERSION + ".post1"}],
                }
            ]
        },
        {
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"last_affected": VERSION}]}
            ]
        },
    ],
    ids=["listed-version", "range-before-fix", "range-to-last-affected"],
)
def test_osv_database_naming_an_installed_version_fails_the_scan(
    tmp_path: Path, affected: dict[str, Any]
) -> None:
    result = _run(osv_db=_osv_dir(tmp_path, _record("GHSA-test-0001", affected)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"VULNERABLE packaging {VERSION}: GHSA-test-0001" in result.stdout
    assert "no known vulnerabilities" not in result.stdout


def test_osv_zip_dump_is_read(tmp_path: Path) -> None:
    dump = tmp_path / "all.zip"
    with zipfile.ZipFile(dump, "w") as archive:
        record = _record("PYSEC-test-2", {"versions": [VERSION]})
        archive.writestr("PYSEC-test-2.json", json.dumps(record))
    result = _run(osv_db=dump)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "PYSEC-test-2" in result.stdout


def test_osv_database_with_only_fixed_versions_passes_and_says_what_it_checked(
    tmp_path: Path,
) -> None:
    fixed = {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.1"}]}]}
    result = _run(osv_db=_osv_dir(tmp_path, _record("GHSA-test-old", fixed)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checked against 1 PyPI advisories" in result.stdout
    assert "no known vulnerabilities found" in result.stdout


def test_missing_or_empty_osv_database_is_an_error_not_a_pass(tmp_path: Path) -> None:
    missing = _run(osv_db=tmp_path / "nowhere")
    assert missing.returncode == 2 and "nothing was audited" in missing.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _run(osv_db=empty)
    assert result.returncode == 2 and "nothing was audited" in result.stdout
    assert "no known vulnerabilities" not in result.stdout
