#!/usr/bin/env bash
# Issue 4's comparison: the till's catch-up round (tests/benches/catch_up.rs)
# and PouchDB replicating THE SAME records to an express-pouchdb server
# (tests/pouchdb/replicate.js), in one run on one machine, so the ratio
# compares like with like even when the machine is busy.
#
#   scripts/bench-pouchdb.sh                 # 18,000 sales (~198,000 records), SQLite head office
#   KASA_BENCH_SALES=3000 scripts/bench-pouchdb.sh
#   KASA_BENCH_BACKEND=postgres scripts/bench-pouchdb.sh   # needs KASA_TEST_POSTGRES_URL
#   KASA_POUCHDB_BATCH=1000 scripts/bench-pouchdb.sh       # PouchDB batch_size (default 100)
#
# Prints both result lines and "ratio ours/pouchdb = N.N" (records/s ÷ docs/s).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
records="$work/records.jsonl"

if [ ! -d tests/pouchdb/node_modules/pouchdb ] || [ ! -d tests/pouchdb/node_modules/express-pouchdb ]; then
  (cd tests/pouchdb && npm install --no-audit --no-fund)
fi

KASA_BENCH_EXPORT="$records" cargo bench -p kasa-tests --bench catch_up >"$work/ours.txt"
ours=$(grep '^catch_up ' "$work/ours.txt")
echo "$ours"

theirs=$(node tests/pouchdb/replicate.js "$records" --batch-size "${KASA_POUCHDB_BATCH:-100}")
echo "pouchdb $theirs"

node -e '
  const ours = Number(/records_per_s=(\d+)/.exec(process.argv[1])[1]);
  const oursRecords = Number(/records=(\d+)/.exec(process.argv[1])[1]);
  const theirs = JSON.parse(process.argv[2]);
  if (theirs.docs !== oursRecords) throw new Error(`pouchdb replicated ${theirs.docs} docs, we sent ${oursRecords}`);
  console.log(`ratio ours/pouchdb = ${(ours / theirs.docs_per_s).toFixed(1)} (${ours} records/s vs ${theirs.docs_per_s} docs/s, ${oursRecords} records)`);
' "$ours" "$theirs"
