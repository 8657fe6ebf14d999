"""Benchmarks: each bench_*.py module has main() and prints ratios measured in one run."""
