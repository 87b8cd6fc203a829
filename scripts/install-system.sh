#!/usr/bin/env bash
# Installs what the end-to-end tests and `npm start` need outside npm's dependency tree:
# Debian's Chromium (Playwright cannot download its own browser here), Debian's PostgreSQL (the
# PostgreSQL engine's tests start throwaway clusters with its initdb and pg_ctl) and code-server,
# the real VS Code build we can get from the npm registry. Idempotent and cached, so a second run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."

# One place says which code-server the tests and `npm start` use.
CODE_SERVER_VERSION="$(node -p "require('./test/e2e/version.json').codeServer")"
CACHE="${ASKDATA_CACHE:-$HOME/.cache/ask-data}"
CODE_SERVER_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ask-data: need Debian packages: ${need_apt[*]} — run as root, or: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
  echo "ask-data: installing Debian packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# Debian's package starts a cluster of its own on port 5432; the tests never use it.

if [ -x "$CODE_SERVER_DIR/node_modules/.bin/code-server" ]; then
  echo "ask-data: code-server $CODE_SERVER_VERSION cached in $CODE_SERVER_DIR"
  exit 0
fi

echo "ask-data: installing code-server $CODE_SERVER_VERSION into $CODE_SERVER_DIR (about a minute)"
# @vscode/ripgrep's postinstall downloads rg from a host we cannot reach, but it looks in its
# download cache first: seed that cache with Debian's rg.
rg_cache=/tmp/vscode-ripgrep-cache-1.15.11
rg_pkg="$(mktemp -d)"
mkdir -p "$rg_cache"
cp "$(command -v rg)" "$rg_pkg/rg"
for t in x86_64-unknown-linux-musl x86_64-unknown-linux-gnu; do
  tar czf "$rg_cache/ripgrep-v13.0.0-10-$t.tar.gz" -C "$rg_pkg" rg
done
rm -rf "$rg_pkg"

tmp="$CODE_SERVER_DIR.partial"
rm -rf "$tmp"
mkdir -p "$tmp"
# npm_config_yes: node-pty's postinstall runs `npx node-gyp`, which would otherwise wait for a yes.
npm_config_yes=true npm install --prefix "$tmp" "code-server@$CODE_SERVER_VERSION" \
  --unsafe-perm --no-audit --no-fund --loglevel=error
mv "$tmp" "$CODE_SERVER_DIR"
echo "ask-data: code-server ready"
