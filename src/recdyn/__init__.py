"""recdyn: regenerate the figures and tables of *The Dynamics of Recommender Systems*.

Subpackages: :mod:`recdyn.data` (download, staging, synthetic stand-ins, loaders),
:mod:`recdyn.fit` (environment fitting), :mod:`recdyn.plots` (figures),
:mod:`recdyn.provenance` and :mod:`recdyn.claims`.
"""

__version__ = "0.1.0"
