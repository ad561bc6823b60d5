"""Provenance records name commit, preset, config hash, versions and data sources; stand-in figures are marked."""

import json

import matplotlib.pyplot as plt
import pandas as pd

from recdyn.plots.common import SYNTHETIC_MARK, mark_synthetic, save_figure
from recdyn.provenance import build_provenance, synthetic_datasets
from recdyn.tables import save_table

CONFIG = {"preset": "smoke", "seed": 1}
MANIFESTS = {
    "ml100k": {"dataset": "ml100k", "source": "synthetic", "files": {"u.data": "ab" * 32}},
    "lastfm": {"dataset": "lastfm", "source": "real", "files": {"x": "cd" * 32}},
}


def test_provenance_fields():
    record = build_provenance(CONFIG, MANIFESTS, ["a", "b"])
    assert record["preset"] == "smoke"
    assert len(record["config_hash"]) == 16
    assert record["git"]["commit"] != ""
    assert record["packages"]["numpy"] != "not installed"
    assert record["datasets"]["ml100k"]["files"]["u.data"] == "ab" * 32
    assert synthetic_datasets(record) == ["ml100k"]


def _texts(fig):
    return [t.get_text() for t in fig.texts]


def test_synthetic_figures_carry_the_mark(tmp_path):
    synthetic = build_provenance(CONFIG, MANIFESTS)
    real = build_provenance(CONFIG, {"lastfm": MANIFESTS["lastfm"]})
    fig, _ = plt.subplots()
    assert mark_synthetic(fig, synthetic)
    assert any(SYNTHETIC_MARK in text for text in _texts(fig))
    fig_real, _ = plt.subplots()
    assert not mark_synthetic(fig_real, real)
    assert not any(SYNTHETIC_MARK in text for text in _texts(fig_real))


def test_save_figure_writes_all_outputs(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    record = build_provenance(CONFIG, MANIFESTS)
    save_figure(fig, tmp_path / "f.pdf", tmp_path / "f.png", record, tmp_path / "f.provenance.json")
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((tmp_path / "f.provenance.json").read_text())["datasets"]["ml100k"]["source"] == "synthetic"
    assert not list(tmp_path.glob(".*tmp"))  # no temp files left behind


def test_tables_warn_about_stand_ins(tmp_path):
    record = build_provenance(CONFIG, MANIFESTS)
    save_table(pd.DataFrame({"a": [1.0]}), tmp_path / "t.csv", tmp_path / "t.md", "T", record, tmp_path / "t.json")
    assert SYNTHETIC_MARK in (tmp_path / "t.md").read_text()
    assert pd.read_csv(tmp_path / "t.csv")["a"].tolist() == [1.0]


def test_table_notes_go_between_table_and_provenance(tmp_path):
    record = build_provenance(CONFIG, MANIFESTS)
    save_table(pd.DataFrame({"a": [1.0]}), tmp_path / "t.csv", tmp_path / "t.md", "T", record, tmp_path / "t.json",
               notes=["First note.", "Second note."])
    text = (tmp_path / "t.md").read_text()
    assert text.index("|   a |") < text.index("First note.") < text.index("Second note.") < text.index("Preset `")
    assert list(pd.read_csv(tmp_path / "t.csv").columns) == ["a"]  # notes stay out of the csv


def test_figures_and_provenance_are_reproducible(tmp_path):
    """No timestamps: the same figure saved twice, a second apart, gives the same bytes (issue 20, item 9)."""
    import time

    record = build_provenance(CONFIG, MANIFESTS)
    assert "created" not in record
    digests = []
    for run in ("a", "b"):
        fig, ax = plt.subplots()
        ax.plot([1, 2], [3, 4])
        out = tmp_path / run
        save_figure(fig, out / "f.pdf", out / "f.png", record, out / "f.provenance.json")
        digests.append([(out / name).read_bytes() for name in ("f.pdf", "f.png", "f.provenance.json")])
        time.sleep(1.1)  # PDF creation dates have one-second resolution
    assert digests[0] == digests[1]
