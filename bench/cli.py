"""``python -m bench [NAME ...] [--quick] [-p KEY=VALUE ...] [--out DIR]``: run benchmarks.

With no NAME every benchmark runs. Each one prints a short summary and
writes ``<out>/<name>.json`` (default ``bench/results/``). A missed target is
a result, not an error: the exit status is 1 only when a benchmark could not
run.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import api, dispatch, schedule, store
from bench.common import RESULTS, write_result

BENCHMARKS: dict[str, ModuleType] = {m.NAME: m for m in (api, store, dispatch, schedule)}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        for name, module in BENCHMARKS.items():
            fields = {f.name: f.default for f in dataclasses.fields(module.Params)}
            quick = dataclasses.asdict(module.Params.quick())
            print(f"{name}: " + ", ".join(f"{k}={v} (quick {quick[k]})" for k, v in fields.items()))
        return 0
    names = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    try:
        overrides = _overrides(args.param, [BENCHMARKS[n] for n in names])
    except ValueError as error:
        print(f"-p: {error}", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        failed += not _run_one(BENCHMARKS[name], args.quick, overrides, Path(args.out), args.keep)
    return 1 if failed else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="the smaller form of each benchmark")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                        help="override a parameter (see --list), e.g. -p rows=20000")
    parser.add_argument("--out", default=str(RESULTS), help="directory for the JSON results")
    parser.add_argument("--keep", action="store_true", help="keep each run's work directory (logs, databases)")
    parser.add_argument("--list", action="store_true", help="list benchmarks and their parameters")
    return parser


def _overrides(pairs: list[str], modules: list[ModuleType]) -> dict[str, str]:
    """KEY=VALUE pairs; each KEY must be a parameter of at least one chosen benchmark."""
    known = {f.name for m in modules for f in dataclasses.fields(m.Params)}
    found = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in known:
            raise ValueError(f"{pair!r}: expected KEY=VALUE with KEY one of {', '.join(sorted(known))}")
        found[key] = value
    return found


def _params(module: ModuleType, quick: bool, overrides: dict[str, str]) -> Any:
    params = module.Params.quick() if quick else module.Params()
    for f in dataclasses.fields(params):
        if f.name in overrides:
            setattr(params, f.name, _convert(type(getattr(params, f.name)), overrides[f.name]))
    return params


def _convert(kind: type, text: str) -> Any:
    if kind is bool:
        return text.lower() in ("1", "true", "yes", "on")
    if kind is int:
        return int(float(text))  # 1e6 is fine
    return kind(text)


def _run_one(module: ModuleType, quick: bool, overrides: dict[str, str], out: Path, keep: bool) -> bool:
    params = _params(module, quick, overrides)
    print(f"== {module.NAME} ({'quick' if quick else 'full'}): "
          + ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(params).items()), flush=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"tikmatrixd-bench-{module.NAME}-"))
    started = time.perf_counter()
    try:
        result = module.run(params, workdir)
    except Exception:
        traceback.print_exc()
        print(f"   {module.NAME} could not run (work directory kept: {workdir})", flush=True)
        return False
    data = result.to_json(quick, time.perf_counter() - started)
    path = write_result(data, out)
    for target in result.targets:
        print("   " + target.line())
    for note in result.notes:
        print(f"   note: {note}")
    print(f"   {data['seconds']:.0f} s; written to {path}", flush=True)
    if keep:
        print(f"   work directory: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return True

