# Shared by scripts/mosquitto.sh and scripts/seaweedfs.sh (sourced, not run): the
# helpers that find a service's process from its pid file and a busy port.

pid_file_process() {
    # pid_file_process PID_FILE NAME: prints the pid if PID_FILE names a live process
    # called NAME (a stale pid file, or a pid reused by another program, is not ours).
    local pid_file="$1" name="$2" pid
    [[ -f "$pid_file" ]] || return 1
    pid="$(<"$pid_file")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null || echo "$name")" == "$name" ]] || return 1
    printf '%s\n' "$pid"
}

port_busy() {
    # port_busy PORT: true when something listens on PORT.
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}
