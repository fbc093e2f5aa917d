"""Benchmarks: each module runs as `python -m benchmarks.<name>` and writes figures in one shape
(`benchmarks.kit`); `make bench` runs them all (scripts/bench.py), `make bench-big` runs `big`.

Nothing at runtime imports this package; it may import anything.
"""
