"""The demo's closing report: people, events, the check table, the audit log, and a scan
of the data directory's raw bytes for any plain name, plate or card number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["report"]


def report(
    console: Console,
    people: list[Any],
    devices: list[Any],
    events: list[Any],
    first: list[Any],
    retry: list[Any],
    revealed: Any,
    audit: list[Any],
    verify: Any,
    data_dir: Path,
    *,
    checks: dict[str, tuple[int | str, int | str]],
    extra_names: list[str],
) -> bool:
    """Print what the demo saw and the check table; whether every check passed, no plain
    name, plate or card number is in the data directory, and the audit chain is intact."""
    table = Table(title="People (as the API shows them: identity numbers masked)")
    for column in ("name", "kind", "identity number", "phone"):
        table.add_column(column)
    for p in people:
        table.add_row(p["name"], p["kind"], p["identity_masked"], p["phone_masked"])
    console.print(table)
    console.print(f"Revealed with a reason (audited): {revealed['identity_number']}\n")
    names = {d["id"]: d["name"] for d in devices}
    who = {p["id"]: p["name"] for p in people}
    table = Table(title="Events (newest first, read by the guard)")
    for column in ("time (UTC)", "device", "event", "person", "data"):
        table.add_column(column)
    for e in events:
        table.add_row(
            e["occurred_at"][11:19],
            names.get(e["device_id"], "?"),
            e["kind"],
            who.get(e["person_id"] or "", "—"),
            ", ".join(f"{k}={v}" for k, v in e["data"].items()),
        )
    console.print(table)
    stored = sum(r["stored"] for r in first)
    duplicates = sum(not r["stored"] for r in retry)
    console.print(
        f"Idempotency: first delivery stored {stored}; redelivery of the same "
        f"{len(retry)} events stored 0 ({duplicates} recognised as duplicates).\n"
    )
    table = Table(title="Checks performed over HTTP and MQTT")
    for column in ("check", "status", "expected", ""):
        table.add_column(column)
    for name, (got, want) in checks.items():
        table.add_row(name, str(got), str(want), "[green]ok[/]" if got == want else "[red]FAIL[/]")
    console.print(table)
    table = Table(title="Audit log (latest entries)")
    for column in ("#", "actor", "action", "purpose", "outcome"):
        table.add_column(column)
    for entry in audit:
        table.add_row(
            str(entry["seq"]),
            entry["actor"][:20],
            entry["action"],
            entry["purpose"],
            entry["outcome"],
        )
    console.print(table)
    console.print(
        f"Audit chain: {verify['entries']} entries, "
        f"{'[green]intact[/]' if verify['intact'] else '[red]BROKEN[/]'}"
    )
    raw = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    leaked = [n for n in [p["name"] for p in people] + extra_names if n.encode() in raw]
    console.print(
        f"Plain names, plates or card numbers found in the data directory's raw bytes: "
        f"{'[red]' + ', '.join(leaked) + '[/]' if leaked else '[green]none[/]'}"
    )
    failed = [name for name, (got, want) in checks.items() if got != want]
    return not failed and not leaked and bool(verify["intact"])
