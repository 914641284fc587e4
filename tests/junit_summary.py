#!/usr/bin/env python3
"""Summarises ctest JUnit reports: counts per report, then every skipped test
with its reason (the GTEST_SKIP() message, or what a script printed before
exiting 77), then one total line 'N passed, N failed, N skipped'. Exits 1
if any test failed."""
import re
import sys
import xml.etree.ElementTree as ET


def skip_reason(case):
    text = ""
    for tag in ("system-out", "system-err"):
        node = case.find(tag)
        if node is not None and node.text:
            text += node.text
    skipped = case.find("skipped")
    if skipped is not None and skipped.get("message"):
        text += "\n" + skipped.get("message")
    # GoogleTest prints "<file>:<line>: Skipped\n<message>".
    m = re.search(r"Skipped\n(.+?)(?:\n\[  SKIPPED|\Z)", text, re.S)
    if m and m.group(1).strip():
        return " ".join(m.group(1).split())
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for l in reversed(lines):
        if "skip" in l.lower():
            return l
    return lines[-1] if lines else "(no reason printed)"


def main(paths):
    total = {"passed": 0, "failed": 0, "skipped": 0}
    skipped = []
    failed = []
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except (ET.ParseError, FileNotFoundError) as e:
            print(f"{path}: unreadable report ({e})")
            total["failed"] += 1
            continue
        name = path.rsplit("/", 1)[-1].removesuffix(".xml")
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        for case in root.iter("testcase"):
            status = case.get("status", "")
            if case.find("skipped") is not None or status in ("notrun", "skipped"):
                counts["skipped"] += 1
                skipped.append((name, case.get("name"), skip_reason(case)))
            elif case.find("failure") is not None or case.find("error") is not None or status == "fail":
                counts["failed"] += 1
                failed.append((name, case.get("name")))
            else:
                counts["passed"] += 1
        for k in total:
            total[k] += counts[k]
        print(f"{name}: {counts['passed']} passed, {counts['failed']} failed, "
              f"{counts['skipped']} skipped")
    if skipped:
        print("\nSkipped tests and why:")
        for report, test, reason in skipped:
            print(f"  [{report}] {test}: {reason}")
    if failed:
        print("\nFailed tests:")
        for report, test in failed:
            print(f"  [{report}] {test}")
    print()
    print(f"{total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
