#!/usr/bin/env bash
# Debian's Chromium for the web chat's browser test (Playwright drives it; it downloads no browser).
exec bash "$(dirname "$0")/install-debian.sh" /usr/bin/chromium chromium
