"""benchmarks/bench_ml100k.py runs end to end on the synthetic stand-in (recdyn only, one split)."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_ml100k", ROOT / "benchmarks" / "bench_ml100k.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_stand_in_run_is_labelled_and_finite(tmp_path, capsys, monkeypatch):
    bench = _bench()
    monkeypatch.setattr(bench, "RAW_DIR", tmp_path / "raw")  # never the developer's staged data
    assert bench.main(["--no-surprise", "--models", "item_knn", "--splits", "u1", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    data = records[0]
    assert data["record"] == "data" and data["kind"] == "stand-in"
    assert bench.STAND_IN_LABEL in data["lines"]
    assert bench.STAND_IN_LABEL.startswith("STAND-IN DATA (synthetic, not MovieLens)")
    rows = [r for r in records if r["record"] == "split"]
    assert [(r["library"], r["model"], r["split"], r["n_test"]) for r in rows] == [("recdyn", "item_knn", "u1", 20000)]
    assert math.isfinite(rows[0]["rmse"]) and 0 < rows[0]["rmse"] < 2
    assert [r["split"] for r in records if r["record"] == "mean"] == ["mean"]


def test_families_name_surprise_models():
    bench = _bench()
    assert set(bench.FAMILIES) == set(bench.RECDYN_MODELS)
    assert {m for peers in bench.FAMILIES.values() for m in peers} <= set(bench.SURPRISE_MODELS)
