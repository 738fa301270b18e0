#!/usr/bin/env bash
# Prints the path of a Chromium the browser tests drive through playwright-core. Only Debian's
# `chromium` package is used (never a browser downloaded by playwright); when it is missing it is
# installed with apt-get, which needs root (or passwordless sudo).
set -euo pipefail

find_chromium() { command -v chromium || command -v chromium-browser || true; }

path="$(find_chromium)"
if [[ -z $path ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "chromium is missing and installing it needs root: run 'apt-get install -y chromium' as root" >&2
    exit 1
  fi
  echo "installing chromium from Debian (apt-get; once)" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium >&2
  path="$(find_chromium)"
  [[ -n $path ]] || { echo "apt-get installed chromium but no chromium binary is on PATH" >&2; exit 1; }
fi
echo "$path"
