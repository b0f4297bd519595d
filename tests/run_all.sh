#!/bin/sh
# Run every test: the cmocka unit tests of BUILD, then the end-to-end
# suite (tests/e2e) against BUILD/certa.  Ends with "N passed, N failed".
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

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
