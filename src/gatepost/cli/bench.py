"""`gatepost bench <name>`: benchmarks that compare against a baseline in the same run.

The benchmark code lives in :mod:`gatepost.benchmarks` (shipped with the package, so
the command works from any install, not only from a source checkout) and is imported
only when a benchmark runs. ``python -m bench <name>`` in a checkout runs the same app.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gatepost.cli.context import fail

__all__ = ["app"]

app = typer.Typer(
    help="Benchmarks (numbers, not tests).", no_args_is_help=True, add_completion=False
)


@app.callback()
def bench() -> None:
    """Benchmarks (numbers, not tests), each against a baseline in the same run."""


# Same as gatepost.benchmarks.ingest.DEFAULT_POSTGRES_URL, repeated so --help stays light.
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class ClientChoice(StrEnum):
    STREAM = "stream"
    HTTPX = "httpx"


class EngineChoice(StrEnum):
    SQLITE = "sqlite"
    POSTGRES = "postgres"
    ALL = "all"


@app.command("ingest")
def ingest(
    engine: Annotated[
        EngineChoice, typer.Option(help="Which database engine(s) to measure.")
    ] = EngineChoice.ALL,
    events: Annotated[
        int, typer.Option(min=1, help="Events per batched run (service and baseline each).")
    ] = 50_000,
    batch: Annotated[
        int, typer.Option(min=1, max=1000, help="Events per ingest call / transaction.")
    ] = 500,
    single_events: Annotated[
        int, typer.Option(min=0, help="Events for the single-row runs (0 skips them).")
    ] = 2_000,
    seconds: Annotated[
        float, typer.Option(min=0.1, help="Duration of each API latency run.")
    ] = 10.0,
    rate: Annotated[
        float, typer.Option(min=0.1, help="API requests per second (open loop).")
    ] = 100.0,
    skip_api: Annotated[
        bool, typer.Option("--skip-api", help="Skip the HTTP latency runs.")
    ] = False,
    client: Annotated[
        ClientChoice,
        typer.Option(
            help="Load generator: a lean asyncio HTTP/1.1 client (stream), or httpx "
            "(adds its own ~3 ms per request to every latency on a small machine)."
        ),
    ] = ClientChoice.STREAM,
    postgres_url: Annotated[
        str,
        typer.Option(
            help="Administrative PostgreSQL URL; the benchmark creates and drops a "
            "database gatepost_bench_<pid> there (skipped if unreachable)."
        ),
    ] = DEFAULT_POSTGRES_URL,
    check: Annotated[
        bool, typer.Option("--check", help="Exit with status 1 if a target is missed.")
    ] = False,
) -> None:
    """Event ingestion throughput and device API latency, against baselines.

    Each engine gets a throw-away instance (SQLite: temporary data directory;
    PostgreSQL: temporary database), set up through the services. Then:

    [bold]1.[/] raw DBAPI executemany of the same rows, same table (baseline)
    [bold]2.[/] EventService.ingest, --batch events per call
    [bold]3.[/] both again with one event per transaction (--single-events)
    [bold]4.[/] the real app under uvicorn on 127.0.0.1, open loop at --rate
    requests/s for --seconds: GET /health (framework overhead), then
    single-event POST /api/v1/device/events; p50/p95/p99/max latency
    counted from each request's scheduled send time

    Targets: batched >= 20,000 events/s and >= 0.5x the baseline;
    API p99 <= 20 ms at 100 requests/s. Loopback only; all removed after.
    """
    from gatepost.benchmarks.ingest import ENGINES, IngestOptions, run

    options = IngestOptions(
        engines=ENGINES if engine is EngineChoice.ALL else (engine.value,),
        events=events,
        batch=batch,
        single_events=single_events,
        seconds=seconds,
        rate=rate,
        skip_api=skip_api,
        client=client.value,
        postgres_url=postgres_url,
    )
    reports = run(options)
    if check and any(report.failed for report in reports):
        raise typer.Exit(1)


@app.command("faces")
def faces(
    data: Annotated[
        Path,
        typer.Option(
            help="Photo folder with a manifest.csv (columns file, identity; identity "
            "'multiple': a group photo, skipped). Relative to the current directory."
        ),
    ] = Path("../shared/data/faces"),
    repeat: Annotated[
        int,
        typer.Option(min=1, help="Rounds over all frames; enrolment makes half as many passes."),
    ] = 5,
    dlib_descriptor: Annotated[
        bool,
        typer.Option(
            "--dlib-descriptor/--no-dlib-descriptor",
            help="Also time gatepost with dlib's own descriptor (the reference, slow).",
        ),
    ] = True,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Enrolment threads sharing one engine.")
    ] = 2,
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=2.0,
            help="Verification threshold. Default: the model's own threshold.",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit with status 1 if a target is missed.")
    ] = False,
) -> None:
    """Face identification cost on one core and enrolment throughput, against a baseline.

    Every single-person photo of --data, letterboxed to a 640x480 frame, is identified
    (detect, then embed the largest face) --repeat times by:

    [bold]1.[/] face_recognition.face_locations + face_encodings, defaults (baseline)
    [bold]2.[/] gatepost's DlibFaceEngine with the onnxruntime descriptor
    [bold]3.[/] the same with dlib's own descriptor (--dlib-descriptor)

    all on one core (one onnxruntime and OpenCV thread): p50/p90/p99 wall time and
    thread CPU time per frame, faces found, and the speed-up over the baseline. Then
    verification on the same frames (every genuine and impostor pair: distance
    ranges, errors at the threshold, largest distance difference from the baseline)
    and enrolment throughput (detect + quality + embed of the full-size photos on
    --workers threads). Target: enrolment >= 8 photos/s on 2 cores.
    """
    from gatepost.benchmarks.faces import BenchSetupError, FacesOptions, run

    options = FacesOptions(
        data=data,
        repeat=repeat,
        dlib_descriptor=dlib_descriptor,
        workers=workers,
        threshold=threshold,
    )
    try:
        report = run(options)
    except BenchSetupError as exc:
        raise fail(str(exc), code=2) from None
    if check and report.failed:
        raise typer.Exit(1)


class GalleryChoice(StrEnum):
    CLUSTERED = "clustered"
    UNIFORM = "uniform"
    ALL = "all"


@app.command("search")
def search(
    size: Annotated[int, typer.Option(min=1_000, help="Templates in the gallery.")] = 1_000_000,
    gallery: Annotated[
        GalleryChoice,
        typer.Option(help="Real-embedding-like clusters, uniform unit vectors, or both."),
    ] = GalleryChoice.ALL,
    per_person: Annotated[int, typer.Option(min=1, max=10, help="Templates per person.")] = 2,
    queries: Annotated[int, typer.Option(min=10, help="Probes, one at a time.")] = 1000,
    probes: Annotated[
        int, typer.Option(min=1, help="FAISS inverted lists visited per query (nprobe).")
    ] = 64,
) -> None:
    """1:N face search at gallery scale, against exact NumPy search.

    Builds a production FaceGallery (FAISS inverted-file index, exact re-ranking, best
    template per person) of --size 128-d templates, then answers --queries probes one
    at a time on one core, timing exact NumPy search over the same matrix alongside.
    Prints build time, memory, recall@1 (same best person as exact search), p50/p99
    of both and the speed-up. Targets (issue 3): recall@1 >= 0.99, p99 <= 2 ms,
    >= 20x faster than exact. 1,000,000 templates need about 2 GB and a few minutes.
    """
    from gatepost.benchmarks.search import DATASETS, SearchOptions, run

    chosen = DATASETS if gallery is GalleryChoice.ALL else (gallery.value,)
    run(
        SearchOptions(
            size=size, per_person=per_person, queries=queries, datasets=chosen, probes=probes
        )
    )


@app.command("plates")
def plates(
    data: Annotated[
        Path,
        typer.Option(
            help="Folder with cn/ and br/ sub-folders of labelled photos (manifest.csv: "
            "file, plate), the reader's development sets. Relative to the current directory."
        ),
    ] = Path("../shared/data/plates"),
    synthetic: Annotated[
        int, typer.Option(min=0, help="Held-out synthetic frames of every Chinese kind (0 skips).")
    ] = 120,
    latin: Annotated[
        int,
        typer.Option(min=0, help="Synthetic Latin frames, every format in turn (0 skips)."),
    ] = 144,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic sets.")] = 9_999,
    labelled_sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="NAME=FOLDER",
            help="Another labelled folder (manifest.csv: file, plate, optional region; "
            "without a region every region's grammars). Repeatable. A name like eu, us or "
            "eu-heldout takes that region's target.",
        ),
    ] = None,
    misses: Annotated[
        bool, typer.Option("--misses", help="Print each set's misses: label and both reads.")
    ] = False,
) -> None:
    """Exact plate accuracy, frames with no plate and time per frame, against full-frame OCR.

    Every frame is first fitted into 1280x720 (never upscaled). Sets: the development
    photos of --data (cn, br; marked "(dev)"), the repository's real Latin frames
    (bench/data/plates/latin, "(dev)"), a held-out synthetic set of every
    Chinese plate kind, a synthetic Latin set (Europe, US states, Brazil, two-row
    plates; read with every region's grammars, with a table per region and format)
    and each --set. Per set: RapidOCR over the whole frame picking the best line that
    fits the grammars (baseline), then gatepost's plate reader, both on one thread.
    Prints exact and O=0 accuracy, no-plate frames, p50/p90 ms and the speed-up.
    Targets (issue 11): cn >= 95%, eu >= 90%, us >= 85%, br >= 90%, synthetic-cn >= 99%,
    at least the baseline on every set, p50 <= 150 ms.
    """
    from gatepost.benchmarks.plate_sets import labelled_folder
    from gatepost.benchmarks.plates import PlatesOptions, run

    extra = []
    for value in labelled_sets or ():
        try:
            extra.append(labelled_folder(value))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--set'") from None
    names = [name for name, _ in extra]
    if len(set(names)) < len(names):
        raise typer.BadParameter("each --set needs its own NAME", param_hint="'--set'")
    run(
        PlatesOptions(
            data=data,
            synthetic=synthetic,
            latin=latin,
            seed=seed,
            extra=tuple(extra),
            misses=misses,
        )
    )


class TransportChoice(StrEnum):
    MQTT = "mqtt"
    HTTPS = "https"
    BOTH = "both"


@app.command("access")
def access(
    transport: Annotated[
        TransportChoice, typer.Option(help="Arrivals over MQTT, HTTPS, or both in turn.")
    ] = TransportChoice.MQTT,
    rate: Annotated[
        float, typer.Option(min=1, help="Card arrivals per second (open loop).")
    ] = 500.0,
    seconds: Annotated[float, typer.Option(min=0.5, help="Length of each fixed-rate run.")] = 60.0,
    persons: Annotated[int, typer.Option(min=1, help="Persons, each with a card.")] = 200,
    devices: Annotated[int, typer.Option(min=1, max=500, help="Simulated devices.")] = 20,
    workers: Annotated[
        int, typer.Option(min=1, max=8, help="gatepost processes sharing the MQTT subscription.")
    ] = 1,
    db: Annotated[
        str,
        typer.Option(
            help="'sqlite', or an administrative PostgreSQL URL (a database "
            "gatepost_bench_access_<pid> is created and dropped there)."
        ),
    ] = "sqlite",
    broker: Annotated[
        str,
        typer.Option(
            help="'own': start scripts/mosquitto.sh on a free port; 'running': the broker "
            "GATEPOST_MQTT_DIR / GATEPOST_TEST_MQTT_PORT name (its accounts are rewritten)."
        ),
    ] = "own",
    find_max: Annotated[
        bool,
        typer.Option(
            "--find-max",
            help="Then sweep rising rates (--sweep-seconds each) until "
            "p99 > 15 ms or an arrival is lost.",
        ),
    ] = False,
    sweep_seconds: Annotated[
        float, typer.Option(min=0.5, help="Length of each sweep step.")
    ] = 10.0,
    frame_rate: Annotated[
        float, typer.Option(min=0, help="Face and plate frames per second over MQTT (0: none).")
    ] = 10.0,
    frame_seconds: Annotated[float, typer.Option(min=0.5, help="Length of each frame run.")] = 10.0,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Last line: one JSON object: the first transport's transport, rate, seconds, "
            "sent, decided, lost, duplicated, p50_ms, p99_ms, max_ms, floor_p99_ms; every run "
            "(floor, each transport, sweep steps, face, plate) as such an object under 'runs'; "
            "'max_rate' per transport with --find-max.",
        ),
    ] = False,
) -> None:
    """Card arrival -> decision -> command received by the device, against the broker.

    A throw-away instance (own Mosquitto, SQLite or a temporary PostgreSQL database, a
    door, --persons carded persons, --devices devices bound to it), gatepost in
    --workers child processes (API and MQTT gateway). First the floor: a bare client's
    QoS 1 publish echoed back by another, at --rate. Then card arrivals at --rate for
    --seconds over each transport: p50/p99/max latency from the scheduled send, sent,
    decided (events stored), lost, duplicated, and p99 over the floor's p99. Then face
    and plate frames (fake engines, unknown people and cars) at --frame-rate.
    Target (issue 10): 500/s with p99 <= 15 ms, 0 lost, 0 duplicated.
    """
    from gatepost.benchmarks.access import AccessOptions, run

    if broker not in {"own", "running"}:
        raise fail("--broker is 'own' or 'running'", code=2)
    chosen = ("mqtt", "https") if transport is TransportChoice.BOTH else (transport.value,)
    try:
        run(
            AccessOptions(
                transports=chosen, rate=rate, seconds=seconds, persons=persons, devices=devices,
                workers=workers, db=db, own_broker=broker == "own", find_max=find_max,
                sweep_seconds=sweep_seconds, frame_rate=frame_rate, frame_seconds=frame_seconds,
                json=as_json,
            )
        )  # fmt: skip
    except (RuntimeError, ConnectionError) as exc:
        raise fail(str(exc), code=2) from None
