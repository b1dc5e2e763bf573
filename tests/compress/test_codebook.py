"""Trained weight sharing (fpgagan.compress.codebook): k-means, tied clusters, summed gradients,
the pruned weights' zero entry, resumption, and the exported QONNX weights' distinct values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qonnx.core.onnx_exec import execute_node

from fpgagan.compress.codebook import Codebooks, LayerCodebook, codebook_epochs, kmeans_1d
from fpgagan.compress.prune import MaskSet, magnitude_masks, weight_layers
from fpgagan.config import CodebookConfig, Precision, from_dict
from fpgagan.errors import ConfigError
from fpgagan.export import to_qonnx
from fpgagan.models import build_generator

PRECISION = Precision(weight_bits=6, act_bits=8)
WEIGHT_OPS = ("MatMul", "Gemm", "Conv", "ConvTranspose")


def _generator():
    torch.manual_seed(0)
    return build_generator("dcgan-tiny", PRECISION)


def _train(gen, books: Codebooks, steps: int, masks: MaskSet | None = None) -> None:
    """``steps`` generator updates with Adam (elementwise: tied weights drift apart by rounding
    only), the pruning masks and the tie after each, as the QAT phase does."""
    layers = weight_layers(gen)
    opt = torch.optim.Adam(gen.parameters(), lr=1e-2)
    gen.train()
    for _ in range(steps):
        loss = gen(torch.randn(16, gen.spec.latent_dim)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if masks is not None:
            masks.apply(layers)
        books.after_step()


def _assert_tied(book: LayerCodebook) -> None:
    w = book.module.weight.detach()
    for e in range(book.k):
        members = w[book.idx == e]
        if members.numel():
            assert torch.all(members == members[0]), (book.name, e)


def test_kmeans_finds_separated_clusters_and_keeps_an_empty_centroid():
    rng = np.random.default_rng(0)
    centres = np.array([-1.0, 0.25, 2.0])
    values = torch.from_numpy(np.concatenate([c + 0.01 * rng.standard_normal(50) for c in centres]))
    got = kmeans_1d(values, 3, iterations=30).numpy()
    np.testing.assert_allclose(np.sort(got), centres, atol=0.01)
    # linear initialisation over [0, 10] with 3 centroids: 5 attracts no value and stays put
    two_points = torch.tensor([0.0, 0.0, 10.0, 10.0])
    np.testing.assert_array_equal(kmeans_1d(two_points, 3, iterations=30).numpy(), [0, 5, 10])


def test_members_are_tied_after_a_step_and_layers_keep_at_most_k_values():
    gen = _generator()
    cfg = CodebookConfig(k=4, layers={"deconv2": 8})
    books = Codebooks(cfg, weight_layers(gen), zero_entry=False)
    books.cluster()
    _train(gen, books, steps=3)
    for name, book in books.books.items():
        _assert_tied(book)
        k = cfg.k_of(name)
        assert len(torch.unique(book.module.weight.detach())) <= k, name
        # the layer's quantizer rounds each shared value once: still at most k values
        assert len(torch.unique(book.module.quant_weight().value.detach())) <= k, name
        np.testing.assert_array_equal(
            book.values()[book.idx].numpy(), book.module.weight.detach().numpy()
        )


def test_every_member_receives_its_clusters_gradient_sum():
    gen = _generator()
    books = Codebooks(CodebookConfig(k=4), weight_layers(gen), zero_entry=False)
    books.cluster()
    book = books.books["deconv1"]
    grad = torch.randn_like(book.module.weight)
    shared = book.shared_gradient(grad)
    for e in range(book.k):
        members = book.idx == e
        if members.any():
            torch.testing.assert_close(shared[members], grad[members].sum().expand(members.sum()))
    # the installed hook does the same in backward: one gradient per cluster
    gen(torch.randn(8, gen.spec.latent_dim)).sum().backward()
    g = book.module.weight.grad
    for e in range(book.k):
        assert len(torch.unique(g[book.idx == e])) <= 1


def test_pruned_weights_stay_exact_zeros_in_the_reserved_entry():
    gen = _generator()
    layers = weight_layers(gen)
    masks = MaskSet(magnitude_masks(layers, 0.5))
    masks.apply(layers)
    books = Codebooks(CodebookConfig(k=4), layers, zero_entry=True)
    books.cluster()
    _train(gen, books, steps=3)
    for name, book in books.books.items():
        w = book.module.weight.detach()
        pruned = masks.masks[name] == 0
        assert torch.all(w[pruned] == 0), name
        assert torch.all(book.idx[pruned] == 0) and book.values()[0] == 0, name
        # the other k - 1 entries are learned values (zero is not among them)
        assert len(torch.unique(w[~pruned])) <= book.k - 1, name
        assert torch.all(book.shared_gradient(torch.ones_like(w))[pruned] == 0), name
        _assert_tied(book)


def test_a_resumed_clustering_equals_the_unbroken_one():
    cfg = CodebookConfig(k=4)
    gen = _generator()
    layers = weight_layers(gen)
    masks = MaskSet(magnitude_masks(layers, 0.5))
    masks.apply(layers)
    books = Codebooks(cfg, layers, zero_entry=True)
    hook = codebook_epochs(books, start_epoch=0, masks_for_epoch=lambda epoch: None)
    hook(0)  # epoch 0 clusters
    _train(gen, books, steps=2, masks=masks)
    saved = {k: v.clone() for k, v in gen.state_dict().items()}
    tied = {name: m.weight.detach().clone() for name, m in layers.items()}

    hook(1)  # the unbroken run clusters again at the next epoch's start ...
    resumed_gen = _generator()
    resumed_gen.load_state_dict(saved)  # ... a resumed one from the saved weights alone
    resumed = Codebooks(cfg, weight_layers(resumed_gen), zero_entry=True)
    codebook_epochs(resumed, start_epoch=0, masks_for_epoch=lambda epoch: None)(1)
    for name, book in books.books.items():
        other = resumed.books[name]
        torch.testing.assert_close(book.idx, other.idx, rtol=0, atol=0)
        torch.testing.assert_close(book.module.weight, other.module.weight, rtol=0, atol=0)
        # re-clustering tied weights changes no weight
        torch.testing.assert_close(book.module.weight.detach(), tied[name], rtol=0, atol=0)


def test_epoch_hook_leaves_weights_alone_before_its_start():
    gen = _generator()
    books = Codebooks(CodebookConfig(k=2), weight_layers(gen), zero_entry=False)
    before = {k: v.clone() for k, v in gen.state_dict().items()}
    step = codebook_epochs(books, start_epoch=1, masks_for_epoch=None)(0)
    step()
    assert all(book.idx is None for book in books.books.values())
    for k, v in gen.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)


def test_unknown_layer_names_and_sizes_are_refused():
    gen = _generator()
    with pytest.raises(ConfigError, match=r"unknown layer\(s\) \['deconv9'\]"):
        Codebooks(CodebookConfig(k=4, layers={"deconv9": 4}), weight_layers(gen), False)
    for k in (1, 17):
        with pytest.raises(ValueError, match="k"):
            CodebookConfig(k=k)
    with pytest.raises(ValueError, match="layers.fc"):
        CodebookConfig(layers={"fc": 32})


def _exported_weight_values(model) -> dict[str, np.ndarray]:
    """The quantized weights of every weight layer of a QONNX graph, by consumer node name."""
    out = {}
    for node in model.graph.node:
        if node.op_type != "Quant" or model.get_initializer(node.input[0]) is None:
            continue
        consumer = model.find_consumer(node.output[0])
        if consumer is None or consumer.op_type not in WEIGHT_OPS:
            continue
        if list(consumer.input).index(node.output[0]) != 1:
            continue  # a bias
        ctx = {name: model.get_initializer(name) for name in node.input}
        execute_node(node, ctx, model.graph, 13)
        out[consumer.name] = ctx[node.output[0]]
    return out


def test_exported_qonnx_weights_hold_at_most_k_values_per_layer():
    """The exported generator, not only the float weights: at most k values per layer, zero one
    of them for the pruned weights (what tiny_codebook.yaml trains, in a few steps)."""
    cfg = CodebookConfig(k=4, layers={"deconv2": 8})
    gen = _generator()
    layers = weight_layers(gen)
    masks = MaskSet(magnitude_masks(layers, 0.5))
    masks.apply(layers)
    books = Codebooks(cfg, layers, zero_entry=True)
    books.cluster()
    _train(gen, books, steps=3, masks=masks)
    weights = _exported_weight_values(to_qonnx(gen.eval()))
    # the graph's weight layers in the generator's order: fc, deconv1, deconv2
    for name, w in zip(layers, weights.values(), strict=True):
        assert len(np.unique(w)) <= cfg.k_of(name), name
        assert np.mean(w == 0) >= 0.5, name


def test_nearest_assignment_lets_weights_change_entry_and_keeps_k_values():
    """``assignment: nearest``: per-weight gradients move float shadows, weights re-assign to the
    nearest value after each step; still at most k values per layer, pruned weights exact zeros."""
    gen = _generator()
    layers = weight_layers(gen)
    masks = MaskSet(magnitude_masks(layers, 0.5))
    masks.apply(layers)
    books = Codebooks(CodebookConfig(k=4, assignment="nearest"), layers, zero_entry=True)
    books.cluster()
    before = {name: book.idx.clone() for name, book in books.books.items()}
    _train(gen, books, steps=5, masks=masks)
    moved = 0
    for name, book in books.books.items():
        w = book.module.weight.detach()
        pruned = masks.masks[name] == 0
        assert torch.all(w[pruned] == 0) and torch.all(book.idx[pruned] == 0), name
        assert len(torch.unique(w[~pruned])) <= book.k - 1, name
        _assert_tied(book)
        grad = torch.arange(w.numel(), dtype=w.dtype).reshape(w.shape) + 1
        passed = book.shared_gradient(grad)
        assert torch.equal(passed[~pruned], grad[~pruned]) and torch.all(passed[pruned] == 0)
        moved += int((book.idx != before[name]).sum())
    assert moved > 0  # lr 1e-2 for 5 steps moves some shadows across a boundary


def test_fixed_assignment_keeps_every_weight_in_its_entry():
    gen = _generator()
    books = Codebooks(CodebookConfig(k=4), weight_layers(gen), zero_entry=False)
    books.cluster()
    before = {name: book.idx.clone() for name, book in books.books.items()}
    _train(gen, books, steps=5)
    for name, book in books.books.items():
        assert torch.equal(book.idx, before[name]), name


def test_an_unknown_assignment_is_refused():
    with pytest.raises(ConfigError, match="assignment"):
        from_dict(CodebookConfig, {"k": 4, "assignment": "greedy"})


def test_warmup_epochs_must_leave_a_shared_epoch():
    from fpgagan.config import PruneConfig, QatConfig

    assert (
        QatConfig(epochs=5, codebook=CodebookConfig(k=4, warmup_epochs=4)).first_shared_epoch() == 5
    )
    with pytest.raises(ValueError, match=r"warmup_epochs \(4\) leaves no epoch of 4"):
        QatConfig(epochs=4, codebook=CodebookConfig(k=4, warmup_epochs=4))
    # a gradual pruning ramp (epochs // 2 = 3 of 6) comes first: 3 + 3 warm-up epochs leave none
    gradual = PruneConfig(sparsity=0.5, schedule="gradual")
    with pytest.raises(ValueError, match=r"\(4\) after the pruning ramp \(3 epochs\)"):
        QatConfig(epochs=6, prune=gradual, codebook=CodebookConfig(k=4, warmup_epochs=4))
    q = QatConfig(epochs=6, prune=gradual, codebook=CodebookConfig(k=4, warmup_epochs=2))
    assert (q.first_selectable_epoch(), q.first_shared_epoch()) == (3, 5)
    with pytest.raises(ValueError, match="warmup_epochs"):
        CodebookConfig(k=4, warmup_epochs=-1)


def test_warmup_trains_unshared_epochs_then_clusters_and_selects_only_shared_ones():
    """student_setup: no sharing (and no selection) during the warm-up; the first epoch after it
    clusters every layer to at most k values."""
    from types import SimpleNamespace

    from fpgagan.config import QatConfig, StudentConfig
    from fpgagan.models import build_discriminator
    from fpgagan.workflows.train_qat import student_setup

    q = QatConfig(
        epochs=4,
        precision=PRECISION,
        student=StudentConfig(init="scratch"),
        codebook=CodebookConfig(k=4, warmup_epochs=2),
    )
    gen = _generator()
    hook, select_from, distiller = student_setup(
        q, SimpleNamespace(), gen, build_discriminator("dcgan-disc-tiny", None)
    )
    assert (select_from, distiller) == (3, None)
    for epoch in (0, 1):  # warm-up: weights train freely
        before = {k: v.clone() for k, v in gen.state_dict().items()}
        hook(epoch)()
        for k, v in gen.state_dict().items():
            torch.testing.assert_close(v, before[k], rtol=0, atol=0)
    assert max(len(torch.unique(m.weight)) for m in weight_layers(gen).values()) > 4
    hook(2)()  # the first shared epoch
    for name, m in weight_layers(gen).items():
        assert len(torch.unique(m.weight)) <= 4, name
