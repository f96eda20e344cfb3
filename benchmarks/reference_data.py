"""Time loading the built-in reference data, and a default build, against a baseline.

Each built-in dataset (and the optional township dataset) is loaded with
``tieskg.loaders.load_dataset`` in a process of its own: the figures are the load alone
and the whole process (Python start, imports, load). The baseline, in the same run, is
rdflib parsing the same quads from an N-Quads file (what loading a published dump of the
data would cost); the ratio is ours/baseline (below 1: we are faster). Last, ``tieskg
build`` of the default datasets into a fresh store, end to end.

    python benchmarks/reference_data.py [--repeat 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_LOAD = """
import sys, time
started = time.perf_counter()
from pathlib import Path
from tieskg.loaders import load_dataset
imported = time.perf_counter()
loaded = load_dataset(Path(sys.argv[1]))
done = time.perf_counter()
quads = sum(len(q) for q in loaded.quads.values())
if len(sys.argv) > 2:
    from rdflib import Dataset
    ds = Dataset()
    for s, p, o, g in loaded.all_quads():
        ds.add((s, p, o, ds.graph(g)))
    ds.serialize(sys.argv[2], format="nquads")
print(done - imported, done - started, loaded.records, quads, len(loaded.unused))
"""

_RDFLIB = """
import sys, time
started = time.perf_counter()
from rdflib import Dataset
imported = time.perf_counter()
Dataset().parse(sys.argv[1], format="nquads")
print(time.perf_counter() - imported)
"""


def _python(code: str, *args: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True,
                         capture_output=True, text=True)
    return out.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    from tieskg.loaders import builtin_datasets, optional_datasets

    folders = {Path(str(f)).name: Path(str(f)) for f in builtin_datasets()}
    folders.update({name: Path(str(f)) for name, f in optional_datasets().items()})
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'dataset':<26}{'records':>9}{'quads':>9}{'unused':>8}{'load s':>9}"
              f"{'process s':>11}{'rdflib s':>10}{'ratio':>7}")
        for name, folder in folders.items():
            dump = Path(tmp) / f"{name}.nq"
            runs = [_python(_LOAD, str(folder), *([str(dump)] if i == 0 else []))
                    for i in range(args.repeat)]
            load = statistics.median(float(r[0]) for r in runs)
            process = statistics.median(float(r[1]) for r in runs)
            records, quads, unused = (int(x) for x in runs[0][2:5])
            baseline = statistics.median(float(_python(_RDFLIB, str(dump))[0])
                                         for _ in range(args.repeat))
            results[name] = {"records": records, "quads": quads, "unused_rows": unused,
                             "load_s": load, "process_s": process, "rdflib_parse_s": baseline,
                             "ratio": load / baseline}
            print(f"{name:<26}{records:>9,}{quads:>9,}{unused:>8,}{load:>9.2f}{process:>11.2f}"
                  f"{baseline:>10.2f}{load / baseline:>7.2f}")
        builds = []
        for i in range(args.repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tieskg", "--store", f"{tmp}/store{i}",
                            "build"], check=True, capture_output=True)
            builds.append(time.perf_counter() - started)
        results["tieskg build (default datasets)"] = {"seconds": statistics.median(builds)}
        print(f"tieskg build of the default datasets, end to end: "
              f"{statistics.median(builds):.1f} s (median of {args.repeat})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
