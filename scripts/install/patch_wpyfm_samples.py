"""Let wpyfm hand back every Gibbs sample of a libFM MCMC chain (applied by build_wpyfm.sh).

libFM's MCMC prediction for a pair is the mean over the chain's samples of the sample's prediction
clipped to the training range. libFM accumulates it only for the test set given to ``train``, at
about 0.25 us per test pair and sample, so Bayes MF's full user x item grid (1.7 M pairs, 100
samples) cost about 40 s per fit, and wpyfm returns only the last sample's parameters. This patch
adds a hook called right after each sample is drawn (the parameters libFM then predicts with) and
two methods to ``PyFM``: ``keep_samples(True)`` before ``train`` and ``samples()`` after it, a
list of ``(w0, w, V)`` per sample, as ``parameters()`` returns them. The chain itself is untouched
(same draws for a fixed seed), so the mean of the clipped sample predictions, computed with
matrix products (:func:`recdyn.fit.libfm.posterior_mean_scores`), is libFM's prediction up to
floating-point rounding.

Usage: patch_wpyfm_samples.py <extracted sdist folder>. Every edit is anchored on exact source
lines and fails loudly if the sdist differs (the sdist's SHA-256 is pinned by the build script).
"""

from __future__ import annotations

import sys
from pathlib import Path

MARK = "recdyn-samples-patch"

EDITS = {
    "src/libfm/src/fm_learn_mcmc_simultaneous.h": [
        ('#include "fm_learn_mcmc.h"\n',
         '#include "fm_learn_mcmc.h"\n#include <functional>\n\n'
         f"// {MARK}: called after each Gibbs sample is drawn, before libFM predicts with it.\n"
         "inline std::function<void()>& recdyn_sample_hook() { static std::function<void()> hook; return hook; }\n"),
        ("    draw_all(train);\n",
         "    draw_all(train);\n    if (recdyn_sample_hook()) { recdyn_sample_hook()(); }\n"),
    ],
    "src/libfm/pyfm.h": [
        ("  std::tuple<double, Eigen::VectorXd, Eigen::MatrixXd> parameters();\n",
         "  std::tuple<double, Eigen::VectorXd, Eigen::MatrixXd> parameters();\n\n"
         f"  // {MARK}: keep every MCMC sample's (w0, w, V) during train().\n"
         "  void keep_samples(bool keep) { keep_samples_ = keep; }\n"
         "  std::vector<std::tuple<double, Eigen::VectorXd, Eigen::MatrixXd>> samples() { return samples_; }\n"),
        ("  std::unique_ptr<fm_learn> fml;\n",
         "  std::unique_ptr<fm_learn> fml;\n  bool keep_samples_ = false;\n"
         "  std::vector<std::tuple<double, Eigen::VectorXd, Eigen::MatrixXd>> samples_;\n"),
        ('    .def("parameters",\n         &PyFM::parameters);\n',
         '    .def("parameters",\n         &PyFM::parameters)\n'
         '    .def("keep_samples", &PyFM::keep_samples, py::arg("keep") = true)\n'
         '    .def("samples", &PyFM::samples);\n'),
    ],
    "src/libfm/pyfm.cpp": [
        ("  this->fml->learn(*train, *test);\n",
         "  samples_.clear();\n"
         '  if (this->method == "mcmc" && keep_samples_) {\n'
         "    recdyn_sample_hook() = [this]() { samples_.push_back(parameters()); };\n"
         "  }\n"
         "  try {\n    this->fml->learn(*train, *test);\n  } catch (...) {\n"
         "    recdyn_sample_hook() = nullptr;\n    throw;\n  }\n"
         "  recdyn_sample_hook() = nullptr;\n"),
    ],
}


def patch(root: Path) -> None:
    """Apply every edit once (a second run finds the mark and does nothing)."""
    for relative, edits in EDITS.items():
        path = root / relative
        text = path.read_text(encoding="utf-8")
        if MARK in text or (relative.endswith("pyfm.cpp") and "recdyn_sample_hook() = nullptr" in text):
            continue
        for anchor, replacement in edits:
            if text.count(anchor) != 1:
                raise SystemExit(f"patch_wpyfm_samples: {path}: expected exactly one {anchor.strip()!r}, "
                                 f"found {text.count(anchor)}")
            text = text.replace(anchor, replacement)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: patch_wpyfm_samples.py <extracted wpyfm sdist folder>")
    patch(Path(sys.argv[1]))
