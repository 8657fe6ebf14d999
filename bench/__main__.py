"""Run every benchmark module (bench/bench_*.py), or those named: python -m bench board."""

import importlib
import pkgutil
import sys

import bench


def main(argv: list[str]) -> int:
    names = sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules(bench.__path__)
        if info.name.startswith("bench_")
    )
    chosen = argv or names
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}")
        return 2
    if not names:
        print("no benchmarks yet")
        return 0
    for name in chosen:
        print(f"== {name} ==", flush=True)
        importlib.import_module(f"bench.bench_{name}").main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
