#!/usr/bin/env python3
"""Fails if a module includes a module above it (docs/architecture.md lists the order), or if
scv2-sim includes any of inferload's own code."""
import os
import re
import sys

ORDER = ["runtime", "metrics", "load", "net", "tls", "http1", "http2", "grpc", "oip", "kafka", "scv2", "scenario", "output", "app"]
# The engine decides when iterations start and knows no protocol; the protocols know no engine.
# Only the scenario layer, which says what an iteration does, sees both.
PROTOCOLS = ["net", "tls", "http1", "http2", "grpc", "oip", "kafka", "scv2"]
INCLUDE = re.compile(r'#\s*include\s*"inferload/([a-z0-9_]+)/')


def files_of(root):
    for dirpath, _, names in os.walk(root):
        for n in names:
            if n.endswith((".hpp", ".cpp", ".h")):
                yield os.path.join(dirpath, n)


def main(top):
    problems = []
    for module in ORDER:
        rank = ORDER.index(module)
        for base in (os.path.join(top, "src", module), os.path.join(top, "include", "inferload", module)):
            if not os.path.isdir(base):
                continue
            for path in files_of(base):
                with open(path, encoding="utf-8") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.search(line)
                        if m and m.group(1) in ORDER and ORDER.index(m.group(1)) > rank:
                            problems.append(f"{os.path.relpath(path, top)}:{lineno}: {module} includes the higher module {m.group(1)}")
                        if m and module in PROTOCOLS and m.group(1) == "load":
                            problems.append(f"{os.path.relpath(path, top)}:{lineno}: protocol module {module} includes the engine (load)")
    for path in files_of(os.path.join(top, "tools", "scv2-sim")):
        with open(path, encoding="utf-8") as f:
            if INCLUDE.search(f.read()):
                problems.append(f"{os.path.relpath(path, top)}: scv2-sim must not include inferload's code")
    for p in problems:
        print(p)
    print(f"layering: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")))
