"""Two edits to the wpyfm libFM bindings, applied by build_wpyfm.sh; neither changes a number libFM computes.

1. Every Gibbs sample handed back (``samples``). libFM's MCMC prediction for a pair is the mean
   over the chain's samples of the sample's prediction clipped to the training range. libFM
   accumulates it only for the test set given to ``train``, at about 0.25 us per test pair and
   sample, so Bayes MF's full user x item grid (1.7 M pairs, 100 samples) cost about 40 s per fit,
   and wpyfm returns only the last sample's parameters. This edit adds a hook called right after
   each sample is drawn (the parameters libFM then predicts with) and two methods to ``PyFM``:
   ``keep_samples(True)`` before ``train`` and ``samples()`` after it, a list of ``(w0, w, V)``
   per sample, as ``parameters()`` returns them. The chain itself is untouched (same draws for a
   fixed seed), so the mean of the clipped sample predictions, computed with matrix products
   (:func:`recdyn.fit.libfm.posterior_mean_scores`), is libFM's prediction up to floating-point
   rounding.
2. No RMSE printout in SGD (``quiet-sgd``). libFM's SGD evaluates the RMSE of the whole training
   set (and of the test set) after every epoch and once more at the end, only to print it; the
   bindings' caller silences that output. Each evaluation is a full prediction pass, about a third
   of an epoch's work. The evaluations are now made only when libFM keeps a log (``rlog``, which
   the bindings never open) or the verbosity is above 0. Evaluation has no side effect on the
   model (it fills the prediction scratch that the next SGD case recomputes first), so the
   learned parameters are bit-for-bit the same (tests/test_libfm.py compares them with a fit
   whose evaluations were forced on through the verbosity).

``PyFM.recdyn_patches()`` lists the edits a build carries (the build script's import check).

Usage: patch_wpyfm.py <extracted sdist folder>. Every edit is anchored on exact source lines and
fails loudly if the sdist differs (the sdist's SHA-256 is pinned by the build script); a second
run finds each edit in place and does nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

SAMPLES = "recdyn-samples-patch"
QUIET = "recdyn-quiet-sgd-patch"
PATCHES = ("samples", "quiet-sgd")  # what PyFM.recdyn_patches() reports

_SGD_REPORT = (
    "    double rmse_train = evaluate(train);\n"
    "    double rmse_test = evaluate(test);\n"
    '    std::cout << "#Iter=" << std::setw(3) << i << "\\tTrain=" << rmse_train << "\\tTest=" << rmse_test << std::endl;\n'
    "    if (log != NULL) {\n"
    '      log->log("rmse_train", rmse_train);\n'
    '      log->log("time_learn", iteration_time);\n'
    "      log->newLine();\n"
    "    }\n"
)

# (file, anchor, replacement), applied in this order; each anchor must occur exactly once.
EDITS: list[tuple[str, str, str]] = [
    # 1. samples
    ("src/libfm/src/fm_learn_mcmc_simultaneous.h", '#include "fm_learn_mcmc.h"\n',
     '#include "fm_learn_mcmc.h"\n#include <functional>\n\n'
     f"// {SAMPLES}: called after each Gibbs sample is drawn, before libFM predicts with it.\n"
     "inline std::function<void()>& recdyn_sample_hook() { static std::function<void()> hook; return hook; }\n"),
    ("src/libfm/src/fm_learn_mcmc_simultaneous.h", "    draw_all(train);\n",
     "    draw_all(train);\n    if (recdyn_sample_hook()) { recdyn_sample_hook()(); }\n"),
    ("src/libfm/pyfm.h", "  std::tuple<double, Eigen::VectorXd, Eigen::MatrixXd> parameters();\n",
     "  std::tuple<double, Eigen::VectorXd, Eigen::MatrixXd> parameters();\n\n"
     f"  // {SAMPLES}: keep every MCMC sample's (w0, w, V) during train().\n"
     "  void keep_samples(bool keep) { keep_samples_ = keep; }\n"
     "  std::vector<std::tuple<double, Eigen::VectorXd, Eigen::MatrixXd>> samples() { return samples_; }\n"),
    ("src/libfm/pyfm.h", "  std::unique_ptr<fm_learn> fml;\n",
     "  std::unique_ptr<fm_learn> fml;\n  bool keep_samples_ = false;\n"
     "  std::vector<std::tuple<double, Eigen::VectorXd, Eigen::MatrixXd>> samples_;\n"),
    ("src/libfm/pyfm.h", '    .def("parameters",\n         &PyFM::parameters);\n',
     '    .def("parameters",\n         &PyFM::parameters)\n'
     '    .def("keep_samples", &PyFM::keep_samples, py::arg("keep") = true)\n'
     '    .def("samples", &PyFM::samples)\n'
     '    .def_static("recdyn_patches", []() { return std::vector<std::string>{'
     + ", ".join(f'"{name}"' for name in PATCHES) + '}; });\n'),
    ("src/libfm/pyfm.cpp", "  this->fml->learn(*train, *test);\n",
     "  samples_.clear();\n"
     '  if (this->method == "mcmc" && keep_samples_) {\n'
     "    recdyn_sample_hook() = [this]() { samples_.push_back(parameters()); };\n"
     "  }\n"
     f"  // {QUIET}: SGD evaluates (only to print) when asked to be verbose or to keep a log.\n"
     "  recdyn_sgd_evaluate() = this->verbosity > 0 || this->rlog != nullptr;\n"
     "  try {\n    this->fml->learn(*train, *test);\n  } catch (...) {\n"
     "    recdyn_sample_hook() = nullptr;\n    throw;\n  }\n"
     "  recdyn_sample_hook() = nullptr;\n"),
    # 2. quiet-sgd
    ("src/libfm/src/fm_learn_sgd_element.h", '#include "fm_learn_sgd.h"\n',
     '#include "fm_learn_sgd.h"\n\n'
     f"// {QUIET}: whether SGD evaluates the RMSE after every epoch (only printed or logged).\n"
     "inline bool& recdyn_sgd_evaluate() { static bool on = true; return on; }\n"),
    ("src/libfm/src/fm_learn_sgd_element.h", _SGD_REPORT,
     "    if (recdyn_sgd_evaluate() || log != NULL) {\n"
     + "".join("  " + line + "\n" for line in _SGD_REPORT.splitlines()) + "    }\n"),
    ("src/libfm/pyfm.cpp", '  if (method != "mcmc") {\n    std::cout << "Final',
     '  if (method != "mcmc" && recdyn_sgd_evaluate()) {\n    std::cout << "Final'),
]


def patch(root: Path) -> None:
    """Apply every edit once (an edit whose result is already in the file is skipped)."""
    for relative, anchor, replacement in EDITS:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        if replacement in text:
            continue
        if text.count(anchor) != 1:
            raise SystemExit(f"patch_wpyfm: {path}: expected exactly one {anchor.strip()!r}, "
                             f"found {text.count(anchor)}")
        path.write_text(text.replace(anchor, replacement), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: patch_wpyfm.py <extracted wpyfm sdist folder>")
    patch(Path(sys.argv[1]))
