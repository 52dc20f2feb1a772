"""MqttGateway: the device gateway's MQTT loop (docs/devices.md is the protocol).

One gateway worker per process connects to gatepost's broker as the gateway account
(``mqtt.gateway_username``, its password from ``gateway.secret``) twice, MQTT 5 with a
clean start and no session (Mosquitto 2.0.11 can crash on reload with finite-expiry
sessions), TCP_NODELAY on both sockets:

- the *events* connection subscribes to ``$share/gatepost/gatepost/+/+/events`` (QoS 1):
  the devices' arrivals, shared by the gateway workers, so each message is decided by one
  of them. It acknowledges (PUBACK) each arrival only once it has been handled (decided
  and stored, answered, or refused), and asks the broker for at most ``window`` of them
  unacknowledged at a time (MQTT 5 Receive Maximum, the size of the worker's inbox), so
  that under overload the arrivals wait at the broker. Mosquitto 2.0.11 holds to that
  only until the first acknowledgements (measured: with a window of 3 it hands over 65 of
  100), hence the ``busy`` refusal below. Commands and refusals are published on this
  connection.
- the *acks* connection subscribes to ``gatepost/+/+/acks`` (QoS 1), *not* shared: every
  worker sees every acknowledgement and settles the commands it sent itself (a shared
  subscription would hand a worker's acknowledgements to another worker, which could not
  settle them). Acknowledgements are settled on this connection's network thread as they
  arrive (verify, then the outbox's in-memory table under its lock), so they never wait
  behind arrivals, neither in the worker nor in the broker's window of the events
  connection: an acknowledged command is not sent again.

Both subscriptions are made again on every (re)connect: the broker forgets shared
subscriptions when it restarts, and a clean start keeps nothing anyway. The events
connection's network thread only queues what arrives; one handler thread takes what
waits in the inbox (up to 64 messages), verifies each arrival
(:func:`gatepost.ingest.envelope.verify`) with the device's MAC key (looked up through
:class:`gatepost.services.devices.DeviceService`, cached for ``device_ttl``), hands it to
the arrival pipeline with the device's principal and idempotency key (card, PIN, QR and
exit-button arrivals held together are decided in order in one transaction, a group
commit, so a busy worker commits once per batch; frames one at a time: a redelivered
frame is neither recognised nor stored again), answers a redelivery
with the stored decision's command (same ``command_id``, naming the arrival's key), and
publishes refusals on the device's errors topic. The same thread runs the command
outbox's retries (:mod:`gatepost.ingest.gateway_commands`). When the inbox is full all
the same (a broker that does not hold to the window), an arrival is not dropped: it is
refused as ``busy`` on the device's errors topic (the device sends it again later, same
key) and counted (``arrival.busy``).

A refusal is ``{"v": 1, "reason": ..., "detail": ..., "idempotency_key": ...}`` (QoS 1,
signed like a command when the device is known); nothing from the payload is echoed.
:attr:`MqttGateway.counters` counts refusals per reason (``refused.<reason>``) and what
was handled (``arrived``, ``duplicate``, ``arrival.busy``, ``failed``, ``ack.unknown``)
next to the outbox's ``command.*`` counters.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from gatepost.domain.arrivals import ArrivalKind
from gatepost.domain.decisions import Decision
from gatepost.errors import (
    AuthenticationFailed,
    Conflict,
    GatepostError,
    ServiceUnavailable,
    ValidationFailed,
)
from gatepost.ingest.broker_accounts import BrokerFiles
from gatepost.ingest.envelope import (
    EnvelopeRules,
    Refusal,
    RefusalReason,
    Sender,
    mac_property,
    verify,
)
from gatepost.ingest.gateway_commands import CommandOutbox, replayed_command
from gatepost.ingest.gateway_devices import DeviceDirectory, GatewayDevice, arrival_value
from gatepost.ingest.messages import (
    AckMessage,
    ArrivalMessage,
    CardMessage,
    ExitButtonMessage,
    FaceMessage,
    PinMessage,
    PlateMessage,
    QrMessage,
)
from gatepost.ingest.topics import (
    Channel,
    DeviceTopic,
    TopicRefused,
    gateway_filter,
    parse_inbound,
    shared_subscription,
)
from gatepost.security.device_mqtt import message_mac
from gatepost.security.policy import Principal
from gatepost.services.arrivals import Decided, DeviceArrival, FrameKey, ReusedKey
from gatepost.services.commands import DeviceCommand
from gatepost.services.container import Container
from gatepost.settings import Settings

__all__ = [
    "MqttGateway",
    "UNKNOWN_DEVICE",
    "default_worker_name",
    "gateway_outbox",
]

log = logging.getLogger(__name__)

UNKNOWN_DEVICE = "unknown_device"
"""The refusal of a message whose topic names no known, unrevoked device with MQTT keys."""
BUSY = "busy"
"""The refusal of an arrival that found the worker's inbox full: send it again later."""

