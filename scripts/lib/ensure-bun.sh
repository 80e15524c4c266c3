# Sourced by the scripts: makes sure Bun (the version this project pins) is on PATH.
BUN_VERSION="1.4.5"
if ! command -v bun >/dev/null 2>&1 || [ "$(bun --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  echo "installing Bun $BUN_VERSION from the npm registry" >&2
  npm install -g --no-fund --no-audit "bun@$BUN_VERSION" >&2
  hash -r
fi
