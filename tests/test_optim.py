"""The fused optimisers of recdyn.optim take the steps torch's default ones take (issue 21)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

import recdyn.exposure.models as models
from recdyn.optim import make_optimizer


def test_fused_where_torch_has_a_kernel():
    params = [torch.zeros(3, dtype=torch.float64, requires_grad=True)]
    assert make_optimizer(torch.optim.Adam, params, lr=0.1).defaults["fused"] is True
    rms = make_optimizer(torch.optim.RMSprop, params, lr=0.1)  # no fused RMSprop: torch's default
    assert isinstance(rms, torch.optim.RMSprop)
    assert not make_optimizer(torch.optim.Adam, params, lr=0.1, fused=False).defaults["fused"]


def test_audit_rating_model_fit_is_the_same_with_the_fused_adam(monkeypatch):
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"u": rng.integers(0, 60, 3000), "i": rng.integers(0, 40, 3000),
                          "rating": rng.normal(3.0, 1.0, 3000)}).drop_duplicates(["u", "i"])
    data = models.rating_data(table, "u", "i")
    kw = dict(reg=0.05, lr=0.01, epochs=5, batch_size=100, init_std=0.1, seed=3)
    fused = models.fit_model(data, "mf", 8, **kw)
    monkeypatch.setattr(models, "make_optimizer", lambda cls, params, **k: cls(list(params), fused=False, **k))
    plain = models.fit_model(data, "mf", 8, **kw)
    assert not np.array_equal(fused.users, models.fit_model(data, "mf", 8, **{**kw, "seed": 4}).users)
    for a, b in ((fused.users, plain.users), (fused.items, plain.items), (fused.user_bias, plain.user_bias)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
