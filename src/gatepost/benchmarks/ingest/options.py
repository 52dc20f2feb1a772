"""What ``gatepost bench ingest`` runs, the targets it checks, and what it reports.

Owns the option record the CLI fills in (:class:`IngestOptions`), the engine and client
names, the targets from the issue, and the plain result types every other module of
the benchmark produces or prints. No I/O here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gatepost.services.events import MAX_BATCH

__all__ = [
    "CLIENTS",
    "DEFAULT_POSTGRES_URL",
    "ENGINES",
    "TARGET_EVENTS_PER_S",
    "TARGET_P99_MS",
    "TARGET_RATIO",
    "EngineReport",
    "IngestOptions",
    "LatencyResult",
    "ThroughputResult",
]

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ENGINES = ("sqlite", "postgres")
CLIENTS = ("stream", "httpx")

TARGET_EVENTS_PER_S = 20_000.0
TARGET_RATIO = 0.5
TARGET_P99_MS = 20.0


@dataclass(frozen=True)
class IngestOptions:
    """What to run; the CLI (``gatepost bench ingest``) fills this in."""

    engines: tuple[str, ...] = ENGINES
    events: int = 50_000
    batch: int = 500
    single_events: int = 2_000
    seconds: float = 10.0
    rate: float = 100.0
    skip_api: bool = False
    client: str = "stream"
    postgres_url: str = DEFAULT_POSTGRES_URL

    def __post_init__(self) -> None:
        if unknown := set(self.engines) - set(ENGINES):
            raise ValueError(f"unknown engine(s): {', '.join(sorted(unknown))}")
        if not 1 <= self.batch <= MAX_BATCH:
            raise ValueError(f"batch must be 1-{MAX_BATCH} (the service's limit)")
        if self.events < 1 or self.single_events < 0:
            raise ValueError("events must be positive")
        if self.seconds <= 0 or self.rate <= 0:
            raise ValueError("seconds and rate must be positive")
        if self.client not in CLIENTS:
            raise ValueError(f"client must be one of: {', '.join(CLIENTS)}")


@dataclass(frozen=True)
class ThroughputResult:
    mode: str
    events: int
    batch: int
    seconds: float
    cpu_seconds: float
    baseline: ThroughputResult | None = None
    targeted: bool = False

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else math.inf

    @property
    def ratio(self) -> float | None:
        return None if self.baseline is None else self.rate / self.baseline.rate

    @property
    def passed(self) -> bool | None:
        """The target check; None for rows that carry no target (the baselines)."""
        if not self.targeted or self.ratio is None:
            return None
        return self.rate >= TARGET_EVENTS_PER_S and self.ratio >= TARGET_RATIO


@dataclass(frozen=True)
class LatencyResult:
    mode: str
    latencies_ms: list[float]
    errors: int
    achieved_rate: float
    max_lag_ms: float
    targeted: bool = False
    first_error: str = ""

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the successful requests' latencies."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1]

    @property
    def passed(self) -> bool | None:
        if not self.targeted:
            return None
        return self.errors == 0 and self.percentile(99) <= TARGET_P99_MS


@dataclass
class EngineReport:
    engine: str
    throughput: list[ThroughputResult] = field(default_factory=list)
    latency: list[LatencyResult] = field(default_factory=list)
    skipped: str = ""

    @property
    def failed(self) -> bool:
        checks = [r.passed for r in self.throughput] + [r.passed for r in self.latency]
        return any(check is False for check in checks)
