"""The benchmark: this product against the original procedure, on the GitHub emulator.

`python -m bench.run --size small` (see docs/benchmark.md).
"""
