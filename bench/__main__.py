"""Run the benchmarks: `python -m bench [name ...]`."""
from __future__ import annotations

import importlib
import platform
import sys
from datetime import UTC, datetime

from bench.harness import BENCHMARKS


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    print(f"# Benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"Python {platform.python_version()}, {platform.machine()}")
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        print(f"\n## {name}: {BENCHMARKS[name]}")
        for result in module.run():
            print(result.line())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
