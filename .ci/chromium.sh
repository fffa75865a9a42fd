#!/usr/bin/env bash
# System pieces for tests/e2e (the kiosk in a real browser). Idempotent: installs only what
# is missing, so a warm CI image pays nothing. Run it with bash from .ci/run; it does not
# change the caller's shell options.
#   chromium        Debian's browser, driven by Playwright via executable_path=/usr/bin/chromium
#                   (never `playwright install`: CI has no internet access for browser downloads)
#   fonts-noto-cjk  Chinese glyphs for the kiosk text and its screenshots (otherwise boxes)
set -euo pipefail

packages=(chromium fonts-noto-cjk)
missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]})); then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

test -x /usr/bin/chromium || { echo "chromium.sh: /usr/bin/chromium missing after install" >&2; exit 1; }
