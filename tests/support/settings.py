"""The smallest valid test configuration, shared by every fixture that builds one."""

from __future__ import annotations

from pathlib import Path

from gatepost.settings import Settings

__all__ = ["test_settings"]


def test_settings(data_dir: Path, db_url: str, *, allowed_hosts: list[str]) -> Settings:
    """Test mode, the given database, the OWASP-minimum argon2 cost for speed, and no
    notifier (webhooks to private addresses allowed)."""
    return Settings(
        env="test",
        data_dir=data_dir,
        db={"url": db_url},
        security={"argon2_memory_kib": 19_456, "argon2_time_cost": 2},
        server={"allowed_hosts": allowed_hosts},
        # The notifier runs where a test starts one (tests/integration/test_webhooks.py);
        # receivers in tests listen on 127.0.0.1.
        webhooks={"enabled": False, "allow_private_targets": True},
    )


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
