#!/usr/bin/env bash
# Debian packages the tests use: PostgreSQL (the PostgresStore suite starts its own server) and Chromium
# (tests/test_browser.py drives it with Playwright; Playwright never downloads a browser here).
# Installed only when missing; needs root (CI and the dev machines run as root).
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "system-packages: missing ${missing[*]}; install them (sudo apt-get install ${missing[*]})" >&2
        exit 0
    fi
    echo "system-packages: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
