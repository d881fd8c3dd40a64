#!/usr/bin/env python3
"""Prints a test run's summary from its trx file: the failed tests with the first lines of their message, the N slowest tests,
the time per test class, and the last lines of each failed test's output. test.sh prints it last, so the tail of a CI log names what failed and what was slow."""
import sys
from datetime import datetime
import xml.etree.ElementTree as ET
from collections import Counter

OUTPUT_LINES = 60
NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"


def seconds(text):
    hours, minutes, secs = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(secs)


def main(path, slowest=20):
    root = ET.parse(path).getroot()
    results = []
    for r in root.iter(NS + "UnitTestResult"):
        message = r.find(f"{NS}Output/{NS}ErrorInfo/{NS}Message")
        stdout = r.find(f"{NS}Output/{NS}StdOut")
        results.append((seconds(r.get("duration", "0:0:0")), r.get("testName"), r.get("outcome"),
                        message.text if message is not None and message.text else "",
                        stdout.text if stdout is not None and stdout.text else ""))
    times = root.find(NS + "Times")
    failed = [r for r in results if r[2] == "Failed"]
    print(f"\n== {len(results)} tests, {len(failed)} failed, {sum(r[0] for r in results) / 60:.1f} min of test time (summed)")
    if times is not None and times.get("start") and times.get("finish"):
        # With parallel collections (docs/testing.md) the wall time is what a reader waits for, not the sum above.
        wall = (datetime.fromisoformat(times.get("finish")[:26]) - datetime.fromisoformat(times.get("start")[:26])).total_seconds()
        print(f"   run: {times.get('start')} .. {times.get('finish')}: {wall / 60:.1f} min wall")
    by_class = Counter()
    for d, name, _, _, _ in results:
        by_class[name.split("(")[0].rsplit(".", 1)[0]] += d
    print("\n== time per test class (top 10)")
    for cls, d in by_class.most_common(10):
        print(f"{d:8.1f} s  {cls}")
    print(f"\n== {slowest} slowest tests")
    for d, name, outcome, _, _ in sorted(results, key=lambda r: r[0], reverse=True)[:slowest]:
        print(f"{d:8.1f} s  {outcome:7} {name[:160]}")
    if failed:
        print("\n== failed tests")
        for d, name, _, message, stdout in failed:
            first = "\n      ".join(message.strip().splitlines()[:6])
            print(f"  {name}\n      {first}")
            # The test's own output, last lines only: a CI log is often all there is of a run (its trx stays on that machine).
            tail = stdout.strip().splitlines()[-OUTPUT_LINES:]
            if tail:
                print(f"      -- last {len(tail)} lines of its output:\n        " + "\n        ".join(line[:400] for line in tail))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20))
