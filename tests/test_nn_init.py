"""ember.nn.init against torch 2.13: the initialisers' values bit for bit after the same seed, and torch's own
module initialisation (nn.Linear, nn.Conv*) reproduced with kaiming_uniform_(a=sqrt(5)) + uniform_ for the bias."""
import math
import warnings

import numpy as np
import pytest
import torch

import ember

init, tinit = ember.nn.init, torch.nn.init


def tbytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def assert_same(e, t, what=""):
    assert tuple(e.shape) == tuple(t.shape), what
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], what
    assert np.ascontiguousarray(e._data).tobytes() == tbytes(t), what


def assert_state(what=""):
    assert np.ascontiguousarray(ember.get_rng_state()._data).tobytes() == tbytes(torch.get_rng_state()), what


def seed_both(s):
    ember.manual_seed(s)
    torch.manual_seed(s)


def ember_linear_init(fan_in, fan_out):
    """What torch.nn.Linear(fan_in, fan_out).reset_parameters() does."""
    w = ember.empty(fan_out, fan_in)
    init.kaiming_uniform_(w, a=math.sqrt(5))
    b = ember.empty(fan_out)
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
    init.uniform_(b, -bound, bound)
    return w, b


def ember_conv_init(weight_shape, n_bias):
    """What torch.nn.Conv*/ConvTranspose* reset_parameters() do (fan_in taken from the weight's shape)."""
    w = ember.empty(*weight_shape)
    init.kaiming_uniform_(w, a=math.sqrt(5))
    b = ember.empty(n_bias)
    fan_in, _ = init._calculate_fan_in_and_fan_out(w)
    if fan_in != 0:
        bound = 1 / math.sqrt(fan_in)
        init.uniform_(b, -bound, bound)
    return w, b


@pytest.mark.parametrize("seed", [0, 42])
def test_linear_784_10_and_conv2d_3_6_5_bit_for_bit(seed):
    ember.manual_seed(seed)
    w = init.kaiming_uniform_(ember.empty(10, 784), a=math.sqrt(5))
    b = init.uniform_(ember.empty(10), -1 / math.sqrt(784), 1 / math.sqrt(784))
    torch.manual_seed(seed)
    lin = torch.nn.Linear(784, 10)
    assert_same(w, lin.weight, "Linear weight")
    assert_same(b, lin.bias, "Linear bias")
    assert_state("Linear")
    seed_both(seed)
    w, b = ember_conv_init((6, 3, 5, 5), 6)
    conv = torch.nn.Conv2d(3, 6, 5)
    assert_same(w, conv.weight, "Conv2d weight")
    assert_same(b, conv.bias, "Conv2d bias")
    assert_state("Conv2d")


def test_spec_module_vectors():
    ember.manual_seed(0)
    w, b = ember_linear_init(784, 10)
    assert w[0, :4].tolist() == [-0.00026738643646240234, 0.019158700481057167, -0.029394470155239105,
                                 -0.026283537968993187]
    assert b[:4].tolist() == [-0.009154587984085083, 0.0277395136654377, -0.0110241137444973, -0.033521100878715515]
    ember.manual_seed(0)
    w, b = ember_conv_init((6, 3, 5, 5), 6)
    assert w.flatten()[:4].tolist() == [-0.00086450349772349, 0.061943169683218, -0.0950370654463768,
                                        -0.08497891575098038]
    assert b[:4].tolist() == [0.09576266258955002, 0.06217409297823906, 0.11477673053741455, 0.05833687633275986]


def test_a_small_model_initialises_like_torch():
    """Modules draw in construction order; a LeNet-like stack of layers, including groups and transposed convs."""
    for seed in (1, 2**32 - 1, -5):
        seed_both(seed)
        layers = [
            (lambda: ember_conv_init((16, 1, 3, 3), 16), lambda: torch.nn.Conv2d(1, 16, 3)),
            (lambda: ember_conv_init((32, 4, 3, 3), 32), lambda: torch.nn.Conv2d(16, 32, 3, groups=4)),
            (lambda: ember_conv_init((8, 3, 7), 8), lambda: torch.nn.Conv1d(3, 8, 7)),
            (lambda: ember_conv_init((4, 2, 2, 3, 3), 4), lambda: torch.nn.Conv3d(2, 4, (2, 3, 3))),
            (lambda: ember_conv_init((32, 8, 4, 4), 8), lambda: torch.nn.ConvTranspose2d(32, 8, 4)),
            (lambda: ember_linear_init(1152, 120), lambda: torch.nn.Linear(1152, 120)),
            (lambda: ember_linear_init(120, 84), lambda: torch.nn.Linear(120, 84)),
            (lambda: ember_linear_init(84, 10), lambda: torch.nn.Linear(84, 10)),
            (lambda: ember_linear_init(1, 1), lambda: torch.nn.Linear(1, 1)),
        ]
        for i, (make_e, make_t) in enumerate(layers):
            w, b = make_e()
            m = make_t()
            assert_same(w, m.weight, f"layer {i} weight")
            assert_same(b, m.bias, f"layer {i} bias")
            assert_state(f"layer {i}")


