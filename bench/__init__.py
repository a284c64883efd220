"""Benchmarks of the digit server: `python -m bench.load` (or `make bench`)."""
