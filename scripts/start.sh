#!/usr/bin/env bash
# One command from a fresh clone to the sample project open in a real VS Code with Ask Data loaded:
# installs what is missing, builds the extension and the sample database, then starts code-server
# (VS Code in the browser) and prints its URL. With `code` on PATH and a display, opens desktop
# VS Code instead. Stop it with Ctrl+C.
#
#   ASKDATA_PORT=8080  the port to serve on (default: 8080, or the next free one)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

bash scripts/install-system.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
node esbuild.mjs
node scripts/build-sample.mjs

if command -v code >/dev/null 2>&1 && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${ASKDATA_BROWSER:-}" ]; then
  echo "Opening samples/shop in VS Code with Ask Data loaded from this checkout"
  exec code --extensionDevelopmentPath="$repo" "$repo/samples/shop"
fi

version="$(node -p "require('./test/e2e/version.json').codeServer")"
cache="${ASKDATA_CACHE:-$HOME/.cache/ask-data}"
state="$cache/start"
publisher_name_version="$(node -p "const p=require('./package.json'); p.publisher+'.'+p.name+'-'+p.version")"
mkdir -p "$state/extensions" "$state/user-data/User"
ln -sfn "$repo" "$state/extensions/$publisher_name_version"
if [ ! -f "$state/user-data/User/settings.json" ]; then
  cat > "$state/user-data/User/settings.json" <<'JSON'
{
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "extensions.ignoreRecommendations": true
}
JSON
fi
printf 'auth: none\ncert: false\n' > "$state/user-data/config.yaml"

port="${ASKDATA_PORT:-8080}"
while (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
url="http://127.0.0.1:$port/?folder=$repo/samples/shop"
echo
echo "Ask Data is ready. Open this URL in a browser:"
echo
echo "    $url"
echo
echo "Then: the Ask Data icon in the activity bar for the approval queue; Ctrl+Shift+P → \"Ask data\"."
echo "(Ctrl+C stops the server.)"
exec "$cache/code-server-$version/node_modules/.bin/code-server" \
  --auth none --bind-addr "127.0.0.1:$port" \
  --extensions-dir "$state/extensions" --user-data-dir "$state/user-data" \
  --disable-telemetry --disable-update-check --disable-workspace-trust \
  --config "$state/user-data/config.yaml" "$repo/samples/shop"
