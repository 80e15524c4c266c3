# Sourced by the scripts: `install_dependencies` installs the locked dependencies (output on stderr).
# protobufjs (through @google/genai) has a postinstall that only checks the version scheme of the
# packages depending on it; Bun blocks it, as it should, and says so on every fresh install. That
# one expected line is dropped; any other blocked script ("Blocked 2 postinstalls") still shows.
install_dependencies() {
  bun install --frozen-lockfile 2>&1 | sed '/^Blocked 1 postinstall\. Run `bun pm untrusted` for details\.$/d' >&2
}
