#!/usr/bin/env bash
# Installs schemathesis (PyPI, pinned) into .cache/schemathesis when missing, and prints the path
# of its `st` command. The one installer: bin/test runs it before jest, scripts/fuzz.sh and
# test/e2e/schemathesis.e2e.spec.ts run the command it prints.
# Needs python3 with the venv module (Debian: python3-venv), or else with pip: then the package
# goes to .cache/schemathesis/lib (pip --target) and `st` is a wrapper that puts it on PYTHONPATH.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VERSION=4.32.5
VENV=.cache/schemathesis
ST="$VENV/bin/st"
LOG="$VENV.install.log"

if [[ -x $ST ]] && [[ "$("$ST" --version 2>/dev/null)" == *" $VERSION" ]]; then
  echo "$PWD/$ST"
  exit 0
fi
command -v python3 >/dev/null || { echo "schemathesis: python3 is missing (Debian: apt-get install python3 python3-venv)" >&2; exit 1; }
echo "installing schemathesis $VERSION from PyPI into $VENV (once)" >&2
rm -rf "$VENV"
mkdir -p .cache
if python3 -m venv "$VENV" >"$LOG" 2>&1; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" >>"$LOG" 2>&1 ||
    { tail -n 20 "$LOG" >&2; exit 1; }
else
  rm -rf "$VENV"
  python3 -m pip install --quiet --disable-pip-version-check --target "$VENV/lib" "schemathesis==$VERSION" >>"$LOG" 2>&1 ||
    { tail -n 20 "$LOG" >&2; echo "schemathesis: needs python3 with venv or pip (Debian: apt-get install python3-venv)" >&2; exit 1; }
  mkdir -p "$VENV/bin"
  printf '#!/usr/bin/env bash\nPYTHONPATH="%s/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m schemathesis.cli "$@"\n' "$PWD/$VENV" >"$ST"
  chmod +x "$ST"
fi
echo "$PWD/$ST"
