"""Benchmarks: `make bench` runs every module listed in BENCHMARKS and prints a report.

Each benchmark module has `run() -> list[Result]`. Numbers go into docs/BENCHMARKS.md by hand,
with the date and the machine, never into timed assertions in the test suite.
"""