SHAPES = [(7, 3), (16, 16), (5, 4, 3, 3), (33, 1), (2, 300), (3, 2, 5)]


@pytest.mark.parametrize("shape", SHAPES)
def test_initialisers_match_torch(shape):
    cases = [
        ("uniform_", lambda I, t: I.uniform_(t)),
        ("uniform_(a, b)", lambda I, t: I.uniform_(t, -0.3, 0.7)),
        ("normal_", lambda I, t: I.normal_(t)),
        ("normal_(m, s)", lambda I, t: I.normal_(t, 0.5, 0.02)),
        ("xavier_uniform_", lambda I, t: I.xavier_uniform_(t)),
        ("xavier_uniform_(gain)", lambda I, t: I.xavier_uniform_(t, gain=I.calculate_gain("relu"))),
        ("xavier_normal_", lambda I, t: I.xavier_normal_(t, gain=1.7)),
        ("kaiming_uniform_", lambda I, t: I.kaiming_uniform_(t)),
        ("kaiming_uniform_ fan_out relu", lambda I, t: I.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu")),
        ("kaiming_uniform_ a", lambda I, t: I.kaiming_uniform_(t, a=0.2, mode="FAN_IN")),
        ("kaiming_normal_", lambda I, t: I.kaiming_normal_(t)),
        ("kaiming_normal_ fan_out", lambda I, t: I.kaiming_normal_(t, mode="fan_out", nonlinearity="tanh")),
        ("trunc_normal_", lambda I, t: I.trunc_normal_(t, std=0.02)),
        ("trunc_normal_ redraws", lambda I, t: I.trunc_normal_(t, mean=0.5, std=1.0, a=-1.0, b=2.0)),
        ("constant_", lambda I, t: I.constant_(t, 0.25)),
        ("zeros_", lambda I, t: I.zeros_(t)),
        ("ones_", lambda I, t: I.ones_(t)),
    ]
    for seed in (0, 123):
        seed_both(seed)
        for name, f in cases:
            for dtype in ("float32", "float64"):
                e = ember.empty(*shape, dtype=getattr(ember, dtype))
                t = torch.empty(*shape, dtype=getattr(torch, dtype))
                assert f(init, e) is e
                f(tinit, t)
                assert_same(e, t, f"{name} {shape} {dtype}")
                assert_state(f"{name} {shape} {dtype}")
            # non-contiguous targets are filled in torch's (memory) order
            e = ember.empty(*shape[::-1]).t() if len(shape) == 2 else ember.empty(*shape).transpose(0, 1)
            t = torch.empty(*shape[::-1]).t() if len(shape) == 2 else torch.empty(*shape).transpose(0, 1)
            f(init, e)
            f(tinit, t)
            assert_same(e, t, f"{name} {shape} transposed")
            assert_state(f"{name} {shape} transposed")


def test_generator_argument_and_parameters():
    g, tg = ember.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    seed_both(0)
    for name, f in [("uniform_", lambda I, t, G: I.uniform_(t, -1, 1, generator=G)),
                    ("normal_", lambda I, t, G: I.normal_(t, 0, 2, generator=G)),
                    ("xavier_uniform_", lambda I, t, G: I.xavier_uniform_(t, generator=G)),
                    ("xavier_normal_", lambda I, t, G: I.xavier_normal_(t, generator=G)),
                    ("kaiming_uniform_", lambda I, t, G: I.kaiming_uniform_(t, a=math.sqrt(5), generator=G)),
                    ("kaiming_normal_", lambda I, t, G: I.kaiming_normal_(t, generator=G)),
                    ("trunc_normal_", lambda I, t, G: I.trunc_normal_(t, std=0.5, generator=G))]:
        e = ember.empty(20, 30, requires_grad=True)
        t = torch.empty(20, 30, requires_grad=True)
        f(init, e, g)
        f(tinit, t, tg)
        assert_same(e, t, name)
        assert e.requires_grad and e.is_leaf and e.grad_fn is None
        assert np.ascontiguousarray(g.get_state()._data).tobytes() == tbytes(tg.get_state())
        assert_state(f"{name}: default generator untouched")


def test_eye_dirac_sparse():
    seed_both(4)
    for shape in [(3, 5), (4, 4), (6, 2)]:
        assert_same(init.eye_(ember.empty(*shape)), tinit.eye_(torch.empty(*shape)))
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 3, 3, 3), 1), ((8, 2, 5, 5), 4)]:
        assert_same(init.dirac_(ember.empty(*shape), groups), tinit.dirac_(torch.empty(*shape), groups))
    for sparsity in (0.1, 0.5):
        assert_same(init.sparse_(ember.empty(10, 6), sparsity), tinit.sparse_(torch.empty(10, 6), sparsity))
        assert_state("sparse_")
    for f in (init.eye_, init.dirac_):
        with pytest.raises(ValueError):
            f(ember.empty(2, 2, 2, 2, 2, 2))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(ember.empty(3, 2, 3), 2)


