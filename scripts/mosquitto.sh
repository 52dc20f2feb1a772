#!/usr/bin/env bash
# gatepost's own Mosquitto broker for the tests, the demo and a single-host install.
#
#   scripts/mosquitto.sh start|stop|status
#
# The machine's shared broker on 1883 admits anonymous clients, so gatepost runs its
# own (the Debian `mosquitto` package, see scripts/install-system-deps.sh) with a
# config generated here: one listener on 127.0.0.1, no anonymous clients, a password
# file and an ACL file that gatepost writes (gatepost.ingest.broker_accounts: one
# account per device, explicit topic rules per account) and reloads with SIGHUP,
# TCP_NODELAY (ARCHITECTURE.md, "Devices": Nagle costs tens of milliseconds per QoS 1
# round trip), a bounded packet size, and persistence in the data dir so the queued
# QoS 1 messages of persistent sessions and the retained door states
# (gatepost/<tenant>/<device>/state) survive a broker restart.
#
# On start the gateway's own account is created if absent: a random secret in
# gateway.secret (mode 0600, read by gatepost's gateway and by the tests), its hash
# in the password file, and its topic rules in the ACL file. gatepost rewrites both
# files from the device list (keeping the gateway's account) whenever a device is
# registered, rotated or revoked.
#
# Environment (the tests read the same names, tests/support/services.py):
#   GATEPOST_MQTT_DIR            data dir (default <repo>/.cache/mosquitto); holds
#                                mosquitto.conf, mosquitto.pid, mosquitto.log,
#                                passwords, acl, gateway.secret and store/
#   GATEPOST_TEST_MQTT_PORT      listener port on 127.0.0.1 (default 18830)
#   GATEPOST_MQTT_GATEWAY_USER   the gateway's account (default gatepost-gateway)
#   GATEPOST_MQTT_MAX_PACKET     largest MQTT packet in bytes (default 2097152)
#   GATEPOST_MQTT_AUTOSAVE_S     seconds between persistence saves (default 10; a
#                                stop saves too, a crash loses what came since)
#   GATEPOST_MOSQUITTO           path to the mosquitto binary (default: PATH, /usr/sbin)
#   GATEPOST_MQTT_STOP_TIMEOUT   seconds to wait before SIGKILL (default 10)
#
# gatepost's matching settings: GATEPOST_MQTT__ENABLED=true, GATEPOST_MQTT__PORT,
# GATEPOST_MQTT__DIR (the same data dir) and GATEPOST_MQTT__GATEWAY_USERNAME.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/processes.sh
source "$REPO_ROOT/scripts/lib/processes.sh"
DATA_DIR="${GATEPOST_MQTT_DIR:-$REPO_ROOT/.cache/mosquitto}"
PORT="${GATEPOST_TEST_MQTT_PORT:-18830}"
GATEWAY_USER="${GATEPOST_MQTT_GATEWAY_USER:-gatepost-gateway}"
MAX_PACKET="${GATEPOST_MQTT_MAX_PACKET:-2097152}"
AUTOSAVE_S="${GATEPOST_MQTT_AUTOSAVE_S:-10}"
STOP_TIMEOUT_S="${GATEPOST_MQTT_STOP_TIMEOUT:-10}"
BIND_IP="127.0.0.1"
START_TIMEOUT_S=20

CONFIG="$DATA_DIR/mosquitto.conf"
PID_FILE="$DATA_DIR/mosquitto.pid"
LOG_FILE="$DATA_DIR/mosquitto.log"
PASSWORDS="$DATA_DIR/passwords"
ACL="$DATA_DIR/acl"
GATEWAY_SECRET="$DATA_DIR/gateway.secret"
STORE="$DATA_DIR/store"

log() { printf 'mosquitto: %s\n' "$*"; }
die() { printf 'mosquitto: error: %s\n' "$*" >&2; exit 1; }

find_mosquitto() {
    local candidate
    for candidate in "${GATEPOST_MOSQUITTO:-}" "$(command -v mosquitto || true)" \
        /usr/sbin/mosquitto /usr/local/sbin/mosquitto; do
        if [[ -n "$candidate" && -x "$candidate" ]]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    die "mosquitto not found; run: bash scripts/install-system-deps.sh"
}

running_pid() {
    # Prints the pid if the pid file names a live mosquitto process.
    pid_file_process "$PID_FILE" mosquitto
}

accepts_connections() {
    # The listener is up once a TCP connection opens (an MQTT CONNECT needs an account).
    (exec 3<>"/dev/tcp/$BIND_IP/$PORT") 2>/dev/null
}

check_settings() {
    [[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT >= 1 && PORT <= 65535)) ||
        die "GATEPOST_TEST_MQTT_PORT must be a port number, not '$PORT'"
    [[ "$MAX_PACKET" =~ ^[0-9]+$ ]] && ((MAX_PACKET >= 65536 && MAX_PACKET <= 268435455)) ||
        die "GATEPOST_MQTT_MAX_PACKET must be 65536-268435455 bytes"
    [[ "$AUTOSAVE_S" =~ ^[0-9]+$ ]] && ((AUTOSAVE_S >= 1 && AUTOSAVE_S <= 3600)) ||
        die "GATEPOST_MQTT_AUTOSAVE_S must be 1-3600 seconds"
    [[ "$GATEWAY_USER" =~ ^[A-Za-z0-9._-]{1,64}$ ]] ||
        die "GATEPOST_MQTT_GATEWAY_USER must be 1-64 of A-Za-z0-9._-"
}

