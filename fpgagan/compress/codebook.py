"""Trained weight sharing (Deep Compression's trained quantization, Han et al. 2016).

Every weight layer keeps ``k`` shared values: the weights are clustered by a one-dimensional
k-means (linear initialisation between the smallest and the largest weight, which keeps the rare
large weights their own values), each weight is replaced by its cluster's value, and fine-tuning
updates the values only: a gradient hook on the weight gives every member of a cluster the sum of
the cluster's gradients, and after every optimizer step the members are tied to their cluster's
mean again (elementwise optimizers keep tied weights tied up to rounding; the tie removes it).

With pruning, entry 0 of a layer's codebook is reserved for zero: pruned weights are its members,
receive no gradient and stay exactly zero, and the other ``k - 1`` values are learned.

The values are floats here; the layer's weight quantizer (power-of-two scale) rounds each one to
its grid in the forward pass, so the exported QONNX weights hold at most ``k`` distinct values per
layer, exactly representable in fixed point.  Assignments are a function of the weights alone: a
layer that already has at most ``k`` distinct values keeps them as its codebook, so a resumed run
clusters exactly as the unbroken one did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch
from torch import nn

from fpgagan.config import CodebookConfig
from fpgagan.errors import ConfigError

EpochHook = Callable[[int], Callable[[], None]]


def kmeans_1d(values: torch.Tensor, k: int, iterations: int) -> torch.Tensor:
    """``k`` centroids of the 1-D ``values`` (float64), linearly initialised over their range.

    Lloyd iterations; a cluster that loses every member keeps its previous centroid.
    """
    v = values.detach().flatten().to(torch.float64)
    if v.numel() == 0:
        return torch.zeros(k, dtype=torch.float64, device=v.device)
    # on the values' device: a layer trained on a GPU is clustered there
    centroids = torch.linspace(
        float(v.min()), float(v.max()), k, dtype=torch.float64, device=v.device
    )
    for _ in range(iterations):
        new = entry_means(v, nearest(v, centroids), centroids)
        if torch.equal(new, centroids):
            break
        centroids = new
    return centroids


def entry_means(values: torch.Tensor, idx: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
    """Each entry's mean of the float64 ``values`` assigned to it by ``idx``; an entry with no
    member keeps its ``previous`` value (one per entry)."""
    k = len(previous)
    sums = torch.zeros(k, dtype=torch.float64, device=values.device).index_add_(0, idx, values)
    counts = torch.bincount(idx, minlength=k).to(torch.float64)
    return torch.where(counts > 0, sums / counts.clamp(min=1), previous)


def nearest(values: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """Index of the nearest centroid for every value (ties: the lower index)."""
    return (values.reshape(-1, 1) - centroids.reshape(1, -1)).abs().argmin(dim=1)


@dataclasses.dataclass
class LayerCodebook:
    """One layer's sharing: ``idx`` (the weight's shape) assigns each weight an entry of ``k``;
    with ``zero_entry`` entry 0 is the pruned weights' exact zero."""

    name: str
    module: nn.Module
    k: int
    zero_entry: bool
    idx: torch.Tensor | None = None  # None until clustered: the hook passes gradients through
    nearest_assignment: bool = False  # CodebookConfig.assignment == "nearest"
    # nearest assignment: the float shadows (flat, float64), which weights are free (not pruned)
    # and the entries' values after the last step
    shadow: torch.Tensor | None = None
    free: torch.Tensor | None = None
    centroids: torch.Tensor | None = None

    def cluster(self, iterations: int) -> None:
        """Assign every weight an entry: the existing distinct values when there are at most
        ``k``, else k-means on the weights (zeros kept apart when ``zero_entry``)."""
        w = self.module.weight.detach()
        flat = w.flatten().to(torch.float64)
        learned = self.k - 1 if self.zero_entry else self.k
        free = flat != 0 if self.zero_entry else torch.ones_like(flat, dtype=torch.bool)
        distinct = torch.unique(flat[free])
        if len(distinct) <= learned:
            centroids = distinct
        else:
            centroids = kmeans_1d(flat[free], learned, iterations)
        idx = torch.zeros_like(flat, dtype=torch.long)
        offset = 1 if self.zero_entry else 0
        idx[free] = nearest(flat[free], centroids.to(flat.device)) + offset
        self.idx = idx.reshape(w.shape)
        self.tie()
        if self.nearest_assignment:  # the shadows start from the shared values
            self.shadow = w.detach().flatten().to(torch.float64).clone()
            self.free = free
            self.centroids = self._means(self.shadow, self.idx.flatten(), self._empty())

    def _empty(self) -> torch.Tensor:
        """The value of an entry that never had a member: 0."""
        return torch.zeros(self.k, dtype=torch.float64, device=self.module.weight.device)

    def _means(
        self, values: torch.Tensor, idx: torch.Tensor, previous: torch.Tensor
    ) -> torch.Tensor:
        """Each entry's mean of ``values`` (an empty entry keeps ``previous``; zero entry 0)."""
        out = entry_means(values, idx, previous)
        if self.zero_entry:
            out[0] = 0.0
        return out

    @torch.no_grad()
    def step_nearest(self) -> None:
        """After an optimizer step (nearest assignment): the step's change moves the shadows,
        each free weight takes its nearest value, the values become their members' mean."""
        assert self.shadow is not None and self.free is not None and self.centroids is not None
        assert self.idx is not None
        w = self.module.weight
        flat = w.detach().flatten().to(torch.float64)
        self.shadow += flat - self.centroids[self.idx.flatten()]
        idx = torch.zeros_like(self.shadow, dtype=torch.long)
        first = 1 if self.zero_entry else 0
        idx[self.free] = nearest(self.shadow[self.free], self.centroids[first:]) + first
        self.centroids = self._means(self.shadow, idx, self.centroids)
        self.idx = idx.reshape(w.shape)
        w.copy_(self.centroids[idx].reshape(w.shape).to(w.dtype))

    @torch.no_grad()
    def tie(self) -> None:
        """Every weight := its entry's mean (zero for the reserved entry)."""
        if self.idx is None:
            return
        w = self.module.weight
        values = self._means(
            w.detach().flatten().to(torch.float64), self.idx.flatten(), self._empty()
        )
        w.copy_(values[self.idx].to(w.dtype))

    def shared_gradient(self, grad: torch.Tensor) -> torch.Tensor:
        """The gradient each weight receives: the sum over its cluster (zero for pruned ones);
        with nearest assignment its own (straight-through; zero for pruned ones)."""
        if self.idx is None:
            return grad
        if self.nearest_assignment:
            return grad * self.free.reshape(grad.shape) if self.zero_entry else grad
        flat_idx = self.idx.flatten()
        sums = torch.zeros(self.k, dtype=grad.dtype, device=grad.device)
        sums.index_add_(0, flat_idx, grad.flatten())
        if self.zero_entry:
            sums[0] = 0.0
        return sums[self.idx]

    def values(self) -> torch.Tensor:
        """The layer's current shared values, entry order (float weights, before quantization)."""
        w = self.module.weight.detach().flatten()
        if self.idx is None:
            raise RuntimeError(f"layer {self.name!r} is not clustered yet")
        out = torch.zeros(self.k, dtype=w.dtype, device=w.device)
        return out.index_copy_(0, self.idx.flatten(), w)


