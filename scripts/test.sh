#!/usr/bin/env bash
# Sets up and runs the whole test suite on a fresh machine: Bun, RabbitMQ from Debian's packages
# (the usage-event tests start private broker nodes of their own) and wrk, the locked dependencies, the
# type check and the linter, then `bun test`. Extra arguments go to `bun test` (e.g. a path filter).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/ensure-bun.sh
. scripts/lib/install-dependencies.sh

# RabbitMQ for the usage-event tests, Redis for the rate-limit tests, wrk for the benchmark's smoke test,
# Prometheus (and promtool) for the alert rules and the dashboard's queries, docker-compose to validate
# the compose file.
missing=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

install_dependencies
bun run typecheck
# Lint rules only (biome.jsonc); formatting is checked once the tree has been formatted (`biome check .`).
bun run lint

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# Tests talk to real servers (fake upstreams, RabbitMQ, child processes): 30 s a test, not the
# runner's default 5 s, which a busy machine can exceed. (bunfig.toml has no setting for it.)
bun test --timeout 30000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
echo "tests: $passed passed, $failed failed"
exit "$status"