write_config() {
    # Mosquitto drops root privileges to the `mosquitto` user unless told otherwise;
    # it must read the 0600 files gatepost writes, so it runs as the caller.
    #
    # No persistent_client_expiration, on purpose. On a reload (SIGHUP) Mosquitto 2.0.11
    # re-checks every session, offline ones included, and "disconnects" again an offline
    # session whose account changed or went (and, after a restart, every restored one);
    # each time it adds that session to its expiry list once more, and the duplicates
    # crash the broker when the session expires or is taken over (upstream issues #1521
    # and #3418). Sessions that never expire are kept off that list unless a global
    # expiration is set, so devices and the gateway use clean sessions or sessions that
    # never expire (docs/devices.md).
    cat >"$CONFIG" <<CONF
# Generated by scripts/mosquitto.sh on every start; edits here are lost.
per_listener_settings false
listener $PORT $BIND_IP
allow_anonymous false
password_file $PASSWORDS
acl_file $ACL
set_tcp_nodelay true
max_packet_size $MAX_PACKET
persistence true
persistence_location $STORE/
autosave_interval $AUTOSAVE_S
user $(id -un)
log_dest file $LOG_FILE
log_type error
log_type warning
log_type notice
connection_messages true
log_timestamp_format %Y-%m-%dT%H:%M:%S
CONF
    chmod 600 "$CONFIG"
}

ensure_gateway_account() {
    # The secret: 256 random bits, base64url, made once and kept.
    if [[ ! -s "$GATEWAY_SECRET" ]]; then
        (umask 077 && head -c 32 /dev/urandom | basenc --base64url | tr -d '=\n' >"$GATEWAY_SECRET")
        log "created the gateway account's secret in $GATEWAY_SECRET"
    fi
    chmod 600 "$GATEWAY_SECRET"
    local secret
    secret="$(<"$GATEWAY_SECRET")"
    # Its hash: mosquitto_passwd reads the password twice from stdin (never from argv).
    if [[ ! -f "$PASSWORDS" ]] || ! grep -q "^$GATEWAY_USER:" "$PASSWORDS"; then
        [[ -f "$PASSWORDS" ]] || (umask 077 && : >"$PASSWORDS")
        printf '%s\n%s\n' "$secret" "$secret" |
            mosquitto_passwd "$PASSWORDS" "$GATEWAY_USER" >/dev/null
        log "added the gateway account $GATEWAY_USER to $PASSWORDS"
    fi
    chmod 600 "$PASSWORDS"
    # Its topic rules: the same text gatepost.ingest.broker_accounts writes.
    if [[ ! -f "$ACL" ]] || ! grep -qx "user $GATEWAY_USER" "$ACL"; then
        (umask 077 && cat >>"$ACL" <<ACL
# gateway
user $GATEWAY_USER
topic read gatepost/+/+/events
topic read gatepost/+/+/acks
topic write gatepost/+/+/commands
topic write gatepost/+/+/errors
topic write gatepost/+/+/state
topic write gatepost-notify/#

ACL
        )
        log "added the gateway's topic rules to $ACL"
    elif ! grep -qx "topic write gatepost/+/+/state" "$ACL"; then
        # An ACL from before the door state topic: give the gateway's block its rule
        # (gatepost writes the whole file again on the next device change anyway).
        (umask 077 && awk -v user="user $GATEWAY_USER" \
            '{ print } $0 == user && !done { print "topic write gatepost/+/+/state"; done = 1 }' \
            "$ACL" >"$ACL.tmp") && mv "$ACL.tmp" "$ACL"
        log "added the gateway's door state rule to $ACL"
    fi
    chmod 600 "$ACL"
}

cmd_start() {
    local pid mosquitto
    check_settings
    if pid="$(running_pid)"; then
        local running_port
        running_port="$(awk '$1 == "listener" {print $2; exit}' "$CONFIG" 2>/dev/null || true)"
        [[ "$running_port" == "$PORT" ]] ||
            die "already running (pid $pid) on port ${running_port:-?}, not $PORT; stop it first"
        log "already running (pid $pid) on $BIND_IP:$PORT"
        return 0
    fi
    port_busy "$PORT" && die "port $PORT is already in use by another process"
    mosquitto="$(find_mosquitto)"
    command -v mosquitto_passwd >/dev/null || die "mosquitto_passwd not found (package mosquitto)"
    mkdir -p "$DATA_DIR" "$STORE"
    chmod 700 "$DATA_DIR" "$STORE"
    write_config
    ensure_gateway_account
    log "starting $("$mosquitto" -h 2>/dev/null | head -n1) from $mosquitto"
    log "data in $DATA_DIR, log in $LOG_FILE"
    setsid "$mosquitto" -c "$CONFIG" </dev/null >>"$LOG_FILE" 2>&1 &
    pid=$!
    echo "$pid" >"$PID_FILE"
    local waited=0
    until accepts_connections; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PID_FILE"
            tail -n 20 "$LOG_FILE" >&2 || true
            die "mosquitto exited during startup; see $LOG_FILE"
        fi
        if ((waited >= START_TIMEOUT_S * 10)); then
            cmd_stop >/dev/null
            die "mosquitto did not accept connections on $BIND_IP:$PORT within ${START_TIMEOUT_S}s"
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    log "started (pid $pid) on $BIND_IP:$PORT"
}

cmd_stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$PID_FILE"
        log "not running"
        return 0
    fi
    # SIGTERM: mosquitto saves its persistence file, then exits.
    log "stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= STOP_TIMEOUT_S * 10)); then
            log "pid $pid still running after ${STOP_TIMEOUT_S}s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    rm -f "$PID_FILE"
    log "stopped (pid $pid)"
}

cmd_status() {
    local pid
    if pid="$(running_pid)"; then
        log "running (pid $pid) on $BIND_IP:$PORT, data in $DATA_DIR"
        return 0
    fi
    log "not running"
    return 3
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
