"""Time loading a large user table (organizations CSV) against reading it with csv alone.

Writes N made-up organization rows (names "Synthetic company N", valid unified social
credit codes, regions given by code, by Chinese name and by parent/name, industries by
scheme:code) to a temporary CSV and measures, in this process:

- building the resolver over the default build's reference data (once per load),
- ``load_user_file``: reading, resolving, checking and mapping every row to RDF,
- the baseline: Python's csv module reading the same file (the floor for any loader),

and prints the figures and the ratio ours/baseline. With ``--end-to-end`` it also times
the command a user runs, ``tieskg load FILE --as organizations`` (which records the file in
a project file and rebuilds the store: reference data, the load, derivation, SHACL), against
``tieskg build`` of the same store without the file, each a fresh process on a fresh store:

    python benchmarks/user_data.py --rows 100000 --end-to-end
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _credit_code(body: str) -> str:
    from tieskg.loaders.resolve import CREDIT_CODE_CHARACTERS, CREDIT_CODE_WEIGHTS

    total = sum(CREDIT_CODE_CHARACTERS.index(c) * w
                for c, w in zip(body, CREDIT_CODE_WEIGHTS, strict=True))
    return body + CREDIT_CODE_CHARACTERS[(31 - total % 31) % 31]


def write_rows(path: Path, rows: int, seed: int) -> None:
    """``rows`` organization rows, every one valid."""
    rng = random.Random(seed)
    regions = ["330604", "上虞区", "绍兴市/上虞区", "310000", "Shanghai", "330100", "杭州市"]
    industries = ["gbt-4754-2017:26", "gbt-4754-2017:27", "sei-2018:3", "isic-rev4:2100"]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["name_en", "credit_code", "located_in", "industry"])
        for n in range(rows):
            writer.writerow([f"Synthetic company {n}", _credit_code(f"913306{n:011d}"),
                             rng.choice(regions), rng.choice(industries)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--end-to-end", action="store_true",
                        help="also time `tieskg load` against `tieskg build`, as commands")
    args = parser.parse_args()
    from tieskg.graph.build import populate
    from tieskg.graph.store import OxigraphStore
    from tieskg.loaders import builtin_datasets, load_dataset
    from tieskg.loaders.resolve import Resolver
    from tieskg.loaders.user_data import LoadRequest, load_user_file, resolver_lookup

    store = OxigraphStore.in_memory()
    populate(store, [load_dataset(Path(str(f))) for f in builtin_datasets()])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "organizations.csv"
        write_rows(path, args.rows, args.seed)
        started = time.perf_counter()
        with path.open(encoding="utf-8", newline="") as handle:
            baseline_rows = sum(1 for _ in csv.DictReader(handle))
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        lookup = resolver_lookup(Resolver.from_store(store))
        resolver_seconds = time.perf_counter() - started
        started = time.perf_counter()
        result = load_user_file(LoadRequest(path, "organizations", "benchmark"), lookup)
        load_seconds = time.perf_counter() - started
        commands = _end_to_end(path, Path(tmp)) if args.end_to_end else None
    total = resolver_seconds + load_seconds
    print(f"rows: {result.rows_read:,} read, {result.rows_loaded:,} loaded, "
          f"{result.rows_read - result.rows_loaded:,} quarantined; "
          f"{len(result.quads):,} quads")
    print(f"resolver over the reference data: {resolver_seconds:.2f} s")
    print(f"load_user_file: {load_seconds:.2f} s ({result.rows_read / load_seconds:,.0f} rows/s)")
    print(f"total: {total:.2f} s")
    print(f"baseline, csv.DictReader alone: {baseline:.2f} s for {baseline_rows:,} rows; "
          f"ratio ours/baseline {total / baseline:.0f}")
    if commands is not None:
        build_seconds, load_command_seconds = commands
        print(f"`tieskg build` (reference data, no user file): {build_seconds:.1f} s")
        print(f"`tieskg load` of the file (rebuild with it): {load_command_seconds:.1f} s; "
              f"the file's share {load_command_seconds - build_seconds:.1f} s; "
              f"ratio load/build {load_command_seconds / build_seconds:.2f}")


def _end_to_end(path: Path, folder: Path) -> tuple[float, float]:
    """Wall seconds of ``tieskg build`` and of ``tieskg load`` of ``path``, fresh stores."""
    tieskg = [sys.executable, "-m", "tieskg"]

    def timed(store: str, *arguments: str) -> float:
        started = time.perf_counter()
        subprocess.run([*tieskg, "--store", str(folder / store), *arguments], check=True,
                       stdout=subprocess.DEVNULL)
        return time.perf_counter() - started

    build_seconds = timed("built", "build")
    load_seconds = timed("loaded", "load", str(path), "--as", "organizations",
                         "--project", str(folder / "tieskg.yaml"))
    return build_seconds, load_seconds


if __name__ == "__main__":
    main()
