#!/usr/bin/env bash
# Installs schemathesis (PyPI, pinned) into .cache/schemathesis when missing, and prints the path
# of its `st` command. Used by bin/test; test/e2e/schemathesis.e2e.spec.ts runs it against the
# built service. Needs python3 with the venv module (Debian: python3-venv).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VERSION=4.32.5
VENV=.cache/schemathesis
ST="$VENV/bin/st"

if [[ -x $ST ]] && [[ "$("$ST" --version 2>/dev/null)" == *" $VERSION" ]]; then
  echo "$PWD/$ST"
  exit 0
fi
command -v python3 >/dev/null || { echo "schemathesis: python3 is missing (Debian: apt-get install python3 python3-venv)" >&2; exit 1; }
echo "installing schemathesis $VERSION from PyPI into $VENV (once)" >&2
rm -rf "$VENV"
python3 -m venv "$VENV" >&2 || { echo "schemathesis: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
echo "$PWD/$ST"