def test_trunc_normal_heavy_truncation_is_a_truncated_normal():
    """p(a <= X <= b) <= 0.3 takes torch's uniform-proposal rejection branch: check the distribution."""
    ember.manual_seed(0)
    x = init.trunc_normal_(ember.empty(200_000, dtype=ember.float64), mean=0.0, std=1.0, a=1.0, b=3.0)
    v = x._data
    assert v.min() >= 1.0 and v.max() <= 3.0

    def cdf(z):
        return 0.5 * (1 + math.erf(z / math.sqrt(2)))

    z = cdf(3.0) - cdf(1.0)
    grid = np.linspace(1.0, 3.0, 41)
    want = np.array([(cdf(g) - cdf(1.0)) / z for g in grid])
    got = np.searchsorted(np.sort(v), grid, side="right") / v.size
    assert np.abs(got - want).max() < 0.006  # Kolmogorov-Smirnov distance (critical value ~0.004 at 1%)
    mean = (math.exp(-0.5) - math.exp(-4.5)) / math.sqrt(2 * math.pi) / z
    assert abs(v.mean() - mean) < 0.005
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        init.trunc_normal_(ember.empty(10), mean=10.0, std=1.0, a=-2.0, b=2.0)


def test_calculate_gain_and_fans():
    for nl in ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
               "sigmoid", "tanh", "relu", "leaky_relu", "selu"]:
        assert init.calculate_gain(nl) == tinit.calculate_gain(nl)
    for param in (None, 0, 0.2, 3, math.sqrt(5)):
        assert init.calculate_gain("leaky_relu", param) == tinit.calculate_gain("leaky_relu", param)
    for bad, param in (("softmax", None), ("leaky_relu", True), ("leaky_relu", "x")):
        with pytest.raises(ValueError) as te:
            tinit.calculate_gain(bad, param)
        with pytest.raises(ValueError) as ee:
            init.calculate_gain(bad, param)
        assert str(ee.value) == str(te.value)
    for shape in [(3, 4), (5, 4, 3), (6, 3, 5, 5), (2, 3, 4, 5, 6), (0, 3), (3, 0, 2)]:
        assert init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
            tinit._calculate_fan_in_and_fan_out(torch.empty(*shape))
    for f, tf in ((init._calculate_fan_in_and_fan_out, tinit._calculate_fan_in_and_fan_out),
                  (init.xavier_uniform_, tinit.xavier_uniform_), (init.kaiming_normal_, tinit.kaiming_normal_)):
        with pytest.raises(ValueError) as te:
            tf(torch.empty(5))
        with pytest.raises(ValueError) as ee:
            f(ember.empty(5))
        assert str(ee.value) == str(te.value)
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(ember.empty(3, 3), mode="fan_avg")


def test_zero_element_and_deprecated_forms():
    seed_both(5)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(ember.empty(0, 3))
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_normal_(ember.empty(3, 0))
    with pytest.warns(FutureWarning, match="`nn.init.xavier_uniform` is now deprecated"):
        e = init.xavier_uniform(ember.empty(3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = tinit.xavier_uniform(torch.empty(3, 4))
    assert_same(e, t)
    assert_state("deprecated xavier_uniform")


@pytest.mark.parametrize("shape,gain", [((4, 4), 1.0), ((3, 5), 2.0), ((6, 2), 0.5), ((4, 2, 3), 1.0)])
def test_orthogonal_matches_torch(shape, gain):
    """Same draws (torch's normal_ on a (rows, cols) matrix) and the same sign-fixed Q; the QR runs in float64 in
    NumPy, so float32 results agree to rounding, not bit for bit."""
    seed_both(9)
    e = init.orthogonal_(ember.empty(*shape), gain)
    t = tinit.orthogonal_(torch.empty(*shape), gain)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)
    assert_state("orthogonal_")
    m = e.reshape(shape[0], -1).numpy().astype(np.float64) / gain
    small = min(m.shape)
    np.testing.assert_allclose(m @ m.T if m.shape[0] == small else m.T @ m, np.eye(small), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        init.orthogonal_(ember.empty(3))
