#!/usr/bin/env python3
"""Run the end-to-end suite: every tests/e2e/test_*.py, against the real
certa binary ($CERTA_BIN) and real peers (openssl, curl, ...).
Prints one line per test and ends with "e2e: N passed, N failed"."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class Result(unittest.TextTestResult):
    pass


def main():
    sys.path.insert(0, HERE)
    pattern = sys.argv[1] if len(sys.argv) > 1 else "test_*.py"
    suite = unittest.defaultTestLoader.discover(HERE, pattern=pattern)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=Result,
                                     stream=sys.stdout)
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    skipped = len(res.skipped)
    passed = res.testsRun - failed - skipped
    # A skipped test is not a pass: it is reported, and counts as failed.
    print("e2e: %d passed, %d failed%s" % (
        passed, failed + skipped,
        (" (%d skipped, counted as failed)" % skipped) if skipped else ""))
    return 0 if failed + skipped == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
