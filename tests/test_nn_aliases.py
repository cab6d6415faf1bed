"""torch's top-level forms of nn functionals (torch.max_pool2d, torch.batch_norm, torch.embedding, ...) with
aten's argument orders and integer reductions, against torch (parity harness: values, grad_fn names, gradients)."""
import numpy as np
import pytest
import torch

import ember
from parity import OpSpec, cases, check, t_


def _idx(lib, shape, n, seed):
    return lib.tensor(np.random.default_rng(seed).integers(0, n, shape))


def _rm(lib, c):
    return lib.zeros(c), lib.ones(c)


SPECS = [
    OpSpec("torch.batch_norm/train", lambda lib, x, w, b: lib.batch_norm(x, w, b, *_rm(lib, 3), True, 0.1, 1e-5, False),
           [(t_((4, 3, 5)), t_((3,)), t_((3,)))]),
    OpSpec("torch.batch_norm/eval", lambda lib, x: lib.batch_norm(x, None, None, *_rm(lib, 3), False, 0.1, 1e-5, True),
           [(t_((4, 3)),)]),
    OpSpec("torch.instance_norm", lambda lib, x, w: lib.instance_norm(x, w, None, None, None, True, 0.1, 1e-5, False),
           [(t_((2, 3, 5)), t_((3,)))]),
    OpSpec("torch.layer_norm", lambda lib, x, w, b: lib.layer_norm(x, [5], w, b, 1e-5, True),
           [(t_((2, 3, 5)), t_((5,)), t_((5,)))]),
    OpSpec("torch.layer_norm/default", lambda lib, x: lib.layer_norm(x, (3, 5)), [(t_((2, 3, 5)),)]),
    OpSpec("torch.group_norm", lambda lib, x, w: lib.group_norm(x, 2, w, None, 1e-5, True), [(t_((2, 4, 3)), t_((4,)))]),
    OpSpec("torch.rms_norm", lambda lib, x, w: lib.rms_norm(x, [5], w), [(t_((2, 3, 5)), t_((5,)))]),
    OpSpec("torch.dropout/eval", lambda lib, x: lib.dropout(x, 0.5, False), [(t_((3, 4)),)]),
    OpSpec("torch.dropout/p0", lambda lib, x: lib.dropout(x, 0.0, True), [(t_((3, 4)),)]),
    OpSpec("torch.alpha_dropout/eval", lambda lib, x: lib.alpha_dropout(x, 0.5, False), [(t_((3, 4)),)]),
    OpSpec("torch.feature_alpha_dropout/eval", lambda lib, x: lib.feature_alpha_dropout(x, 0.5, False),
           [(t_((3, 4)),)]),
    OpSpec("torch.feature_dropout/eval", lambda lib, x: lib.feature_dropout(x, 0.5, False), [(t_((3, 4, 2)),)]),
    OpSpec("torch.dropout_/eval", lambda lib, x: lib.dropout_(x * 1, 0.5, False), [(t_((3, 4)),)]),
    OpSpec("torch.alpha_dropout_/eval", lambda lib, x: lib.alpha_dropout_(x * 1, 0.5, False), [(t_((3, 4)),)]),
    OpSpec("torch.feature_alpha_dropout_/eval", lambda lib, x: lib.feature_alpha_dropout_(x * 1, 0.2, False),
           [(t_((3, 4)),)]),
    OpSpec("torch.feature_dropout_/eval", lambda lib, x: lib.feature_dropout_(x * 1, 0.2, False), [(t_((3, 4)),)]),
    OpSpec("torch.embedding", lambda lib, w: lib.embedding(w, _idx(lib, (2, 3), 5, 1)), [(t_((5, 4)),)]),
    OpSpec("torch.embedding/padding", lambda lib, w: lib.embedding(w, _idx(lib, (6,), 5, 2), 1, False, False),
           [(t_((5, 4)),)]),
    OpSpec("torch.kl_div", lambda lib, x, y: lib.kl_div(x, y, 2, log_target=True), [(t_((3, 4)), t_((3, 4)))]),
    OpSpec("torch.kl_div/none", lambda lib, x, y: lib.kl_div(x, y.softmax(1), 0), [(t_((3, 4)), t_((3, 4)))]),
    OpSpec("torch.binary_cross_entropy_with_logits", lambda lib, x, y: lib.binary_cross_entropy_with_logits(
        x, y.sigmoid(), None, None, 2), [(t_((3, 4)), t_((3, 4)))]),
    OpSpec("torch.cosine_embedding_loss", lambda lib, a, b: lib.cosine_embedding_loss(
        a, b, lib.tensor([1, -1, 1]), 0.1, 1), [(t_((3, 4)), t_((3, 4)))]),
    OpSpec("torch.hinge_embedding_loss", lambda lib, a: lib.hinge_embedding_loss(a, lib.tensor([1.0, -1.0, 1.0]),
                                                                                 0.5, 0), [(t_((3,)),)]),
    OpSpec("torch.margin_ranking_loss", lambda lib, a, b: lib.margin_ranking_loss(a, b, lib.tensor([1.0, -1.0, 1.0])),
           [(t_((3,)), t_((3,)))]),
    OpSpec("torch.poisson_nll_loss", lambda lib, x, y: lib.poisson_nll_loss(x, y, True, False, 1e-8, 1),
           [(t_((3, 4)), t_((3, 4), domain="pos"))]),
    OpSpec("torch.triplet_margin_loss", lambda lib, a, p, n: lib.triplet_margin_loss(a, p, n, 1.0, 2.0, 1e-6, True, 2),
           [(t_((3, 4)), t_((3, 4)), t_((3, 4)))]),
    OpSpec("torch.ctc_loss", lambda lib, lp: lib.ctc_loss(lp.log_softmax(2), lib.tensor([[1, 2], [3, 3]]), [5, 4],
                                                          [2, 2], 0, 2, False), [(t_((5, 2, 4)),)]),
    OpSpec("torch.threshold", lambda lib, x: lib.threshold(x, 0.1, -2.0), [(t_((3, 4)),)]),
    OpSpec("torch.threshold_", lambda lib, x: lib.threshold_(x * 1, 0.1, -2.0), [(t_((3, 4)),)]),
    OpSpec("torch.rrelu/eval", lambda lib, x: lib.rrelu(x), [(t_((3, 4)),)]),
    OpSpec("torch.rrelu_/eval", lambda lib, x: lib.rrelu_(x * 1, 0.2, 0.4), [(t_((3, 4)),)]),
    OpSpec("torch.selu", lambda lib, x: lib.selu(x), [(t_((3, 4)),)]),
    OpSpec("torch.selu_", lambda lib, x: lib.selu_(x * 1), [(t_((3, 4)),)]),
    OpSpec("torch.celu", lambda lib, x: lib.celu(x, 0.5), [(t_((3, 4)),)]),
    OpSpec("torch.celu_", lambda lib, x: lib.celu_(x * 1), [(t_((3, 4)),)]),
    OpSpec("torch.relu_", lambda lib, x: lib.relu_(x * 1), [(t_((3, 4)),)]),
    OpSpec("torch.sigmoid_", lambda lib, x: lib.sigmoid_(x * 1), [(t_((3, 4)),)]),
    OpSpec("torch.tanh_", lambda lib, x: lib.tanh_(x * 1), [(t_((3, 4)),)]),
    OpSpec("torch.hardshrink", lambda lib, x: lib.hardshrink(x, 0.3), [(t_((3, 4)),)]),
    OpSpec("torch.prelu", lambda lib, x, w: lib.prelu(x, w), [(t_((2, 3, 4)), t_((3,)))]),
    OpSpec("torch.max_pool1d", lambda lib, x: lib.max_pool1d(x, 2), [(t_((2, 3, 7)),)]),
    OpSpec("torch.max_pool1d/all", lambda lib, x: lib.max_pool1d(x, 3, 2, 1, 1, True), [(t_((2, 3, 8)),)]),
    OpSpec("torch.max_pool2d", lambda lib, x: lib.max_pool2d(x, 2), [(t_((2, 3, 6, 5)),)]),
    OpSpec("torch.max_pool2d/stride", lambda lib, x: lib.max_pool2d(x, (2, 3), [1, 2], 1), [(t_((2, 3, 6, 5)),)]),
    OpSpec("torch.max_pool3d", lambda lib, x: lib.max_pool3d(x, 2), [(t_((1, 2, 4, 4, 4)),)]),
    OpSpec("torch.max_pool1d_with_indices", lambda lib, x: lib.max_pool1d_with_indices(x, 2), [(t_((2, 3, 7)),)]),
    OpSpec("torch.avg_pool1d", lambda lib, x: lib.avg_pool1d(x, 3, 2, 1), [(t_((2, 3, 7)),)]),
    OpSpec("torch.adaptive_avg_pool1d", lambda lib, x: lib.adaptive_avg_pool1d(x, 3), [(t_((2, 3, 7)),)]),
    OpSpec("torch.adaptive_max_pool1d", lambda lib, x: lib.adaptive_max_pool1d(x, 3), [(t_((2, 3, 7)),)]),
    # NormBackward1 in torch, the vector norm's node in ember (see F.pairwise_distance in test_nn_more.py)
    OpSpec("torch.pairwise_distance", lambda lib, a, b: lib.pairwise_distance(a, b), [(t_((3, 4)), t_((3, 4)))],
           check_grad_fn=False),
    OpSpec("torch.cosine_similarity", lambda lib, a, b: lib.cosine_similarity(a, b, 0), [(t_((3, 4)), t_((3, 4)))]),
    OpSpec("torch.pdist", lambda lib, a: lib.pdist(a), [(t_((4, 3)),)]),
    OpSpec("torch.bilinear", lambda lib, a, b, w: lib.bilinear(a, b, w), [(t_((3, 2)), t_((3, 4)), t_((5, 2, 4)))]),
]


