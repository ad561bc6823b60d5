"""Four edits to the wpyfm libFM bindings, applied by build_wpyfm.sh; none changes a number libFM computes.

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
3. SGD on an attribute-major copy of V (``fast-sgd``). libFM stores V factor-major (``v(f, a)``,
   one row of ``num_attribute`` doubles per factor), so each SGD case (``fm_model::predict``, then
   ``fm_SGD``) touched 2 x ``num_factor`` addresses a row apart (cache and TLB misses): 85% of a
   fit's time. ``fm_learn_sgd_element::learn`` now copies V attribute-major before the first epoch, runs
   both steps on the copy (the same operations in the same order per parameter: only addresses
   differ) and copies it back after the last epoch and before any evaluation. The sums over a
   case's features keep libFM's order for each factor, so the learned model is bit-for-bit libFM's
   (tests/test_libfm.py replays libFM's SGD in Python and compares). A fit is 2.0-2.1x faster at
   dim 20 and 2.6-2.7x at dim 100 (benchmarks/bench_libfm.py, 1,000 x 1,700, 150,000 ratings).
4. MCMC's prediction terms case by case (``fast-eterms``). Before and after every Gibbs sample libFM
   recomputes each case's prediction terms (``predict_data_and_write_to_eterms``) in 2 x num_factor
   passes over the transposed data, each scattering into the per-case cache: a third of a chain's
   time. Without relation data (recdyn never has any) and with every row's attributes ascending
   (libFM's transposed order; checked, else libFM's code runs), the patch computes each case's
   terms in one go from an attribute-major copy of V, eight cases interleaved, every case's own
   terms in libFM's order: the same chain bit for bit (``PyFM.use_fast_eterms(False)`` switches
   back to libFM's code; tests/test_libfm.py compares both). Chains are 1.4-1.6x faster
   (benchmarks/bench_libfm.py).

``PyFM.recdyn_patches()`` lists the edits a build carries (the build script's import check).

Usage: patch_wpyfm.py [--without PATCH]... <extracted sdist folder> (``--without`` only for a
benchmark's reference build). Every edit is anchored on exact source lines and
fails loudly if the sdist differs (the sdist's SHA-256 is pinned by the build script); a second
run finds each edit in place and does nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

SAMPLES = "recdyn-samples-patch"
QUIET = "recdyn-quiet-sgd-patch"
FAST = "recdyn-fast-sgd-patch"
FAST_ETERMS = "recdyn-fast-eterms-patch"
PATCHES = ("samples", "quiet-sgd", "fast-sgd", "fast-eterms")  # what PyFM.recdyn_patches() reports

_QUIET_FLAG = "inline bool& recdyn_sgd_evaluate() { static bool on = true; return on; }\n"

# fast-sgd: libFM's fm_model::predict and fm_SGD for one case, on V stored attribute-major.
_FAST_HELPERS = f"""
// {FAST}: libFM's SGD case (fm_model::predict, then fm_SGD) on an attribute-major copy of V,
// v_t[a * num_factor + f] == V(f, a). Per parameter, the same operations in the same order.
#include <vector>

inline double recdyn_predict_t(fm_model& fm, sparse_row<DATA_FLOAT>& x, const double* v_t,
                               DVector<double>& sum, DVector<double>& sum_sqr) {{
  double result = 0;
  if (fm.k0) {{
    result += fm.w0;
  }}
  const uint n = x.size;
  const sparse_entry<DATA_FLOAT>* entries = x.data;
  if (fm.k1) {{
    for (uint i = 0; i < n; i++) {{
      assert(entries[i].id < fm.num_attribute);
      result += fm.w.value[entries[i].id] * entries[i].value;
    }}
  }}
  const int num_factor = fm.num_factor;
  double* __restrict s = sum.value;
  double* __restrict s_sqr = sum_sqr.value;
  for (int f = 0; f < num_factor; f++) {{
    s[f] = 0;
    s_sqr[f] = 0;
  }}
  for (uint i = 0; i < n; i++) {{
    const double* __restrict v_a = v_t + (size_t) entries[i].id * num_factor;
    const double value = entries[i].value;
    for (int f = 0; f < num_factor; f++) {{
      double d = v_a[f] * value;
      s[f] += d;
      s_sqr[f] += d*d;
    }}
  }}
  for (int f = 0; f < num_factor; f++) {{
    result += 0.5 * (s[f]*s[f] - s_sqr[f]);
  }}
  return result;
}}

