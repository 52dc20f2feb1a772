#!/usr/bin/env bash
# Installs the Debian packages gatepost's tests need on a fresh machine:
# Chromium (browser tests), a CJK font and three narrow bold Latin fonts (rendering
# synthetic plates, gatepost.vision.synthetic_latin), and Mosquitto with
# its command-line clients (gatepost's own MQTT broker, scripts/mosquitto.sh; the device
# protocol's shell example in docs/devices.md, with openssl), and npm (installs the pinned
# axe-core of the accessibility checks, docs/accessibility.md).
# Idempotent: does nothing when they are already present.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || need+=(fonts-dejavu-core)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf ] || need+=(fonts-dejavu-extra)
[ -f /usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf ] || need+=(fonts-liberation)
{ [ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null 2>&1; } || need+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v npm >/dev/null 2>&1 || need+=(npm)  # axe-core for the browser tests (make axe)

if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "need root (or sudo) to install: ${need[*]}" >&2; exit 1
  fi
fi
echo "installing system packages: ${need[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