@pytest.mark.parametrize("spec,i", **cases(SPECS))
def test_parity(spec, i):
    check(spec, i)


def test_every_alias_is_checked_and_exists_in_torch():
    names = {s.name.split("/")[0].split(".", 1)[1] for s in SPECS}
    assert set(ember._NN_ALIASES) == names
    assert all(hasattr(torch, n) for n in names)


def test_reduction_defaults_and_unknown_values():
    """torch's top-level losses default to no reduction (0) and treat an unknown reduction int as none."""
    x = np.random.default_rng(0).standard_normal((3, 4))
    for fn in (lambda lib, a: lib.kl_div(a, a), lambda lib, a: lib.kl_div(a, a, 5),
               lambda lib, a: lib.binary_cross_entropy_with_logits(a, a.sigmoid()),
               lambda lib, a: lib.triplet_margin_loss(a, a * 2, a), lambda lib, a: lib.hinge_embedding_loss(a, a.sign()),
               lambda lib, a: lib.margin_ranking_loss(a, a * 2, a.sign()),
               lambda lib, a: lib.cosine_embedding_loss(a, a * 2, lib.tensor([1, -1, 1]))):
        t, e = fn(torch, torch.tensor(x)), fn(ember, ember.tensor(x))
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12, atol=1e-12)
