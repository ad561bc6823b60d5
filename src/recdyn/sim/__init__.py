"""Simulation protocols of thesis chapter 2.

* :mod:`recdyn.sim.sampling`: offline datasets, user-item pairs sampled without replacement
  (section 2.5: UNIFORM-INIT, ML-100K-INIT, ML-100K-INIT-FLIP).
* :mod:`recdyn.sim.offline`: K-fold cross-validation over hyperparameter grids, selection by
  RMSE (or nDCG), and train/test evaluation (sections 2.5 and 2.6 step 2).
* :mod:`recdyn.sim.online`: the online protocol of section 2.6 (greedy recommendation,
  retraining from scratch each step).
"""

from recdyn.sim.sampling import SCHEMES, sample_pairs

__all__ = ["SCHEMES", "sample_pairs"]
