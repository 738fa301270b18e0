#!/usr/bin/env bash
# Installs npm dependencies when node_modules is missing or package-lock.json changed since
# the last install (shared by bin/dev and bin/test). Quiet when nothing is to be done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

LOCK_STAMP="node_modules/.mfa-lock-hash"
LOG_DIR=".infra/logs"
mkdir -p "$LOG_DIR"

# True if node_modules already holds exactly what package-lock.json pins: every package's own
# package.json is read from disk (npm's record, node_modules/.package-lock.json, can claim
# packages that are not there, e.g. after `npm install --package-lock-only`).
node_modules_match_lock() {
  node -e '
    const fs = require("node:fs");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages ?? {};
    for (const [path, entry] of Object.entries(lock)) {
      if (path === "" || !path.startsWith("node_modules/") || entry.link) continue;
      let got;
      try {
        got = JSON.parse(fs.readFileSync(`${path}/package.json`, "utf8"));
      } catch {
        if (entry.optional) continue; // e.g. native builds for other platforms
        process.exit(1);
      }
      if (got.version !== entry.version) process.exit(1);
    }
  ' 2>/dev/null
}

lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
[[ -f $LOCK_STAMP && "$(<"$LOCK_STAMP")" == "$lock_hash" ]] && exit 0
if [[ -d node_modules ]] && node_modules_match_lock; then
  echo "$lock_hash" >"$LOCK_STAMP"
  exit 0
fi
echo "installing npm dependencies (npm ci; a minute or two on a fresh clone)"
started=$SECONDS
if ! npm ci --no-audit --no-fund >"$LOG_DIR/npm-ci.log" 2>&1; then
  tail -n 30 "$LOG_DIR/npm-ci.log" >&2
  echo "npm ci failed (full log: $LOG_DIR/npm-ci.log)" >&2
  exit 1
fi
echo "$lock_hash" >"$LOCK_STAMP"
echo "dependencies installed in $((SECONDS - started))s"
