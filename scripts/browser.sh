#!/usr/bin/env bash
# Installs headless Chromium (Debian packages chromium and chromium-driver)
# for the browser test of the login page (cmd/authing TestLoginPage_Browser)
# when it is not installed. It needs root; without it the test is skipped
# locally (and fails in CI, where it must run).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "browser: $(chromium --version 2>/dev/null || echo chromium) is installed"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "browser: chromium is not installed and this is not root; the browser test will be skipped locally" >&2
  exit 0
fi
echo "browser: installing chromium and chromium-driver"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation >/dev/null
echo "browser: $(chromium --version 2>/dev/null) installed"
