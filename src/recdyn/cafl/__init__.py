"""Thesis chapter 3: CAFL, causal adjustment for feedback loops (sections 3.3-3.4).

* :mod:`recdyn.cafl.wals`: regularised weighted-least-squares matrix factorisation by
  alternating least squares, all normal equations of a half-step in one batched solve.
* :mod:`recdyn.cafl.weights`: the estimator: Theorem 2 (brute force), Corollary 1's weights and
  constants ``c_s``, and their generalisation to several recommendations per step.
* :mod:`recdyn.cafl.policy`: stochastic policies exposing their recommendation probabilities.
* :mod:`recdyn.cafl.experiment`: the Feedback / Uniform / CAFL learners of section 3.4
  (:func:`run_cafl`: RMSE, NDCG and Jaccard records for Figures 3.2-3.4).

(:mod:`recdyn.cafl.chaney` and :mod:`recdyn.cafl.corrections` hold the Table 3.1 experiment.)
"""

from recdyn.cafl.experiment import (DEFAULT_POLICY, DEFAULT_POLICY_PARAMS, DEFAULT_WALS, LEARNERS,
                                    RECORD_COLUMNS, mean_pairwise_jaccard, run_cafl, sample_test_pairs,
                                    top_k_dense_sets, top_k_sets)
from recdyn.cafl.policy import EpsilonGreedy, Policy, Softmax, UniformPolicy, make_policy
from recdyn.cafl.wals import WALSModel, fit_wals, gram_matrices, solve_rows, wals_objective
from recdyn.cafl.weights import (cafl_constants, cafl_constants_general, cafl_weights, corollary1_weights,
                                 theorem2_estimate, theorem2_weights)

__all__ = [
    "DEFAULT_POLICY", "DEFAULT_POLICY_PARAMS", "DEFAULT_WALS", "LEARNERS", "RECORD_COLUMNS",
    "mean_pairwise_jaccard", "run_cafl", "sample_test_pairs", "top_k_dense_sets", "top_k_sets",
    "EpsilonGreedy", "Policy", "Softmax", "UniformPolicy", "make_policy",
    "WALSModel", "fit_wals", "gram_matrices", "solve_rows", "wals_objective",
    "cafl_constants", "cafl_constants_general", "cafl_weights", "corollary1_weights",
    "theorem2_estimate", "theorem2_weights",
]
