#!/usr/bin/env bash
# The files of the ledger-secrets Secret (deploy/k8s/kustomization.yaml's secretGenerator),
# written into deploy/k8s/secrets/ (or DIR): admin-token and internal-secret (random, 43
# characters), and database-url from LEDGER_DATABASE_URL (your PostgreSQL, with its password).
# An existing file is kept, so running it again changes nothing.
# Usage: LEDGER_DATABASE_URL=postgresql://user:password@host:5432/ledger bash deploy/k8s/secrets.sh [DIR]
set -euo pipefail
dir="${1:-$(dirname "$0")/secrets}"
mkdir -p "$dir"
chmod 0700 "$dir"

random() { head -c 32 /dev/urandom | base64 | tr -d '/+=\n'; }

write() {  # name value: the file, unless it is there already
  local path="$dir/$1"
  if [ ! -s "$path" ]; then
    (umask 077 && printf '%s' "$2" > "$path")
    echo "wrote $path"
  fi
}

write admin-token "$(random)"
write internal-secret "$(random)"
if [ ! -s "$dir/database-url" ]; then
  if [ -z "${LEDGER_DATABASE_URL:-}" ]; then
    echo "secrets.sh: set LEDGER_DATABASE_URL to the PostgreSQL the ledger uses (postgresql://...)" >&2
    exit 2
  fi
  write database-url "$LEDGER_DATABASE_URL"
fi
