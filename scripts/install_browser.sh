#!/usr/bin/env bash
# Installs what the browser tests (tests/browser/, Playwright) need: Debian's Chromium and a CJK
# font so the Chinese pages render (and screenshot) readably. Idempotent and quick when both are
# present. Never runs `playwright install` (no browser downloads: we drive /usr/bin/chromium).
set -euo pipefail

CHROMIUM="${KEFU_CHROMIUM:-/usr/bin/chromium}"

have_font() {
    if command -v fc-list >/dev/null 2>&1; then
        fc-list 2>/dev/null | grep -qi 'noto.*cjk'
    else
        ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1
    fi
}

if [ -x "$CHROMIUM" ] && have_font; then
    exit 0
fi

if [ "$(id -u)" != "0" ]; then
    echo "install_browser.sh: $CHROMIUM or the CJK font is missing; as root run:" >&2
    echo "  apt-get install -y --no-install-recommends chromium fonts-noto-cjk" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
if ! apt-get install -y --no-install-recommends chromium fonts-noto-cjk >/dev/null; then
    apt-get update -qq
    apt-get install -y --no-install-recommends chromium fonts-noto-cjk >/dev/null
fi
echo "install_browser.sh: chromium and fonts-noto-cjk installed in $(( $(date +%s) - start )) s"
