"""Exposure games and the pre-deployment audit of strategic creator incentives (thesis chapter 5).

Modules (import them directly; this package file deliberately imports nothing):

- :mod:`recdyn.exposure.game` -- softmax exposure game (Definition 1): utilities, own gradients and Hessians.
- :mod:`recdyn.exposure.finder` -- batched local-equilibrium finder of section 5.3 (``find_local_equilibria``).
- :mod:`recdyn.exposure.riemann` -- second-order Riemannian test of Definition 3 / section 5.7.
- :mod:`recdyn.exposure.models` -- PMF / NMF / MF rating models with two-fold 90/10 CV (section 5.3).
- :mod:`recdyn.exposure.audit` -- clustering and gender measures of Figures 5.3-5.5.
- :mod:`recdyn.exposure.sweep` -- one job of the section 5.3 sweep (its claims: :mod:`recdyn.claims.ch5`);
  its settings :class:`~recdyn.exposure.sweep_spec.SweepSpec` (no torch: the workflow reads them).
"""
