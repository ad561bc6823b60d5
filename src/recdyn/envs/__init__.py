"""Simulated environments of thesis section 2.3, by name.

``make_env(name, **params)`` builds one; ``params`` override the defaults (RecLab's, documented
in each class and module):

=================  ======================================  ====================================
name               class                                   notes
=================  ======================================  ====================================
topics-static      :class:`~recdyn.envs.topics.TopicsStatic`    K=19, 1000 x 1700, 200 online
topics-dynamic     :class:`~recdyn.envs.topics.TopicsDynamic`   + a=0.1, memory 5, tau 2, lambda 1
latent-static      :class:`~recdyn.envs.latent.LatentStatic`    d=100, 943 x 1682, 188 online
latent-dynamic     :class:`~recdyn.envs.latent.LatentDynamic`   + affinity 0.2, memory 5, penalty 2
ml-100k            :class:`~recdyn.envs.latent.ML100KEnv`       needs ``model=`` (FactorModel/path)
latent-score       :class:`~recdyn.envs.slate.LatentScoreEnv`   slate, 100 x 170, 20 online
beta-rank          :class:`~recdyn.envs.slate.BetaRankEnv`      slate, 100 x 170, 20 online
=================  ======================================  ====================================
"""

from __future__ import annotations

from typing import Any

from recdyn.envs.base import Environment, StepResult
from recdyn.envs.latent import LatentDynamic, LatentEnv, LatentStatic, ML100KEnv
from recdyn.envs.slate import BetaRankEnv, LatentScoreEnv
from recdyn.envs.topics import TopicsDynamic, TopicsEnv, TopicsStatic

ENVIRONMENTS: dict[str, type[Environment]] = {
    "topics-static": TopicsStatic,
    "topics-dynamic": TopicsDynamic,
    "latent-static": LatentStatic,
    "latent-dynamic": LatentDynamic,
    "ml-100k": ML100KEnv,
    "latent-score": LatentScoreEnv,
    "beta-rank": BetaRankEnv,
}
ENV_NAMES = tuple(ENVIRONMENTS)


def make_env(name: str, **params: Any) -> Environment:
    """Build the environment ``name`` (one of :data:`ENV_NAMES`) with ``params`` overriding its
    defaults. ``ml-100k`` requires ``model`` (a ``FactorModel`` or the path of its npz)."""
    try:
        cls = ENVIRONMENTS[name]
    except KeyError:
        raise ValueError(f"unknown environment {name!r}; expected one of {ENV_NAMES}") from None
    if name == "ml-100k" and "model" not in params:
        raise ValueError("ml-100k needs model=<FactorModel or path to its .npz>")
    try:
        return cls(**params)
    except TypeError as exc:  # unknown keyword: say which environment rejected it
        raise TypeError(f"{name}: {exc}") from None


__all__ = [
    "ENVIRONMENTS", "ENV_NAMES", "Environment", "StepResult", "make_env",
    "TopicsEnv", "TopicsStatic", "TopicsDynamic", "LatentEnv", "LatentStatic", "LatentDynamic",
    "ML100KEnv", "LatentScoreEnv", "BetaRankEnv",
]
