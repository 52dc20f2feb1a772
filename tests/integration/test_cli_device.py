"""``gatepost device simulate`` against a real broker and a real gatepost child process.

The device's credentials file is exactly the answer the API gives when a device's
credential is issued (``DeviceIssued``); the server is the composition root under
uvicorn with the MQTT gateway step, on its own Mosquitto (scripts/mosquitto.sh on a free
port). A script of card, PIN and exit-button steps is answered over MQTT and over HTTPS
with a line per decision and acknowledgement; a bad credentials file exits 2 naming the
field; with the broker down the arrivals are kept and replayed when it comes up.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gatepost.api.schemas.resources import DeviceIssued, DevicePublic
from gatepost.benchmarks.access.instance import Broker, card_number, instance
from gatepost.cli import app
from gatepost.security.device_mqtt import encode_key
from gatepost.vision.fake_plates import fake_plate_image
from tests.support.children import ServerChild, broker_script, need_mosquitto
from tests.support.leaks import remember

pytestmark = pytest.mark.slow

SCRIPT = (
    "# a card of a person with access, an unknown PIN, the exit button\n"
    f"card {card_number(0)}\npin 4711\nexit\n"
)


@dataclass(frozen=True)
class Site:
    broker: Broker
    server: ServerChild
    credentials: Path
    script: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    need_mosquitto()
    tmp = tmp_path_factory.mktemp("cli-device")
    with instance(db="sqlite", own_broker=True, persons=2, devices=1) as built:
        # What POST /api/v1/devices/{id}/rotate-credential answers, saved as a file.
        issued = built.container.devices.rotate_credential(built.admin, built.devices[0].device_id)
        answer = DeviceIssued.model_validate(
            {
                **DevicePublic.model_validate(issued.device).model_dump(),
                "credential": issued.credential,
                "mqtt_username": issued.mqtt_username,
                "mqtt_password": issued.mqtt_password,
                "mqtt_mac_key": issued.mac_key,
            }
        )
        for secret in (issued.credential, issued.mqtt_password, issued.mac_key):
            remember(secret)
        credentials = tmp / "reader1.json"
        credentials.write_text(answer.model_dump_json(indent=2))
        script = tmp / "morning.txt"
        script.write_text(SCRIPT)
        server = ServerChild(built.settings, log=tmp / "server.log")
        server.start()
        try:
            yield Site(built.broker, server, credentials, script)
        finally:
            server.stop()


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def _decided(lines: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(line["arrival"], line["command"]) for line in lines if line["what"] == "decision"]


EXPECTED = [("card", "open"), ("pin", "deny"), ("exit_button", "open")]


def test_a_script_over_mqtt_prints_each_decision_and_ack(site: Site) -> None:
    broker = f"{site.broker.host}:{site.broker.port}"
    args = ["device", "simulate", "--credentials", str(site.credentials), "--broker", broker,
            "--script", str(site.script), "--json", "--resend-after", "1"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    assert _decided(lines) == EXPECTED
    decisions = [line for line in lines if line["what"] == "decision"]
    assert decisions[0]["action"] == "door opened" and decisions[0]["latency_ms"] > 0
    assert decisions[1]["display"]  # a denial says why on the device's display
    acks = [line for line in lines if line["what"] == "ack" and not line.get("duplicate")]
    assert [a["detail"] for a in acks] == ["done", "done", "done"]
    summary = lines[-1]
    assert summary["what"] == "summary" and summary["sent"] == summary["answered"] == 3
    assert summary["left"] == 0 and summary["refused"] == {}


def test_lines_from_stdin_print_plain_text_when_not_a_terminal(site: Site) -> None:
    broker = f"{site.broker.host}:{site.broker.port}"
    args = ["device", "simulate", "--credentials", str(site.credentials), "--broker", broker,
            "--role", "turnstile"]  # fmt: skip
    result = CliRunner().invoke(app, args, input=f"card {card_number(1)}\n\nexit\n")
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.stdout  # no terminal: no colours
    assert "decision     card key=" in result.stdout
    assert "-> open" in result.stdout and "turnstile unlocked for one passage" in result.stdout
    assert "summary      sent 2, answered 2" in result.stdout


def test_a_script_over_https_prints_each_decision(site: Site) -> None:
    args = ["device", "simulate", "--credentials", str(site.credentials), "--transport",
            "https", "--server", site.server.url, "--script", str(site.script), "--json",
            "--repeat", "2"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    assert _decided(lines) == EXPECTED * 2
    assert lines[-1]["sent"] == lines[-1]["answered"] == 6 and lines[-1]["left"] == 0


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("not json", "is not JSON"),
        ("[]", "one JSON object"),
        ('{"id": "nope"}', "id: missing or not a device id"),
        ('{"id": "' + "a" * 32 + '", "mqtt_username": "x"}', "mqtt_username: not"),
    ],
)
def test_a_bad_credentials_file_exits_2_naming_the_field(
    tmp_path: Path, content: str, named: str
) -> None:
    path = tmp_path / "device.json"
    path.write_text(content)
    result = CliRunner().invoke(app, ["device", "simulate", "--credentials", str(path)])
    assert result.exit_code == 2, result.output
    assert "--credentials" in result.output and named in result.output


def test_a_missing_mac_key_or_script_line_error_exits_2(site: Site, tmp_path: Path) -> None:
    answer = json.loads(site.credentials.read_text())
    del answer["mqtt_mac_key"]
    path = tmp_path / "device.json"
    path.write_text(json.dumps(answer))
    result = CliRunner().invoke(app, ["device", "simulate", "--credentials", str(path)])
    assert result.exit_code == 2 and "mqtt_mac_key: missing" in result.output
    script = tmp_path / "bad.txt"
    script.write_text("card 1234\nopen sesame\n")
    args = ["device", "simulate", "--credentials", str(site.credentials), "--script", str(script)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "line 2: unknown step 'open'" in result.output


def test_with_the_broker_down_arrivals_are_kept_and_replayed_when_it_comes_up(
    site: Site,
) -> None:
    broker = site.broker
    command = [sys.executable, "-m", "gatepost", "device", "simulate",
               "--credentials", str(site.credentials), "--broker",
               f"{broker.host}:{broker.port}", "--script", str(site.script), "--json",
               "--connect-timeout", "0.5", "--resend-after", "1", "--drain", "25"]  # fmt: skip
    broker_script("stop", broker.dir, broker.port, broker.gateway_username)
    lines: list[dict[str, Any]] = []
    try:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        # The device starts, finds no broker and keeps the script's three arrivals.
        while sum(line["what"] == "buffered" for line in lines) < 3:
            text = child.stdout.readline()
            assert text, child.communicate()
            lines.extend(_lines(text))
    finally:
        broker_script("start", broker.dir, broker.port, broker.gateway_username)
    out, err = child.communicate(timeout=40)
    assert child.returncode == 0, (out, err)
    lines.extend(_lines(out))
    assert [line["arrival"] for line in lines if line["what"] == "buffered"] == [
        "card",
        "pin",
        "exit_button",
    ]
    assert _decided(lines) == EXPECTED  # in order, after the broker came up
    first_connect = next(n for n, line in enumerate(lines) if line["what"] == "connected")
    first_decision = next(n for n, line in enumerate(lines) if line["what"] == "decision")
    assert first_connect < first_decision
    assert lines[-1]["buffered"] == 3 and lines[-1]["left"] == 0


def test_a_wrong_mac_key_is_refused_as_forged_and_not_resent_forever(
    site: Site, tmp_path: Path
) -> None:
    answer = json.loads(site.credentials.read_text())
    answer["mqtt_mac_key"] = encode_key(bytes(32))
    path = tmp_path / "device.json"
    path.write_text(json.dumps(answer))
    broker = f"{site.broker.host}:{site.broker.port}"
    args = ["device", "simulate", "--credentials", str(path), "--broker", broker, "--json"]
    result = CliRunner().invoke(app, args, input=f"card {card_number(0)}\n")
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    refused = [line for line in lines if line["what"] == "refused"]
    assert [(r["reason"], r["arrival"]) for r in refused] == [("forged", "card")]
    assert lines[-1]["refused"] == {"forged": 1} and lines[-1]["left"] == 0


def test_a_lane_camera_sends_a_plate_frame_over_mqtt(site: Site, tmp_path: Path) -> None:
    (tmp_path / "gate.png").write_bytes(fake_plate_image("京A12345"))
    script = tmp_path / "lane.txt"
    script.write_text("plate gate.png\n")
    broker = f"{site.broker.host}:{site.broker.port}"
    args = ["device", "simulate", "--credentials", str(site.credentials), "--broker", broker,
            "--role", "lane", "--script", str(script), "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    decisions = [line for line in _lines(result.stdout) if line["what"] == "decision"]
    assert [(d["arrival"], d["command"]) for d in decisions] == [
        ("plate", "deny")
    ]  # an unknown plate at a door
    assert decisions[0]["action"].startswith("stayed closed")
