#!/bin/sh
# Run every test: the cmocka unit tests of BUILD, the store conformance
# suite again on a throw-away PostgreSQL cluster (tests/pg.sh), then the
# end-to-end suite (tests/e2e) against BUILD/certa.  Ends with "N passed,
# N failed".
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
passed=0
failed=0
log=$(mktemp)
pgdir=""
cleanup() {
	rm -f "$log"
	[ -z "$pgdir" ] || ./tests/pg.sh stop "$pgdir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for t in "$BUILD"/*_test; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	if "$t" >"$log" 2>&1; then status=ok; else status=FAIL; fi
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	p=${p:-0}
	f=${f:-0}
	if [ "$status" = FAIL ] && [ "$f" -eq 0 ]; then
		f=1	# crashed or leaked: count it
	fi
	echo "unit $name: $p passed, $f failed"
	if [ "$status" = FAIL ]; then
		cat "$log"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

# The same store conformance suite against PostgreSQL: a throw-away
# cluster (tests/pg.sh) on a free 127.0.0.1 port, stopped on exit.  The
# e2e suite (test_postgres.py) uses it too.
if [ -x "$BUILD/store_test" ]; then
	pgdir=$(mktemp -d /tmp/certa-pg-XXXXXX)
	if dsn=$(./tests/pg.sh start "$pgdir" 2>"$log"); then
		export CERTA_TEST_PG_DSN="$dsn"
		if CERTA_TEST_STORE_DSN="$dsn" "$BUILD/store_test" >"$log" 2>&1
		then status=ok; else status=FAIL; fi
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		p=${p:-0}
		f=${f:-0}
		[ "$status" = ok ] || [ "$f" -ne 0 ] || f=1
	else
		status=FAIL
		p=0
		f=1
	fi
	echo "unit store_test (postgres): $p passed, $f failed"
	[ "$status" = ok ] || cat "$log"
	passed=$((passed + p))
	failed=$((failed + f))
fi

./tools/checksrc >"$log" 2>&1
p=$(sed -n 's/^checksrc: \([0-9]*\) passed, \([0-9]*\) failed/\1/p' "$log")
f=$(sed -n 's/^checksrc: \([0-9]*\) passed, \([0-9]*\) failed/\2/p' "$log")
echo "checksrc: ${p:-0} passed, ${f:-1} failed"
[ "${f:-1}" -eq 0 ] || cat "$log"
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-1}))

CERTA_BIN="$ROOT/$BUILD/certa" python3 tests/e2e/run.py >"$log" 2>&1
rc=$?
cat "$log"
p=$(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -1)
f=$(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$log" | tail -1)
if [ -z "$p" ]; then
	p=0
	f=1
fi
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
	f=1
fi
passed=$((passed + p))
failed=$((failed + f))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
