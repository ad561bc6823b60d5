"""libFM fits with and without the speed patches of scripts/install/patch_wpyfm.py (``fast-sgd``,
``fast-eterms``), side by side: the project's wpyfm build against a reference build of the same sdist
without those two patches.

Workloads: ``recdyn.fit.libfm.fit_libfm`` with one-hot users and items (1,000 x 1,700, 150,000
ratings): SGD for 100 epochs (chapter 2's SGD-MF, the ml-100k environment fit) and an MCMC chain of
30 samples (Bayes MF, the ml-100k fit), each at dim 20 (chapter 2's grids) and 100 (the ml-100k
environment). Each fit runs in a fresh process (alternating builds, ``--repeats`` rounds); the
script prints CPU nanoseconds per case and epoch or sample (best and median over rounds, the fit's
Python set-up included) and checks that both builds give bit-for-bit the same parameters (MCMC:
the last sample).

Run: ``.venv/bin/python benchmarks/bench_libfm.py [--reference-site DIR] [--repeats 3]``.
Without ``--reference-site`` it builds the reference once into ``benchmarks/.cache/wpyfm-reference``
with ``WPYFM_TARGET``/``WPYFM_WITHOUT`` scripts/install/build_wpyfm.sh (about 30 s).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_USERS, N_ITEMS, N_RATINGS = 1000, 1700, 150_000
ITERATIONS = {"sgd": 100, "mcmc": 30}
DIMS = (20, 100)
PATCHES = ("fast-sgd", "fast-eterms")

# One fit in a child process: prints its CPU seconds and saves the parameters.
CHILD = """
import sys, time
import numpy as np
from recdyn.fit.libfm import fit_libfm
from recdyn.logs import limit_threads
limit_threads(1)
method, dim, iterations, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = np.random.default_rng(0)
cells = rng.choice({nu} * {ni}, {n}, replace=False)
users, items = cells // {ni}, cells % {ni}
ratings = rng.integers(1, 6, {n}).astype(float)
start = time.process_time()
sgd = dict(lr=0.005, reg=[0.0, 0.04, 0.04]) if method == "sgd" else {{}}
m = fit_libfm(users, items, ratings, {nu}, {ni}, method=method, dim=dim, num_iter=iterations,
              init_stdev=1.0 if method == "sgd" else 0.1, seed=3, **sgd)
print(time.process_time() - start)
np.savez(out, m.global_bias, m.user_bias, m.item_bias, m.user_factors, m.item_factors)
""".format(nu=N_USERS, ni=N_ITEMS, n=N_RATINGS)


def build_reference(site: Path) -> None:
    """The project's wpyfm build without the speed patches, installed into ``site``."""
    env = dict(os.environ, WPYFM_TARGET=str(site), WPYFM_WITHOUT=" ".join(PATCHES))
    subprocess.run(["bash", str(ROOT / "scripts/install/build_wpyfm.sh"), sys.executable],
                   env=env, check=True)


def _env(site: Path | None) -> dict[str, str]:
    """The environment of a child process importing ``site``'s wpyfm (None: the project's build)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return env if site is None else env | {"PYTHONPATH": str(site)}


def fit(site: Path | None, method: str, dim: int, out: Path) -> float:
    done = subprocess.run([sys.executable, "-c", CHILD, method, str(dim), str(ITERATIONS[method]), str(out)],
                          env=_env(site), check=True, capture_output=True, text=True)
    return float(done.stdout.split()[-1])


def patches(site: Path | None) -> list[str]:
    code = "from wpyfm.pyfm import PyFM; print(' '.join(PyFM.recdyn_patches()))"
    return subprocess.run([sys.executable, "-c", code], env=_env(site), check=True, capture_output=True,
                          text=True).stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-site", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    site = args.reference_site or ROOT / "benchmarks/.cache/wpyfm-reference"
    if args.reference_site is None and not (site / "wpyfm").is_dir():
        build_reference(site)
    if set(PATCHES) & set(patches(site)) or not set(PATCHES) <= set(patches(None)):
        raise SystemExit(f"need a reference build without {PATCHES} ({site}) and a project build with them")
    print("| fit | dim | max abs diff | reference ns/case (best, median) | patched ns/case (best, median) | speed-up (best) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for method in ITERATIONS:
            cases = N_RATINGS * ITERATIONS[method]
            for dim in DIMS:
                times: dict[str, list[float]] = {"reference": [], "patched": []}
                for _ in range(args.repeats):
                    for name, where in (("reference", site), ("patched", None)):
                        times[name].append(fit(where, method, dim, Path(tmp) / f"{name}.npz"))
                ref, new = np.load(Path(tmp) / "reference.npz"), np.load(Path(tmp) / "patched.npz")
                diff = max(float(np.max(np.abs(ref[k] - new[k]))) for k in ref.files)
                best = {k: min(v) / cases * 1e9 for k, v in times.items()}
                median = {k: float(np.median(v)) / cases * 1e9 for k, v in times.items()}
                print(f"| {method} | {dim} | {diff:.0e} | {best['reference']:.0f}, {median['reference']:.0f} | "
                      f"{best['patched']:.0f}, {median['patched']:.0f} | {best['reference'] / best['patched']:.2f}x |")


if __name__ == "__main__":
    main()
