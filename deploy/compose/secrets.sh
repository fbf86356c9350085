#!/usr/bin/env bash
# Random secrets for deploy/compose.yaml, written once into deploy/compose/secrets/ (or DIR):
# admin_token and internal_secret (43 characters each), postgres_password, and database_url,
# which names that same password. An existing file is kept, so running it again changes nothing.
# Usage: bash deploy/compose/secrets.sh [DIR]
set -euo pipefail
dir="${1:-$(dirname "$0")/secrets}"
mkdir -p "$dir"
chmod 0700 "$dir"   # the files themselves must be readable by the containers' own users

random() { head -c 32 /dev/urandom | base64 | tr -d '/+=\n'; }

write() {  # name value: the file, unless it is there already
  local path="$dir/$1"
  if [ ! -s "$path" ]; then
    (umask 022 && printf '%s\n' "$2" > "$path")
    echo "wrote $path"
  fi
}

write admin_token "$(random)"
write internal_secret "$(random)"
write postgres_password "$(random)"
write database_url "postgresql://ledger:$(cat "$dir/postgres_password")@postgres:5432/ledger"
