"""Ranking (seed §3.2.4): the one ranker family of coldrec, :class:`MLPRanker` with :class:`RankerConfig`.

Two feature sets: ``"concat"`` is the seed's ``MLP(concat(item, user))``; ``"rich"`` adds ``item * user``,
``|item - user|`` and named scalar features, with a residual path from the first scalar (the recall score) so
training starts from the recall order. The app, ``coldrec train-ranker`` and the demo checkpoints train with
:meth:`MLPRanker.fit` (scalars ``("cosine", "log_popularity")``, computed here); the evaluation protocols train the
same class with :meth:`MLPRanker.fit_batches` and their own candidate sets and scalars. Both run the one loop of
:mod:`coldrec.ranking._trainer` (listwise sampled softmax by default, pointwise BCE as an option; epochs chosen on
a ranking metric of held-out users). Checkpoints are ``model.safetensors`` + ``config.json``
(:mod:`coldrec.ranking._checkpoint_io`); pickles are never loaded.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from coldrec.encoders import base_model
from coldrec.errors import CheckpointError, ColdrecError
from coldrec.ranking._config import RankerConfig
from coldrec.ranking._features import app_scalars, log_popularity

__all__ = ["RankerConfig", "MLPRanker", "auc"]


def auc(scores_pos: np.ndarray, scores_neg: np.ndarray) -> float:
    """Area under the ROC curve from positive and negative scores (ties count half).

    Example:
        >>> auc(np.array([0.9, 0.8]), np.array([0.1, 0.85]))
        0.75
    """
    if not len(scores_pos) or not len(scores_neg):
        return float("nan")
    allv = np.concatenate([scores_pos, scores_neg])
    _, inv, counts = np.unique(allv, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = ((ends - counts + 1 + ends) / 2)[inv]
    n_p, n_n = len(scores_pos), len(scores_neg)
    return float((ranks[:n_p].sum() - n_p * (n_p + 1) / 2) / (n_p * n_n))


class MLPRanker:
    """The ranker: ``concat`` = the seed's MLP(concat(item, user)); ``rich`` = + product, difference, scalars.

    Learned state besides the weights (all saved in ``config.json``): ``dim``, the scalar normalisation
    ``scale``, the popularity scale ``pop_scale`` and, after :meth:`fit` with ``item_ids``, the training
    popularity per item id (``item_popularity``) that serving must read instead of any other count.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> items = rng.standard_normal((50, 8)).astype(np.float32)
        >>> users = rng.standard_normal((40, 8)).astype(np.float32)
        >>> pos = [[u % 50] for u in range(40)]
        >>> r = MLPRanker(RankerConfig(epochs=2, hidden=(16,))).fit(items, users, pos)
        >>> r.score(items[:3], users[0]).shape
        (3,)
    """

    def __init__(self, config: RankerConfig | None = None) -> None:
        self.config = config or RankerConfig()
        self.history: list[dict[str, float]] = []
        self.dim: int | None = None
        self.scale: tuple[list[float], list[float]] | None = None
        self.pop_scale: float = 1.0
        self.item_ids: list[str] | None = None
        self.item_popularity: np.ndarray | None = None
        self.trained_on: dict[str, object] = {}
        self._net = None

    @property
    def _net(self):
        """The torch network; a loaded checkpoint builds it from its numpy weights only when asked (training,
        saving): scoring a loaded ranker runs :class:`~coldrec.ranking._net.NumpyRankNet` and never imports torch."""
        if self._torch_net is None and self._numpy_net is not None:
            import torch

            from coldrec.ranking._net import make_net

            cfg = self.config
            net = make_net(int(self.dim), len(cfg.scalars), cfg.features, cfg.hidden, cfg.dropout, cfg.seed,
                           cfg.skip_init)
            net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in self._numpy_net.state.items()},
                                strict=True)
            net.eval()
            self._net = net  # from now on torch scores (weights may be changed in place through it)
            self._apply_scale()
        return self._torch_net

    @_net.setter
    def _net(self, net) -> None:
        self._torch_net, self._numpy_net = net, None

    def __repr__(self) -> str:
        state = f"dim={self.dim}" if self.is_fitted else "untrained"
        return f"MLPRanker({self.config.method_name}, {self.config.objective}, {state})"

    @property
    def is_fitted(self) -> bool:
        """True once :meth:`fit`, :meth:`fit_batches` or :meth:`load` has run."""
        return self._torch_net is not None or self._numpy_net is not None

    # ------------------------------------------------------------------------------------------ training
    def _build(self, dim: int) -> None:
        from coldrec.ranking._net import make_net

        cfg = self.config
        self.dim = int(dim)
        self._net = make_net(self.dim, len(cfg.scalars), cfg.features, cfg.hidden, cfg.dropout, cfg.seed,
                             cfg.skip_init)
        self._apply_scale()

    def _apply_scale(self) -> None:
        import torch

        self._net.scale = None if self.scale is None else (
            torch.tensor(self.scale[0], dtype=torch.float32), torch.tensor(self.scale[1], dtype=torch.float32))

    def fit_batches(self, make_batch: Callable[[np.ndarray, np.random.Generator], tuple], n_examples: int,
                    validate: Callable[["MLPRanker"], float], *, dim: int, log: Callable[[str], None] | None = None,
                    tag: str | None = None, progress: Callable[[dict], None] | None = None) -> "MLPRanker":
        """Train on candidate sets a caller builds (the protocols' entry point; :meth:`fit` uses it too).

        Args:
            make_batch: ``(example indices, rng) -> (I (B, M, d), U (B, d), S (B, M, len(scalars)))`` float32,
                column 0 of each row the positive.
            n_examples: number of training examples (indices are drawn from ``range(n_examples)``).
            validate: ``ranker -> score`` on held-out users (higher is better), run after every epoch.
            dim: width of the vectors.
            log: optional line logger; ``tag`` prefixes its lines.
            progress: called after each epoch with ``{epoch, loss, val, seconds}``.

        Returns:
            ``self``, with the best epoch's weights and :attr:`history`.
        """
        from coldrec.ranking._trainer import train_loop

        cfg = self.config
        if n_examples < 1:
            raise ColdrecError("No training example: nothing to learn from.")
        rng = np.random.default_rng(cfg.seed + (0 if cfg.features == "concat" else 1))
        self.scale = None
        self._build(dim)
        if cfg.standardize and cfg.features == "rich" and cfg.scalars:
            _, _, S0 = make_batch(rng.permutation(n_examples)[:1024], np.random.default_rng(cfg.seed + 9))
            S0 = np.asarray(S0, np.float32).reshape(-1, S0.shape[-1])
            self.scale = (S0.mean(0).tolist(), np.maximum(S0.std(0), 1e-3).tolist())
            self._apply_scale()
        self.history = train_loop(self, make_batch, n_examples, validate, rng, log, tag or cfg.method_name,
                                  progress)
        self._net = self._net.cpu()
        return self

    def fit(self, item_vectors: np.ndarray, user_vectors: np.ndarray, positives: Sequence[Sequence[int]],
            popularity: np.ndarray | None = None, negatives: Sequence[Sequence[int]] | None = None, *,
            liked: Sequence[Sequence[int]] | None = None, item_ids: Sequence[str] | None = None,
            progress: Callable[[dict], None] | None = None) -> "MLPRanker":
        """Train from users' profile vectors and their positive items (the app's, CLI's and demos' entry point).

        Hard negatives come from each user's cosine recall (top ``recall_n``) and the user's explicit
        ``negatives``; a seeded ``val_fraction`` of users is held out and the epoch with the best NDCG@10 of
        their re-ranked lists is kept.

        Args:
            item_vectors: ``(m, d)`` catalog matrix.
            user_vectors: ``(u, d)`` one profile vector per training user.
            positives: for each user, the rows of items they liked (the targets).
            popularity: ``(m,)`` interaction counts the ``log_popularity`` feature reads (saved with the
                checkpoint; serving reads these, not its own).
            negatives: for each user, rows of items shown and not liked (optional).
            liked: for each user, rows already in their profile (left out of recall, as at serving).
            item_ids: catalog ids of the rows; saved so a catalog that does not fit is refused.
            progress: called after each epoch with ``{epoch, loss, val, seconds}``.

        Raises:
            ColdrecError: shapes disagree or no user has a positive.
        """
        from coldrec.ranking._fit import fit_from_profiles

        return fit_from_profiles(self, item_vectors, user_vectors, positives, popularity, negatives, liked,
                                 item_ids, progress)

    # ------------------------------------------------------------------------------------------- scoring
    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise ColdrecError("This ranker is not trained: call fit() or MLPRanker.load(folder) first.")

    def score_batch(self, I: np.ndarray, U: np.ndarray, S: np.ndarray) -> np.ndarray:
        """Logits ``(B, M)`` (higher is better) of candidate sets ``I (B, M, d)`` for users ``U (B, d)``, with
        scalar features ``S (B, M, len(config.scalars))``: what the protocols call."""
        self._check_fitted()
        if self._numpy_net is not None:  # a loaded checkpoint: numpy, equal to torch to 1e-5
            return self._numpy_net(np.asarray(I, np.float32), np.asarray(U, np.float32), np.asarray(S, np.float32))
        import torch

        with torch.inference_mode():
            return self._net(torch.from_numpy(np.ascontiguousarray(I, np.float32)),
                             torch.from_numpy(np.ascontiguousarray(U, np.float32)),
                             torch.from_numpy(np.ascontiguousarray(S, np.float32))).numpy()

    def scalar_features(self, item_vectors: np.ndarray, user_vectors: np.ndarray,
                        popularity: np.ndarray | None = None) -> np.ndarray:
        """``(n, len(config.scalars))`` scalars of pairs (``item_vectors[i]``, ``user_vectors[i]``).

        Only the app's scalars (``cosine``, ``log_popularity``) are computed here; a ranker trained by a
        protocol on other scalars is refused with the names it needs.
        """
        return app_scalars(self.config.scalars, item_vectors, user_vectors,
                           log_popularity(popularity, len(item_vectors), self.pop_scale))

    def score_pairs(self, item_vectors: np.ndarray, user_vectors: np.ndarray,
                    popularity: np.ndarray | None = None) -> np.ndarray:
        """Scores in (0, 1) of pairs (``item_vectors[i]``, ``user_vectors[i]``); ``popularity`` = their counts.

        The score is ``sigmoid(logit / t)`` with ``t`` the residual weight of a ``rich`` ranker (1 for
        ``concat``): the same order as the logits, without saturating at 1.
        """
        self._check_fitted()
        item_vectors = np.asarray(item_vectors, np.float32)
        user_vectors = np.asarray(user_vectors, np.float32)
        S = self.scalar_features(item_vectors, user_vectors, popularity)
        out = np.empty(len(item_vectors), dtype=np.float64)
        with _one_thread(len(item_vectors) <= 4096 and self._numpy_net is None):  # interactive: no waiting
            for s in range(0, len(item_vectors), 65536):
                sl = slice(s, s + 65536)
                out[sl] = self.score_batch(item_vectors[sl, None, :], user_vectors[sl], S[sl, None, :])[:, 0]
        if self._numpy_net is not None:
            t = abs(self._numpy_net.skip) if self._numpy_net.residual else 1.0
        else:
            t = abs(float(self._net.skip.detach())) if getattr(self._net, "residual", False) else 1.0
        return 1.0 / (1.0 + np.exp(-out / max(t, 1e-3)))

    def score(self, item_vectors: np.ndarray, user_vector: np.ndarray, popularity: np.ndarray | None = None
              ) -> np.ndarray:
        """Scores in (0, 1) of items for one user (see :meth:`score_pairs`).

        Args:
            item_vectors: ``(n, d)`` candidate item vectors.
            user_vector: ``(d,)`` user vector.
            popularity: ``(n,)`` interaction counts of the candidates (``log_popularity`` feature only).
        """
        self._check_fitted()
        item_vectors = np.asarray(item_vectors, dtype=np.float32)
        user_vector = np.asarray(user_vector, dtype=np.float32).reshape(1, -1)
        if item_vectors.shape[1:] != (self.dim,) or user_vector.shape[1] != self.dim:
            raise ColdrecError(
                f"This ranker was trained on {self.dim}-d vectors, got items {item_vectors.shape} and user "
                f"{user_vector.shape[1]}-d: use the same encoder as in training."
            )
        return self.score_pairs(item_vectors, np.broadcast_to(user_vector, item_vectors.shape), popularity)

    # ------------------------------------------------------------------------------------ serving checks
    def popularity_for(self, ids: Sequence[str]) -> np.ndarray | None:
        """The training popularity of each of ``ids`` (0 for ids it never saw), or None if none was saved."""
        if self.item_popularity is None or self.item_ids is None:
            return None
        known = dict(zip(self.item_ids, self.item_popularity.tolist()))
        return np.array([known.get(str(i), 0.0) for i in ids], dtype=np.float32)

    def check_fits(self, ids: Sequence[str] | None = None, encoder_name: str | None = None,
                   dim: int | None = None) -> None:
        """Refuse (:class:`CheckpointError`) a catalog this ranker was not trained for, naming what differs.

        A catalog may add items (new items are cold: popularity 0) but must hold every item the ranker was
        trained on; the encoder (the same model at any precision) and the vector width must be the training ones.
        """
        if dim is not None and self.dim not in (None, int(dim)):
            raise CheckpointError(
                f"The ranker was trained on {self.dim}-d vectors but this catalog has {dim}-d vectors (another "
                "encoder?): retrain the ranker or pick the matching model.")
        trained_enc = self.trained_on.get("encoder")
        # the same model at another precision ("+bf16", "+onnx-int8": cosine >= 0.99 to fp32) fits; another model not
        if encoder_name is not None and trained_enc is not None and base_model(trained_enc) != base_model(encoder_name):
            raise CheckpointError(
                f"The ranker was trained with encoder {trained_enc!r} but this catalog is embedded with "
                f"{encoder_name!r}: retrain the ranker with this encoder or pick {trained_enc!r}.")
        if ids is not None and self.item_ids is not None:
            have = set(map(str, ids))
            missing = [i for i in self.item_ids if i not in have]
            if missing:
                shown = ", ".join(repr(m) for m in missing[:3]) + (" …" if len(missing) > 3 else "")
                raise CheckpointError(
                    f"The ranker was trained on catalog {self.trained_on.get('catalog')!r} ({len(self.item_ids)} "
                    f"items); {len(missing)} of them are not in this catalog ({shown}): retrain the ranker on "
                    "this catalog.")

    # ------------------------------------------------------------------------------------------ files
    def save(self, folder: str | Path) -> Path:
        """Write ``model.safetensors`` and ``config.json`` into ``folder`` (created if needed)."""
        from coldrec.ranking._checkpoint_io import save_checkpoint

        self._check_fitted()
        return save_checkpoint(self, folder)

    @classmethod
    def load(cls, folder: str | Path, *, allow_missing_digest: bool = False) -> "MLPRanker":
        """Load a checkpoint written by :meth:`save`; anything else is refused with :class:`CheckpointError`.

        Args:
            folder: the folder :meth:`save` wrote.
            allow_missing_digest: accept a ``config.json`` without ``weights_sha256`` (saved before coldrec
                stored it), to re-save it once: ``MLPRanker.load(f, allow_missing_digest=True).save(f)``.
        """
        from coldrec.ranking._checkpoint_io import load_checkpoint

        return load_checkpoint(cls, folder, allow_missing_digest=allow_missing_digest)

    def _restore(self, meta: Mapping, state: Mapping) -> None:
        """Set the learned state from a checked ``config.json`` dict and weights (used by :meth:`load`)."""
        from coldrec.ranking._net import NumpyRankNet, net_shapes

        self.scale = meta.get("scale")
        self.dim = int(meta["dim"])
        cfg = self.config
        want = net_shapes(self.dim, len(cfg.scalars), cfg.features, cfg.hidden)
        got = {k: tuple(np.shape(v)) for k, v in state.items()}
        if got != want:
            raise RuntimeError(f"state_dict shapes {got} differ from the network's {want}")
        self._numpy_net = NumpyRankNet(dict(state), cfg.features, len(cfg.scalars), self.scale)
        if os.environ.get("COLDREC_NUMPY_PATH", "").strip() == "0":  # the torch path, for comparisons
            _ = self._net
        self.pop_scale = float(meta.get("pop_scale") or 1.0)
        pop = meta.get("item_popularity")
        self.item_ids = [str(i) for i in pop["ids"]] if pop else None
        self.item_popularity = np.asarray(pop["counts"], np.float32) if pop else None
        self.history = list(meta.get("history", []))
        self.trained_on = dict(meta.get("trained_on", {}))


@contextmanager
def _one_thread(on: bool):
    """torch on one thread inside the block when ``on`` (a few pairs: two threads on a busy CPU only wait)."""
    if not on:
        yield
        return
    import torch

    before = torch.get_num_threads()
    if before > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if before > 1:
            torch.set_num_threads(before)
