"""Recommenders of thesis section 2.4 and their registry.

``make_recommender(name, **params)`` builds a recommender by name; ``params`` are its
hyperparameters plus ``seed`` (and ``env`` for the Oracle). Registry entries are
``"module:Class"`` strings imported on first use, so heavy optional dependencies (libFM,
torch) are only imported by the recommenders that need them. Later recommenders register
themselves by adding a line to :data:`REGISTRY` or by calling :func:`register_recommender`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from recdyn.recommenders.base import Recommender

#: name -> "module:attribute" (imported lazily) or a callable returning a Recommender.
REGISTRY: dict[str, str | Callable[..., Recommender]] = {
    "random": "recdyn.recommenders.baselines:Random",
    "oracle": "recdyn.recommenders.baselines:Oracle",
    "toppop": "recdyn.recommenders.baselines:TopPop",
    "user_knn": "recdyn.recommenders.knn:UserKNN",
    "item_knn": "recdyn.recommenders.knn:ItemKNN",
    "ease": "recdyn.recommenders.ease:EASE",
    "sgd-mf": "recdyn.recommenders.libfm:SGDMF",
    "bayes-mf": "recdyn.recommenders.libfm:BayesMF",
    "llorma": "recdyn.recommenders.llorma:LLORMA",
    "autorec": "recdyn.recommenders.autorec:AutoRec",
    "cfnade": "recdyn.recommenders.cfnade:CFNADE",
}


def register_recommender(name: str, target: str | Callable[..., Recommender], *,
                         overwrite: bool = False) -> None:
    """Add ``name`` to the registry (``target``: a class/factory or a ``"module:attr"`` string)."""
    if name in REGISTRY and not overwrite and REGISTRY[name] != target:
        raise ValueError(f"recommender {name!r} is already registered as {REGISTRY[name]!r}")
    REGISTRY[name] = target


def available_recommenders() -> list[str]:
    """Registered recommender names, sorted."""
    return sorted(REGISTRY)


def recommender_class(name: str) -> Callable[..., Recommender]:
    """The class (or factory) registered under ``name``."""
    try:
        target = REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown recommender {name!r}; known: {available_recommenders()}") from None
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
    return target


def make_recommender(name: str, **params: Any) -> Recommender:
    """A new, unfitted recommender ``name`` with hyperparameters/seed ``params``."""
    return recommender_class(name)(**params)


__all__ = ["REGISTRY", "Recommender", "available_recommenders", "make_recommender",
           "recommender_class", "register_recommender"]
