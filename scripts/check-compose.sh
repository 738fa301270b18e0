#!/usr/bin/env bash
# Validates docker-compose.yml and docker-compose.prod.yml with compose-go (the Compose
# Specification's reference loader, built once from the Go module proxy into .cache/infra/bin):
#   - the demo stack loads as it is;
#   - the production stack loads once its required variables are given, and refuses to load
#     without them (it has no default secrets).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SRC=infra/compose-check
BIN=.cache/infra/bin/compose-check
hash="$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC"/*.go | sha256sum | cut -d' ' -f1)"
if [[ ! -x $BIN || ! -f $BIN.sha256 || "$(<"$BIN.sha256")" != "$hash" ]]; then
  command -v go >/dev/null || { echo "check-compose: go is not installed" >&2; exit 1; }
  mkdir -p "$(dirname "$BIN")"
  (cd "$SRC" && GOTOOLCHAIN=local CGO_ENABLED=0 go build -mod=readonly -trimpath -o "$OLDPWD/$BIN.tmp" .)
  mv -f "$BIN.tmp" "$BIN"
  echo "$hash" >"$BIN.sha256"
fi

# Only the variables the files name: nothing from the caller's environment leaks in.
env -i PATH="$PATH" "$BIN" docker-compose.yml 2>&1 | sed 's/^/compose: /' || exit 1
required=(AUTH_ISSUER=https://identity.example AUTH_AUDIENCE=mfa-service MFA_ENCRYPTION_KEY=placeholder
  MFA_BACKUP_CODE_PEPPER=placeholder MFA_TOKEN_SIGNING_KEYS=placeholder MAGIC_LINK_BASE_URL=https://mfa.example/activate
  WEBAUTHN_RP_ID=example.com WEBAUTHN_ORIGINS=https://example.com KAFKA_CLUSTER_ID=KYknVOv3QD-tS-ZTIvdNfQ)
env -i PATH="$PATH" "${required[@]}" "$BIN" docker-compose.prod.yml 2>&1 | sed 's/^/compose: /' || exit 1
if out="$(env -i PATH="$PATH" "$BIN" docker-compose.prod.yml 2>&1)"; then
  echo "compose: FAIL docker-compose.prod.yml loads without its secrets (a default crept in)" >&2
  exit 1
fi
grep -q "required variable" <<<"$out" || { echo "compose: unexpected failure: $out" >&2; exit 1; }
echo "compose: ok   docker-compose.prod.yml refuses to load without its required variables"
