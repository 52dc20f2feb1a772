"""A green run means what it says: every skip goes through one rule (skip outside CI,
fail under CI), CI runs set that rule on, ``CI`` accepts the usual truthy values, and
the "nothing changed" row counter counts every table, and reader threads cannot fail
unseen."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from gatepost.store.tables import Base
from tests.support.rows import COUNTED, NOT_COUNTED
from tests.support.services import REPO_ROOT, in_ci, missing
from tests.support.threads import Readers

#: Ways to skip that bypass :func:`tests.support.services.missing`.
DIRECT_SKIP = re.compile(r"pytest\.skip\(|\bskipif\b|importorskip|mark\.skip\b")
RULE_HOME = REPO_ROOT / "tests" / "support" / "services.py"


@pytest.mark.parametrize("value", ["true", "TRUE", "True", "1", "yes", "YES", " yes "])
def test_ci_is_on_for_truthy_values(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci()


@pytest.mark.parametrize("value", ["", "false", "0", "no", "off", "maybe"])
def test_ci_is_off_otherwise(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert not in_ci()


def test_ci_is_off_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert not in_ci()


def test_missing_resource_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="the probe service"):
        missing("the probe service")


def test_missing_resource_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="the probe service"):
        missing("the probe service")


def test_every_skip_goes_through_the_one_rule() -> None:
    here = Path(__file__).resolve()
    direct = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in sorted((REPO_ROOT / "tests").rglob("*.py"))
        if path not in (RULE_HOME, here)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if DIRECT_SKIP.search(line)
    ]
    assert direct == [], "skip through tests.support.services.missing instead:\n" + "\n".join(
        direct
    )


def test_ci_entry_point_turns_skips_into_failures(tmp_path: Path) -> None:
    """``.ci/run`` exports a CI value the rule accepts for the checks it runs (``make``
    is replaced by a stand-in that prints what it was given)."""
    stand_in = tmp_path / "make"
    stand_in.write_text('#!/bin/sh\nprintf "CI=%s" "$CI"\n', encoding="utf-8")
    stand_in.chmod(0o755)
    shown = subprocess.run(  # noqa: S603 - our own CI script
        [str(REPO_ROOT / ".ci" / "run")],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
    )
    assert shown.stdout.startswith("CI=")
    assert shown.stdout.removeprefix("CI=").strip().lower() in {"true", "1", "yes"}


def test_every_table_is_counted_or_named() -> None:
    counted = {t.__tablename__ for t in COUNTED}
    every = {t.name for t in Base.metadata.sorted_tables}
    assert sorted(every - counted - set(NOT_COUNTED)) == [], "add the table to COUNTED"
    assert sorted((counted | set(NOT_COUNTED)) - every) == []
    assert counted.isdisjoint(NOT_COUNTED)


def test_an_exception_in_a_reader_thread_fails_the_test() -> None:
    calls: list[int] = []

    def step() -> None:
        calls.append(1)
        if len(calls) > 3:
            raise ValueError("reader broke")

    with pytest.raises(AssertionError, match="reader broke"), Readers(step, count=2):
        pass


def test_readers_run_while_the_block_runs() -> None:
    with Readers(lambda: None, count=3) as readers:
        assert min(readers.iterations) > 0, "entering waits until every reader has run"
    assert readers.errors == []