_WINDOW = 1000  # arrivals the broker may hand a worker before it acknowledges them
_TOGETHER = 64  # arrivals taken from the inbox at once, decided in one transaction


def gateway_outbox(container: Container) -> CommandOutbox | None:
    """The container's command sink when it is a gateway outbox (built for the gateway)."""
    sink = container.arrivals.commands
    return sink if isinstance(sink, CommandOutbox) else None


@dataclass(frozen=True)
class _Inbound:
    topic: str
    payload: bytes
    mac: str | None
    mid: int  # the message's packet id on the events connection of ``generation``
    qos: int
    generation: int


_ValueMessage = CardMessage | PinMessage | QrMessage | ExitButtonMessage

_TICK = 0.1  # seconds: how late a retry or expiry may be handled at most


def nodelay(client: paho.Client, userdata: Any, sock: Any) -> None:
    """paho's ``on_socket_open``: disable Nagle's algorithm (QoS 1 round trips)."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class MqttGateway:
    """One gateway worker (see the module doc): ``start()`` connects and serves until
    ``stop()``. ``worker_name`` makes its client ids unique among the workers; ``window``
    is how many arrivals it holds at most (handed over by the broker, not yet handled)."""

    def __init__(
        self,
        settings: Settings,
        container: Container,
        *,
        worker_name: str,
        device_ttl: timedelta = timedelta(seconds=5),
        startup_wait: float = 5.0,
        window: int = _WINDOW,
    ) -> None:
        outbox = gateway_outbox(container)
        if outbox is None:
            raise ValueError("build the container with commands=CommandOutbox(...)")
        if not 1 <= window <= 65535:
            raise ValueError("window must be 1-65535 (MQTT 5 Receive Maximum)")
        self._settings = settings
        self._container = container
        self._outbox = outbox
        self._startup_wait = startup_wait
        self.client_id = f"{settings.mqtt.gateway_username}.{worker_name}"
        self.acks_client_id = f"{settings.mqtt.gateway_username}.acks.{worker_name}"[:64]
        self._window = window
        security = settings.security
        self._rules = EnvelopeRules(
            max_payload_bytes=settings.mqtt.max_payload_bytes,
            max_skew=timedelta(seconds=security.device_clock_skew_seconds),
            max_backlog=timedelta(days=security.device_backlog_days),
        )
        self.devices = DeviceDirectory(container.devices, ttl=device_ttl)
        self._inbox: queue.Queue[_Inbound] = queue.Queue(maxsize=window)
        self._stopping = threading.Event()
        self._subscribed = threading.Event()
        self._acks_subscribed = threading.Event()
        self._generation = 0  # the events connection's, counted up on every connect
        self._handler: threading.Thread | None = None
        self._counters: Counter[str] = Counter()
        self._counters_lock = threading.Lock()
        self._client = self._new_client(self.client_id, manual_ack=True)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._acks = self._new_client(self.acks_client_id, manual_ack=False)
        self._acks.on_connect = self._on_acks_connect
        self._acks.on_subscribe = self._on_acks_subscribe
        self._acks.on_disconnect = self._on_acks_disconnect
        self._acks.on_message = self._on_ack_message

    # -- lifecycle ---------------------------------------------------------------------

    def _new_client(self, client_id: str, *, manual_ack: bool) -> paho.Client:
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv5,
            manual_ack=manual_ack,
        )
        files = BrokerFiles.from_settings(self._settings)
        client.username_pw_set(self._settings.mqtt.gateway_username, files.gateway_password())
        client.on_socket_open = nodelay
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        return client

    def start(self) -> None:
        """Connect (reconnecting on its own from then on), start handling, and wait up to
        ``startup_wait`` seconds for the subscriptions (a broker that is down is logged,
        not fatal: the gateway connects when it comes up)."""
        self._stopping.clear()
        self._outbox.bind(
            publish=self._publish,
            key_of=self.devices.mac_key,
            publish_retained=self._publish_retained,
        )
        self._handler = threading.Thread(
            target=self._handle_forever, name=f"gateway-{self.client_id}", daemon=True
        )
        self._handler.start()
        mqtt = self._settings.mqtt
        for client, window in ((self._acks, None), (self._client, self._window)):
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = 0
            if window is not None:
                properties.ReceiveMaximum = window
            client.connect_async(
                mqtt.host, mqtt.port, keepalive=30, clean_start=True, properties=properties
            )
            client.loop_start()
        if not self.wait_ready(self._startup_wait):
            log.warning("the MQTT gateway is not subscribed yet (%s:%d)", mqtt.host, mqtt.port)

    def stop(self) -> None:
        """Disconnect and stop the handler (pending commands are forgotten; arrivals
        still in the inbox were not acknowledged to the broker)."""
        self._stopping.set()
        self._outbox.unbind()
        for client in (self._client, self._acks):
            client.disconnect()
            client.loop_stop()
        if self._handler is not None:
            self._handler.join(timeout=10)
            self._handler = None
        self._subscribed.clear()
        self._acks_subscribed.clear()

    def wait_ready(self, timeout: float) -> bool:
        """Whether both connections are up and subscribed (waiting up to ``timeout``)."""
        end = time.monotonic() + timeout
        if not self._subscribed.wait(timeout):
            return False
        return self._acks_subscribed.wait(max(0.0, end - time.monotonic()))

    @property
    def counters(self) -> dict[str, int]:
        """What this worker counted, its outbox's ``command.*`` counters included."""
        with self._counters_lock:
            mine = dict(self._counters)
        return mine | dict(self._outbox.counters)

    def _count(self, name: str) -> None:
        with self._counters_lock:
            self._counters[name] += 1

    # -- paho callbacks: the events connection's network thread -----------------------

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, code: ReasonCode, props: Any
    ) -> None:
        if code.is_failure:
            log.warning("the MQTT broker refused the gateway: %s", code)
            return
        self._generation += 1  # packet ids of an earlier connection are void now
        client.subscribe(shared_subscription(Channel.EVENTS), options=SubscribeOptions(qos=1))

    def _on_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, codes: list[ReasonCode], props: Any
    ) -> None:
        if _subscribed(codes, self.client_id):
            self._subscribed.set()

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, code: ReasonCode, props: Any
    ) -> None:
        self._subscribed.clear()
        if not self._stopping.is_set():
            log.warning("the MQTT gateway lost the broker (%s); reconnecting", code)

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        props = getattr(message.properties, "UserProperty", None) or []
        inbound = _Inbound(
            message.topic,
            bytes(message.payload),
            mac_property(props),
            mid=message.mid,
            qos=message.qos,
            generation=self._generation,
        )
        try:
            self._inbox.put_nowait(inbound)
        except queue.Full:  # only when the broker ignores the window: refuse, never drop
            try:
                self._refuse_busy(inbound)
            finally:
                self._delivered(inbound)

    def _delivered(self, inbound: _Inbound) -> None:
        """Acknowledge an arrival to the broker (PUBACK) once it has been handled; not
        when the connection it came on is gone (its packet id may name another now)."""
        if inbound.qos > 0 and inbound.generation == self._generation:
            self._client.ack(inbound.mid, inbound.qos)

    def _refuse_busy(self, inbound: _Inbound) -> None:
        """Answer an arrival that found the inbox full with a ``busy`` refusal naming its
        key (when it is authentic; other refusals take their usual course later, when the
        device sends it again)."""
        self._count("arrival.busy")
        try:
            where = parse_inbound(inbound.topic)
        except TopicRefused:
            return
        device = self.devices.get(where.tenant_id, where.device_id)
        if device is None:
            return
        result = verify(
            topic=inbound.topic,
            payload=inbound.payload,
            mac=inbound.mac,
            sender=Sender(where.tenant_id, where.device_id, device.mac_key),
            now=self._container.clock.now(),
            rules=self._rules,
        )
        key = None if isinstance(result, Refusal) else result.message.idempotency_key
        detail = "the gateway is at capacity: send the arrival again later, with the same key"
        self._send_refusal(where, device, BUSY, detail, key)

    # -- paho callbacks: the acks connection's network thread -------------------------

    def _on_acks_connect(
        self, client: paho.Client, userdata: Any, flags: Any, code: ReasonCode, props: Any
    ) -> None:
        if code.is_failure:
            log.warning("the MQTT broker refused the gateway's acks connection: %s", code)
            return
        client.subscribe(gateway_filter(Channel.ACKS), options=SubscribeOptions(qos=1))

    def _on_acks_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, codes: list[ReasonCode], props: Any
    ) -> None:
        if _subscribed(codes, self.acks_client_id):
            self._acks_subscribed.set()

    def _on_acks_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, code: ReasonCode, props: Any
    ) -> None:
        self._acks_subscribed.clear()
        if not self._stopping.is_set():
            log.warning("the MQTT gateway's acks connection lost the broker (%s)", code)

    def _on_ack_message(
        self, client: paho.Client, userdata: Any, message: paho.MQTTMessage
    ) -> None:
        """Settle an acknowledgement at once, here: it touches only the outbox's memory
        (and the device cache), never the arrival pipeline."""
        props = getattr(message.properties, "UserProperty", None) or []
        try:
            self.handle(message.topic, bytes(message.payload), mac_property(props))
        except Exception:
            self._count("failed")
            log.exception("the MQTT gateway could not handle an acknowledgement")

    # -- publishing ---------------------------------------------------------------------

    def _publish(
        self, topic: str, payload: bytes, mac_key: bytes | None, *, retain: bool = False
    ) -> bool:
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        if mac_key is not None:
            properties.UserProperty = [("mac", message_mac(mac_key, topic, payload))]
        info = self._client.publish(topic, payload, qos=1, retain=retain, properties=properties)
        return info.rc == paho.MQTT_ERR_SUCCESS

    def _publish_retained(self, topic: str, payload: bytes, mac_key: bytes | None) -> bool:
        """A device's door state: kept by the broker for the device's next subscription."""
        return self._publish(topic, payload, mac_key, retain=True)

    def _refuse(self, where: DeviceTopic, device: GatewayDevice | None, refusal: Refusal) -> None:
        self._count(f"refused.{refusal.reason.value}")
        self._send_refusal(
            where, device, refusal.reason.value, refusal.detail, refusal.idempotency_key
        )

    def _send_refusal(
        self,
        where: DeviceTopic,
        device: GatewayDevice | None,
        reason: str,
        detail: str,
        key: str | None,
    ) -> None:
        body = {"v": 1, "reason": reason, "detail": detail, "idempotency_key": key}
        payload = json.dumps(body, separators=(",", ":")).encode()
        self._publish(str(where.on(Channel.ERRORS)), payload, device.mac_key if device else None)

    # -- handling (the handler thread) -------------------------------------------------

    def _handle_forever(self) -> None:
        # The outbox is scanned when a retry or expiry is due, and at least every
        # _TICK seconds (for commands sent since), not after every message.
        deadline = 0.0
        while not self._stopping.is_set():
            if time.monotonic() >= deadline:
                self._outbox.tick()
                due = self._outbox.next_due_in()
                deadline = time.monotonic() + (_TICK if due is None else min(due, _TICK))
            wait = max(0.0, deadline - time.monotonic())
            try:
                held = [self._inbox.get(timeout=wait)]
            except queue.Empty:
                continue
            while len(held) < _TOGETHER:  # what else waits: decided in the same commit
                try:
                    held.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            try:
                self._handle_held(held)
            except Exception:
                self._count("failed")
                log.exception("the MQTT gateway could not handle %d message(s)", len(held))
            finally:
                for inbound in held:
                    self._delivered(inbound)

    def handle(self, topic: str, payload: bytes, mac: str | None) -> None:
        """Verify one message from a device and act on it (see the module doc)."""
        self._handle_held([_Inbound(topic, payload, mac, mid=0, qos=0, generation=0)])

    def _handle_held(self, held: list[_Inbound]) -> None:
        """Verify the messages taken from the inbox, in order, and act on them: card,
        PIN, QR and exit-button arrivals side by side are decided together, in one
        transaction (:meth:`ArrivalPipeline.arrive_together`); a frame waits for the
        arrivals before it."""
        waiting: list[tuple[DeviceTopic, GatewayDevice, _ValueMessage]] = []
        for inbound in held:
            checked = self._checked(inbound)
            if checked is None:
                continue
            where, device, message = checked
            if isinstance(message, FaceMessage | PlateMessage):
                self._failing_apart(self._decide_together, waiting)
                waiting = []
                self._failing_apart(self._arrive_frame, where, device, message)
            else:
                waiting.append((where, device, message))
        self._failing_apart(self._decide_together, waiting)

    def _failing_apart(self, act: Callable[..., None], *args: Any) -> None:
        """Run one act on held messages; an unexpected failure is counted and logged and
        does not take the other held messages down with it (their devices resend)."""
        try:
            act(*args)
        except Exception:
            self._count("failed")
            log.exception("the MQTT gateway could not handle a message")

    def _checked(
        self, inbound: _Inbound
    ) -> tuple[DeviceTopic, GatewayDevice, ArrivalMessage] | None:
        """An authentic arrival from a known device; None when the message was refused,
        or was an acknowledgement (settled here)."""
        try:
            where = parse_inbound(inbound.topic)
        except TopicRefused:  # the broker's ACL lets no device publish there
            self._count(f"refused.{RefusalReason.WRONG_TOPIC.value}")
            return None
        device = self.devices.get(where.tenant_id, where.device_id)
        if device is None:
            self._count(f"refused.{UNKNOWN_DEVICE}")
            detail = "the topic names no registered device with MQTT credentials"
            self._send_refusal(where, None, UNKNOWN_DEVICE, detail, None)
            return None
        sender = Sender(where.tenant_id, where.device_id, device.mac_key)
        result = verify(
            topic=inbound.topic,
            payload=inbound.payload,
            mac=inbound.mac,
            sender=sender,
            now=self._container.clock.now(),
            rules=self._rules,
        )
        if isinstance(result, Refusal):
            self._refuse(where, device, result)
            return None
        message = result.message
        if isinstance(message, AckMessage):
            settled = self._outbox.settle(
                tenant_id=where.tenant_id,
                device_id=where.device_id,
                command_id=message.command_id,
                done=message.result == "done",
            )
            if not settled:
                self._count("ack.unknown")  # another worker's command, or settled already
            return None
        return where, device, message

    def _decide_together(
        self, waiting: list[tuple[DeviceTopic, GatewayDevice, _ValueMessage]]
    ) -> None:
        if not waiting:
            return
        arrivals = []
        for _, device, message in waiting:
            kind, value = arrival_value(message)
            arrival = DeviceArrival(kind, message.idempotency_key, message.device_time, value)
            arrivals.append((device.principal, arrival))
        answers = self._container.arrivals.arrive_together(arrivals)
        for (where, device, message), (principal, arrival), answer in zip(
            waiting, arrivals, answers, strict=True
        ):
            if isinstance(answer, Decided):
                if answer.duplicate:
                    self._count("duplicate")
                    self._resend(
                        principal,
                        arrival.kind,
                        answer.event_id,
                        answer.decision,
                        arrival_key=arrival.idempotency_key,
                    )
                else:
                    self._count("arrived")
            else:
                self._answer_failure(where, device, message.idempotency_key, answer)

    def _arrive_frame(
        self, where: DeviceTopic, device: GatewayDevice, message: FaceMessage | PlateMessage
    ) -> None:
        principal, key = device.principal, message.idempotency_key
        try:
            kind, earlier = self._hand_over(principal, message)
        except GatepostError as exc:
            self._answer_failure(where, device, key, exc)
            return
        if earlier is not None:
            self._count("duplicate")
            self._resend(principal, kind, earlier.event_id, earlier.decision, arrival_key=key)
            return
        self._count("arrived")

    def _answer_failure(
        self, where: DeviceTopic, device: GatewayDevice, key: str, error: GatepostError
    ) -> None:
        """Answer an arrival the pipeline did not decide: a refusal on the device's
        errors topic, or (contention, an outage) nothing: the device sends it again."""
        if isinstance(error, ReusedKey):
            detail = "idempotency_key: this key was used for another message"
            self._refuse(where, device, Refusal(RefusalReason.REUSED_KEY, detail, key))
        elif isinstance(error, Conflict | ServiceUnavailable):  # not stored
            self._count("failed")
            log.warning(
                "arrival %s of device %s not stored; the device resends", key, where.device_id
            )
        elif isinstance(error, ValidationFailed):
            self._refuse(where, device, Refusal(RefusalReason.MALFORMED, error.message, key))
        elif isinstance(error, AuthenticationFailed):
            self._count(f"refused.{UNKNOWN_DEVICE}")
            detail = "the device is not registered at a site"
            self._send_refusal(where, device, UNKNOWN_DEVICE, detail, key)
        else:
            raise error

    def _hand_over(
        self, principal: Principal, message: FaceMessage | PlateMessage
    ) -> tuple[ArrivalKind, Decided | None]:
        """Hand a frame to the pipeline under the device's idempotency key: its kind,
        and the stored decision when the device sent it before (a redelivery)."""
        arrivals = self._container.arrivals
        frame_key = FrameKey(message.idempotency_key, message.device_time)
        if isinstance(message, FaceMessage):
            kind = ArrivalKind.FACE
            face = arrivals.face_frame(principal, message.frame, key=frame_key)
            found = face.event_id, face.decision, face.duplicate
        else:
            kind = ArrivalKind.PLATE
            plate = arrivals.plate_frame(principal, message.frame, key=frame_key)
            found = plate.event_id, plate.decision, plate.duplicate
        event_id, decision, duplicate = found
        if duplicate and event_id is not None and decision is not None:
            return kind, Decided(decision, event_id, duplicate=True)
        return kind, None

    def _resend(
        self,
        principal: Principal,
        kind: ArrivalKind,
        event_id: str,
        decision: Decision,
        *,
        arrival_key: str,
    ) -> None:
        """A redelivered arrival: send its stored decision's command again, with the
        same command id (the device carries out a command id once) and the arrival's
        key. A device bound to no access point is its own, a barrier for plates (as
        the pipeline decided it)."""
        point_id = principal.access_point_id or principal.id
        point = self._container.access_rules.rules(principal).access_point(point_id)
        barrier = point.barrier if point is not None else kind is ArrivalKind.PLATE
        command = replayed_command(decision, kind=kind, access_point_id=point_id, barrier=barrier)
        if command is not None:
            self._outbox.send(
                DeviceCommand(
                    principal.tenant_id, principal.id, event_id, command, arrival_key=arrival_key
                )
            )


def _subscribed(codes: list[ReasonCode], client_id: str) -> bool:
    if any(code.is_failure for code in codes):
        log.error("the MQTT broker refused the subscription of %s: %s", client_id, codes)
        return False
    log.info("MQTT gateway %s subscribed", client_id)
    return True


def default_worker_name() -> str:
    """``<host>-<pid>``: unique among the gateway workers of one broker."""
    return f"{socket.gethostname()}-{os.getpid()}"