inline void recdyn_sgd_t(fm_model& fm, const double learn_rate, sparse_row<DATA_FLOAT>& x,
                         const double multiplier, const DVector<double>& sum, double* v_t) {{
  if (fm.k0) {{
    double& w0 = fm.w0;
    w0 -= learn_rate * (multiplier + fm.reg0 * w0);
  }}
  if (fm.k1) {{
    for (uint i = 0; i < x.size; i++) {{
      double& w = fm.w.value[x.data[i].id];
      w -= learn_rate * (multiplier * x.data[i].value + fm.regw * w);
    }}
  }}
  const int num_factor = fm.num_factor;
  const double regv = fm.regv;
  for (uint i = 0; i < x.size; i++) {{
    double* v_a = v_t + (size_t) x.data[i].id * num_factor;
    const double value = x.data[i].value;
    for (int f = 0; f < num_factor; f++) {{
      double& v = v_a[f];
      double grad = sum.value[f] * value - v * value * value;
      v -= learn_rate * (multiplier * grad + regv * v);
    }}
  }}
}}

// Copy V into v_t (to_t) or back into V.
inline void recdyn_copy_v(fm_model& fm, std::vector<double>& v_t, bool to_t) {{
  const int num_factor = fm.num_factor;
  for (int f = 0; f < num_factor; f++) {{
    double* row = fm.v.value[f];
    for (uint a = 0; a < fm.num_attribute; a++) {{
      double& t = v_t[(size_t) a * num_factor + f];
      if (to_t) {{ t = row[a]; }} else {{ row[a] = t; }}
    }}
  }}
}}
"""

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

# fast-eterms: fm_learn_mcmc::predict_data_and_write_to_eterms case by case (no relations, rows sorted).
_ETERMS_HELPER = f"""
// {FAST_ETERMS}: predict_data_and_write_to_eterms without relation data, one case at a time on an
// attribute-major copy of V instead of 2 x num_factor scattered passes over the transposed data.
// Each case's e and q get the same terms in the same order: libFM walks the transposed data by
// ascending attribute, so the rows must list their attributes in ascending order (checked; any
// other input, or relations, takes libFM's own code).
inline bool& recdyn_fast_eterms_on() {{ static bool on = true; return on; }}  // PyFM.use_fast_eterms