class Codebooks:
    """The sharing of every layer of one generator, with its gradient hooks installed."""

    def __init__(self, cfg: CodebookConfig, layers: dict[str, nn.Module], zero_entry: bool):
        unknown = set(cfg.layers) - set(layers)
        if unknown:
            raise ConfigError(
                f"qat.codebook.layers: unknown layer(s) {sorted(unknown)} "
                f"(layers: {', '.join(layers)})"
            )
        self.cfg = cfg
        self.books = {
            name: LayerCodebook(
                name, m, cfg.k_of(name), zero_entry, nearest_assignment=cfg.assignment == "nearest"
            )
            for name, m in layers.items()
        }
        for book in self.books.values():
            book.module.weight.register_hook(book.shared_gradient)

    def cluster(self) -> None:
        for book in self.books.values():
            book.cluster(self.cfg.iterations)

    def tie(self) -> None:
        for book in self.books.values():
            book.tie()

    def after_step(self) -> None:
        """After a generator step: tie (fixed assignment) or re-assign (nearest)."""
        for book in self.books.values():
            if book.nearest_assignment:
                book.step_nearest()
            else:
                book.tie()


def codebook_epochs(
    codebooks: Codebooks, start_epoch: int, masks_for_epoch: EpochHook | None
) -> EpochHook:
    """The QAT phase's per-epoch hook: this epoch's pruning masks (if any), then, from
    ``start_epoch`` on, clustering at the start of the epoch and tying after every generator
    step.  Each call clusters from the weights alone, so a resumed run is the unbroken one."""

    def for_epoch(epoch: int) -> Callable[[], None]:
        prune = masks_for_epoch(epoch) if masks_for_epoch is not None else None
        if epoch < start_epoch:
            return prune if prune is not None else _nothing
        if prune is not None:
            prune()
        codebooks.cluster()

        def after_g_step() -> None:
            if prune is not None:
                prune()
            codebooks.after_step()

        return after_g_step

    return for_epoch


def _nothing() -> None:
    return None
