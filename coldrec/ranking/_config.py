"""The hyperparameters of :class:`coldrec.ranking.MLPRanker`: one dataclass with a docstring per field."""

from __future__ import annotations

from dataclasses import dataclass

from coldrec.errors import ColdrecError
from coldrec.ranking._features import APP_SCALARS, FEATURE_SETS, OBJECTIVES

__all__ = ["RankerConfig"]


@dataclass
class RankerConfig:
    """Hyperparameters of :class:`MLPRanker` (the protocols' values are in each result JSON)."""

    features: str = "concat"
    """``"concat"`` (the seed's concat(item, user)) or ``"rich"`` (+ item*user, |item-user|, scalar features)."""
    objective: str = "listwise"
    """``"listwise"``: sampled softmax over one positive and ``negatives`` negatives; ``"pointwise"``: binary
    cross-entropy on the same candidates."""
    scalars: tuple[str, ...] = ()
    """Names of the ``rich`` scalar features, the first being the recall score the residual path starts from.
    Empty = the app's set ``("cosine", "log_popularity")``; protocols name their own (e.g. history kernels)."""
    hidden: tuple[int, ...] = (128, 64)
    """Width of the factorised first layer, then the sizes of the head's hidden layers."""
    dropout: float = 0.1
    """Dropout after the first layer."""
    lr: float = 2e-3
    """Adam learning rate."""
    weight_decay: float = 1e-5
    """Adam weight decay (L2)."""
    epochs: int = 20
    """Upper bound on epochs (the best one on validation is kept)."""
    batch_size: int = 256
    """Training examples (one positive each) per optimisation step."""
    negatives: int = 32
    """Negatives per positive: half hard (from the user's recall candidates), half uniform."""
    max_examples: int = 12000
    """Training examples sampled per epoch (a fresh sample each epoch), to bound the cost of an epoch."""
    recall_n: int = 100
    """Recall candidates per user: the hard-negative pool in training and the list re-ranked in validation."""
    skip_init: float = 20.0
    """Initial weight of the residual path from the first scalar (20 ≈ a softmax temperature of 0.05 on cosines)."""
    standardize: bool = False
    """Standardise the scalar features with the mean/std of a first training sample (saved with the checkpoint)."""
    patience: int = 2
    """Epochs without a better validation score before stopping."""
    val_fraction: float = 0.15
    """Share of training users :meth:`MLPRanker.fit` holds out to choose the epoch."""
    seed: int = 0
    """Seed of the initialisation, the splits and the sampling."""

    def __post_init__(self) -> None:
        if self.features not in FEATURE_SETS:
            raise ColdrecError(f"Unknown feature set {self.features!r}; choose one of {', '.join(FEATURE_SETS)}.")
        if self.objective not in OBJECTIVES:
            raise ColdrecError(f"Unknown objective {self.objective!r}; choose one of {', '.join(OBJECTIVES)}.")
        if not 0 <= self.val_fraction < 1:
            raise ColdrecError(f"val_fraction must be in [0, 1), got {self.val_fraction!r}.")
        self.hidden = tuple(int(h) for h in self.hidden)
        if not self.hidden or min(self.hidden) < 1:
            raise ColdrecError(f"hidden must be one or more positive sizes, got {self.hidden!r}.")
        for name in ("epochs", "batch_size", "negatives", "max_examples", "recall_n", "patience"):
            if int(getattr(self, name)) < 1:
                raise ColdrecError(f"RankerConfig.{name} must be >= 1, got {getattr(self, name)!r}.")
        self.scalars = tuple(str(s) for s in self.scalars)
        if self.features == "concat":
            self.scalars = ()
        elif not self.scalars:
            self.scalars = APP_SCALARS

    @property
    def method_name(self) -> str:
        """Name used in result tables: ``mlp-concat`` or ``mlp-rich``."""
        return f"mlp-{self.features}"