inline bool recdyn_fast_eterms(fm_model* fm, DVector<Data*>& main_data, DVector<e_q_term*>& main_cache) {{
  if (!recdyn_fast_eterms_on()) {{ return false; }}
  for (uint ds = 0; ds < main_data.dim; ds++) {{
    Data* d = main_data(ds);
    if (d->relation.dim > 0) {{ return false; }}
    if (d->num_cases == 0) {{ continue; }}
    auto* rows = dynamic_cast<LargeSparseMatrixMemory<DATA_FLOAT>*>(d->data);
    if (rows == nullptr || rows->data.dim != d->num_cases) {{ return false; }}
    for (uint c = 0; c < d->num_cases; c++) {{
      const sparse_row<DATA_FLOAT>& row = rows->data(c);
      for (uint i = 1; i < row.size; i++) {{
        if (row.data[i].id <= row.data[i - 1].id) {{ return false; }}
      }}
    }}
  }}
  const int num_factor = fm->num_factor;
  std::vector<double> v_t((size_t) num_factor * fm->num_attribute);
  for (int f = 0; f < num_factor; f++) {{
    const double* v_f = fm->v.value[f];
    for (uint a = 0; a < fm->num_attribute; a++) {{ v_t[(size_t) a * num_factor + f] = v_f[a]; }}
  }}
  for (uint ds = 0; ds < main_data.dim; ds++) {{
    Data* d = main_data(ds);
    if (d->num_cases == 0) {{ continue; }}
    auto* rows = dynamic_cast<LargeSparseMatrixMemory<DATA_FLOAT>*>(d->data);
    e_q_term* m_cache = main_cache(ds);
    uint c = 0;
    // blocks of 8 cases with the same feature count: 8 independent sums in flight at once
    // (each case's own terms still in libFM's order)
    constexpr uint B = 8;
    for (; c + B <= d->num_cases; c += B) {{
      const uint n = rows->data(c).size;
      bool same = n <= 4;
      for (uint j = 1; j < B && same; j++) {{ same = rows->data(c + j).size == n; }}
      if (!same) {{ break; }}
      const sparse_entry<DATA_FLOAT>* x[B];
      for (uint j = 0; j < B; j++) {{ x[j] = rows->data(c + j).data; }}
      double e[B], q[B], q_f[B];
      for (uint j = 0; j < B; j++) {{ e[j] = 0.0; q[j] = 0.0; }}
      for (int f = 0; f < num_factor; f++) {{  // (1)
        for (uint j = 0; j < B; j++) {{ q_f[j] = 0.0; }}
        for (uint i = 0; i < n; i++) {{
          for (uint j = 0; j < B; j++) {{ q_f[j] += v_t[(size_t) x[j][i].id * num_factor + f] * x[j][i].value; }}
        }}
        for (uint j = 0; j < B; j++) {{ e[j] += 0.5 * q_f[j]*q_f[j]; }}
      }}
      for (int f = 0; f < num_factor; f++) {{  // (2)
        for (uint i = 0; i < n; i++) {{
          for (uint j = 0; j < B; j++) {{
            const double v_if = v_t[(size_t) x[j][i].id * num_factor + f];
            q[j] -= 0.5 * v_if * v_if * x[j][i].value * x[j][i].value;
          }}
        }}
      }}
      if (fm->k1) {{  // (3)
        for (uint i = 0; i < n; i++) {{
          for (uint j = 0; j < B; j++) {{ q[j] += fm->w(x[j][i].id) * x[j][i].value; }}
        }}
      }}
      for (uint j = 0; j < B; j++) {{
        double e_j = e[j] + q[j];
        if (fm->k0) {{ e_j += fm->w0; }}
        m_cache[c + j].e = e_j;
        m_cache[c + j].q = 0.0;
      }}
    }}
    for (; c < d->num_cases; c++) {{  // the rest one case at a time
      const sparse_row<DATA_FLOAT>& row = rows->data(c);
      const uint n = row.size;
      const sparse_entry<DATA_FLOAT>* x = row.data;
      double e = 0.0;
      for (int f = 0; f < num_factor; f++) {{  // (1) e = 1/2 sum_f q_f^2
        double q = 0.0;
        for (uint i = 0; i < n; i++) {{ q += v_t[(size_t) x[i].id * num_factor + f] * x[i].value; }}
        e += 0.5 * q*q;
      }}
      double q = 0.0;
      for (int f = 0; f < num_factor; f++) {{  // (2) q = -1/2 sum_f sum_i v_if^2 x_i^2
        for (uint i = 0; i < n; i++) {{
          const double v_if = v_t[(size_t) x[i].id * num_factor + f];
          q -= 0.5 * v_if * v_if * x[i].value * x[i].value;
        }}
      }}
      if (fm->k1) {{  // (3) the w's
        for (uint i = 0; i < n; i++) {{ q += fm->w(x[i].id) * x[i].value; }}
      }}
      e = e + q;  // merge: w0 + e + q
      if (fm->k0) {{ e += fm->w0; }}
      m_cache[c].e = e;
      m_cache[c].q = 0.0;
    }}
  }}
  return true;
}}
"""

_APPLIED = "/* recdyn-applied-patches */"  # replaced by the names of the patches applied

# name -> its (file, anchor, replacement) edits, applied in this order; each anchor must occur exactly once.
EDITS: dict[str, list[tuple[str, str, str]]] = {"samples": [
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
     '    .def_static("recdyn_patches", []() { return std::vector<std::string>{' + _APPLIED + '}; });\n'),
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
], "quiet-sgd": [
    ("src/libfm/src/fm_learn_sgd_element.h", '#include "fm_learn_sgd.h"\n',
     '#include "fm_learn_sgd.h"\n\n'
     f"// {QUIET}: whether SGD evaluates the RMSE after every epoch (only printed or logged).\n"
     + _QUIET_FLAG),
    ("src/libfm/src/fm_learn_sgd_element.h", _SGD_REPORT,
     "    if (recdyn_sgd_evaluate() || log != NULL) {\n"
     + "".join("  " + line + "\n" for line in _SGD_REPORT.splitlines()) + "    }\n"),
    ("src/libfm/pyfm.cpp", '  if (method != "mcmc") {\n    std::cout << "Final',
     '  if (method != "mcmc" && recdyn_sgd_evaluate()) {\n    std::cout << "Final'),
], "fast-sgd": [  # after quiet-sgd: it anchors on that patch's flag and evaluation guard
    ("src/libfm/src/fm_learn_sgd_element.h", _QUIET_FLAG, _QUIET_FLAG + _FAST_HELPERS),
    ("src/libfm/src/fm_learn_sgd_element.h", "  // SGD\n  for (int i = 0; i < num_iter; i++) {\n",
     "  // SGD\n"
     f"  // {FAST}: the epochs run on v_t, an attribute-major copy of V.\n"
     "  std::vector<double> v_t((size_t) fm->num_factor * fm->num_attribute);\n"
     "  recdyn_copy_v(*fm, v_t, true);\n"
     "  for (int i = 0; i < num_iter; i++) {\n"),
    ("src/libfm/src/fm_learn_sgd_element.h",
     "      double p = fm->predict(train.data->getRow(), sum, sum_sqr);\n",
     "      double p = recdyn_predict_t(*fm, train.data->getRow(), v_t.data(), sum, sum_sqr);\n"),
    ("src/libfm/src/fm_learn_sgd_element.h", "      SGD(train.data->getRow(), mult, sum);\n",
     "      recdyn_sgd_t(*fm, learn_rate, train.data->getRow(), mult, sum, v_t.data());\n"),
    ("src/libfm/src/fm_learn_sgd_element.h", "    iteration_time = (getusertime() - iteration_time);\n",
     "    iteration_time = (getusertime() - iteration_time);\n"
     "    if (recdyn_sgd_evaluate() || log != NULL) {\n      recdyn_copy_v(*fm, v_t, false);  // evaluate() predicts with V\n    }\n"),
    ("src/libfm/src/fm_learn_sgd_element.h", "    }\n  }\n}\n\n#endif",
     "    }\n  }\n  recdyn_copy_v(*fm, v_t, false);\n}\n\n#endif"),
], "fast-eterms": [
    ("src/libfm/src/fm_learn_mcmc.h", "#include <sstream>\n", "#include <sstream>\n#include <vector>\n"),
    ("src/libfm/src/fm_learn_mcmc.h", "// Implementation\nfm_learn_mcmc::~fm_learn_mcmc() {",
     _ETERMS_HELPER + "\n// Implementation\nfm_learn_mcmc::~fm_learn_mcmc() {"),
    ("src/libfm/src/fm_learn_mcmc.h",
     "  assert(main_data.dim == main_cache.dim);\n  if (main_data.dim == 0) { return ; }\n",
     "  assert(main_data.dim == main_cache.dim);\n  if (main_data.dim == 0) { return ; }\n"
     f"  if (recdyn_fast_eterms(fm, main_data, main_cache)) {{ return; }}  // {FAST_ETERMS}\n"),
    ("src/libfm/pyfm.h", '    .def("samples", &PyFM::samples)\n',
     '    .def("samples", &PyFM::samples)\n'
     '    .def_static("use_fast_eterms", [](bool on) { recdyn_fast_eterms_on() = on; }, py::arg("on") = true)\n'),
]}
assert tuple(EDITS) == PATCHES
REQUIRES = {"fast-sgd": "quiet-sgd", "fast-eterms": "samples"}  # patch -> the patch its anchors come from


def patch(root: Path, without: frozenset[str] = frozenset()) -> None:
    """Apply every edit of each patch not in ``without`` once (an edit whose result is already in
    the file is skipped). ``without`` exists for benchmarks/bench_libfm.py's reference build."""
    unknown = without - set(PATCHES)
    if unknown:
        raise SystemExit(f"patch_wpyfm: unknown patch(es) {sorted(unknown)}; known: {list(PATCHES)}")
    for name, needed in REQUIRES.items():
        if needed in without and name not in without:
            raise SystemExit(f"patch_wpyfm: {name} anchors on edits of {needed}; leave out {name} too")
    applied = [name for name in PATCHES if name not in without]
    names = ", ".join(f'"{name}"' for name in applied)
    for name in applied:
        for relative, anchor, replacement in EDITS[name]:
            replacement = replacement.replace(_APPLIED, names)
            path = root / relative
            text = path.read_text(encoding="utf-8")
            if replacement in text:
                continue
            if text.count(anchor) != 1:
                raise SystemExit(f"patch_wpyfm: {path}: expected exactly one {anchor.strip()!r}, "
                                 f"found {text.count(anchor)}")
            path.write_text(text.replace(anchor, replacement), encoding="utf-8")


if __name__ == "__main__":
    args = sys.argv[1:]
    without: set[str] = set()
    while len(args) >= 2 and args[0] == "--without":
        without.add(args[1])
        args = args[2:]
    if len(args) != 1:
        raise SystemExit("usage: patch_wpyfm.py [--without PATCH]... <extracted wpyfm sdist folder>")
    patch(Path(args[0]), frozenset(without))
