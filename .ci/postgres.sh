#!/usr/bin/env bash
# Debian's PostgreSQL server for tests/intake/sync and `make bench` (scripts/bench_central.py):
# they initdb and start their own throwaway server, so only the binaries are needed (initdb,
# pg_ctl, postgres under /usr/lib/postgresql/<major>/bin). Idempotent: installs only what is
# missing. Run it with bash from .ci/run; it does not change the caller's shell options.
set -euo pipefail

if ! dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q "install ok installed"; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
fi

# The package's own cluster is not used; the tests start theirs on a free port.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
    || { echo "postgres.sh: initdb missing after install" >&2; exit 1; }
# As root the tests run the server as the `postgres` account the package creates.
id postgres >/dev/null 2>&1 || { echo "postgres.sh: no postgres account after install" >&2; exit 1; }
