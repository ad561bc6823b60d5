"""Offline dataset of the Mixture-of-Experts experiment on the 100-arm Amazon problem (thesis
section 4.4, Figure 4.5; details in section 4.8, "Mixture-of-Experts offline experiments").

Reading of the thesis (it is terse about what a "user" is here; this is the reading consistent
with sections 4.3, 4.4 and 4.8 and with the caption of Figure 4.5):

* *Items* are the |A| = 100 arms of the Amazon bandit of section 4.3, i.e. the AmazonCat-13K
  categories ranked 3rd..102nd by frequency (``recdyn.twostage.amazon.prepare_amazon``).
* A *user* (the context x of section 4.2) is one product review, represented by its
  standardised BERT features (first d = 400 dimensions).  The reward of item a for user x is 1
  if the review carries category a, else 0, exactly as in the bandit of section 4.3.
* *Training set*: logged examples t = (user, item, reward), as the offline counterpart of the
  bandit data (section 4.4 reduces the bandit to offline learning and writes the loss per example
  t with one scalar reward r_t, one gating weight p_{n,t} and one expert prediction per expert).
  "c examples per arm" means: for every item a, c users drawn uniformly at random (without
  replacement within the item) from the training users, each giving the example (x, a, r_xa).
  So the training set has c * |A| examples and about a 1-10% positive rate, which is why the
  thesis uses batches of 4096 "to adjust for the scarcity of positive labels".
* *Test set*: an independent set of users (reviews never used for training), each with all
  |A| labels revealed; a model ranks the |A| items per user and precision@5 / recall@5 are
  computed against the user's positive labels ("entries with no positive labels", about 5.5%
  of the test set in the thesis, count as zero).
* Because test users are new reviews, the gating's "user embedding" cannot be a lookup table:
  it is a learned linear map of the user's features (see :mod:`recdyn.moe.model`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class MoEDataset:
    """Training examples (user, item, reward) and a test set of users with all labels.

    ``features`` holds every user (review) once; users are row indices into it.
    """

    features: np.ndarray  # (n_users, d) float32, standardised BERT features
    train_users: np.ndarray  # (n_train,) int64 row indices into ``features``
    train_items: np.ndarray  # (n_train,) int64 item (arm) indices
    train_rewards: np.ndarray  # (n_train,) float32 0/1 rewards
    test_users: np.ndarray  # (n_test,) int64 row indices into ``features``
    test_labels: sp.csr_matrix  # (n_test, n_items) 0/1 labels of the test users

    @property
    def n_items(self) -> int:
        return int(self.test_labels.shape[1])

    @property
    def n_features(self) -> int:
        return int(self.features.shape[1])


def split_users(n_users: int, test_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random disjoint (train pool, test) split of ``n_users`` users; both sorted.

    Raises if the test set would leave no training users (key ``ch4_moe.test_size``).
    """
    if not 0 < test_size < n_users:
        raise ValueError(f"ch4_moe.test_size={test_size} must be in [1, {n_users - 1}] "
                         f"(the dataset has {n_users} users/reviews)")
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n_users)
    return np.sort(perm[test_size:]), np.sort(perm[:test_size])


def sample_per_arm(pool: np.ndarray, n_items: int, per_arm: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_items, per_arm)`` users from ``pool``: each row drawn uniformly without replacement.

    One call of ``Generator.choice`` per arm (|A| = 100 calls; each is O(per_arm) for large pools).
    """
    if not 0 < per_arm <= pool.size:
        raise ValueError(f"ch4_moe.train_per_arm={per_arm} must be in [1, {pool.size}] "
                         f"(the number of training users after removing the test set)")
    return np.stack([pool[rng.choice(pool.size, size=per_arm, replace=False)] for _ in range(n_items)])


def offline_dataset(features: np.ndarray, labels: sp.spmatrix, *, per_arm: int, test_users: np.ndarray,
                    train_pool: np.ndarray, seed: int) -> MoEDataset:
    """The offline dataset of section 4.4 with ``per_arm`` (= c) training examples per arm.

    ``features`` (n_users, d) and ``labels`` (n_users, n_items) 0/1 come from ``prepare_amazon``;
    ``test_users`` / ``train_pool`` from :func:`split_users`; ``seed`` draws the training examples.
    """
    features = np.asarray(features, dtype=np.float32)
    labels = sp.csr_matrix(labels)
    if labels.shape[0] != features.shape[0]:
        raise ValueError(f"features have {features.shape[0]} rows but labels {labels.shape[0]}")
    if np.intersect1d(test_users, train_pool).size:
        raise ValueError("test users and training pool overlap")
    n_items = labels.shape[1]
    rng = np.random.default_rng(seed)
    users = sample_per_arm(np.asarray(train_pool, dtype=np.int64), n_items, per_arm, rng)  # (A, c)
    items = np.broadcast_to(np.arange(n_items, dtype=np.int64)[:, None], users.shape)
    rewards = (np.asarray(labels[users.ravel(), items.ravel()]).ravel() > 0).astype(np.float32)
    test_labels = (labels[np.asarray(test_users)] > 0).astype(np.float32).tocsr()
    return MoEDataset(features=features, train_users=users.ravel().copy(), train_items=items.ravel().copy(),
                      train_rewards=rewards, test_users=np.asarray(test_users, dtype=np.int64),
                      test_labels=test_labels)


__all__ = ["MoEDataset", "offline_dataset", "sample_per_arm", "split_users"]
