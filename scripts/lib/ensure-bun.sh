# Sourced by the scripts: makes sure Bun (the version this project pins) is the `bun` on PATH.
BUN_VERSION="1.4.5"
if ! command -v bun >/dev/null 2>&1 || [ "$(bun --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  echo "installing Bun $BUN_VERSION from the npm registry" >&2
  npm install -g --no-fund --no-audit "bun@$BUN_VERSION" >&2
  # An older bun earlier on PATH would still be the one run: npm's global bin goes first.
  PATH="$(npm prefix -g)/bin:$PATH"
  export PATH
  hash -r
  found="$(bun --version 2>/dev/null || true)"
  if [ "$found" != "$BUN_VERSION" ]; then
    echo "Bun $BUN_VERSION was installed, but the bun on PATH ($(command -v bun || echo none)) is version ${found:-unknown}" >&2
    exit 1
  fi
fi
