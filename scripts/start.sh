#!/usr/bin/env bash
# Sets up and runs the service from source. With nothing configured it serves the bundled demo
# mapping (model "demo") on port 4000. Every setting in docs/configuration.md applies.
set -euo pipefail
# Paths given relative to where the script is called from, before it moves to the project.
for name in LOCAL_MODEL_PROVIDERS_CONFIG_PATH EVENTS_SPOOL_DIR; do
  value="${!name:-}"
  if [ -n "$value" ] && [ "${value#/}" = "$value" ]; then export "$name=$PWD/$value"; fi
done
cd "$(dirname "$0")/.."
. scripts/lib/ensure-bun.sh
. scripts/lib/install-dependencies.sh
install_dependencies
# Bun's fetch runs at most 256 upstream calls at once unless told otherwise.
export BUN_CONFIG_MAX_HTTP_REQUESTS="${BUN_CONFIG_MAX_HTTP_REQUESTS:-10000}"
# Bun's allocator returns freed memory to the system only much later unless this is set (ms).
export MIMALLOC_PURGE_DELAY="${MIMALLOC_PURGE_DELAY:-100}"
# JavaScriptCore sizes its heap for this much memory (1 GB) rather than the whole machine's.
export BUN_JSC_forceRAMSize="${BUN_JSC_forceRAMSize:-1073741824}"
exec bun run src/main.ts
