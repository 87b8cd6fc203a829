#!/usr/bin/env bash
# The sample shop in a throwaway PostgreSQL, for trying the postgres target by hand:
#   eval "$(bash scripts/sample-postgres.sh start)"    # starts it, loads the sample, sets PGHOST … PGDATABASE
#   npx askdata run --project samples/shop --target postgres "select count(*) from customers"
#   bash scripts/sample-postgres.sh stop                # stops it and removes its folder
# Needs Debian's postgresql (bash scripts/install-system.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  start) exec node scripts/sample-postgres.mjs start ;;
  stop) exec node scripts/sample-postgres.mjs stop ;;
  *) echo "usage: bash scripts/sample-postgres.sh start|stop" >&2; exit 2 ;;
esac
