"""ember.fft (ember/ops/fft.py) against torch.fft, through the parity harness: values, dtypes (integers promoted to
the default float dtype, real -> complex), shapes, grad_fn names and gradients under random complex upstream
gradients (the Hermitian halves of rfft/irfft/hfft as torch's FunctionsManual.cpp handles them); n/s cropping and
zero-padding, dim, the three norms, out=; float64 gradcheck with complex inputs and outputs (ember's gradcheck
checks the real and imaginary parts separately, as torch's does) and gradgradcheck; every spec again on the stand-in
device; torch's errors for bad n/s/dim/norm/dtypes."""
import pytest
import torch

import ember
import ember.fft  # noqa: F401  (the submodule, as `import torch.fft`)
from parity import OpSpec, check_error, define_parity_tests, gradcheck_inputs, t_
from test_gradcheck import _func

F32, F64, C64, C128 = "float32", "float64", "complex64", "complex128"
NAMESPACE = "fft"  # the specs' names are ember.fft's (`ifft/ortho` tests fft.ifft: tests/scripts/coverage_issue7.py)
SPECS = []


def spec(name, fn, samples, **kw):
    SPECS.append(OpSpec(name, fn, samples, **kw))


NORMS = (None, "backward", "ortho", "forward")


def _cout(lib, a):
    """An empty out= of the result's complex dtype (torch's MKL and pocketfft round float32 differently, so a
    complex128 out= of a float32 transform would be compared at float64 tolerance)."""
    return lib.empty(0, dtype=lib.complex128 if a.dtype in (lib.float64, lib.complex128) else lib.complex64)


def _rout(lib, a):
    return lib.empty(0, dtype=lib.float64 if a.dtype in (lib.float64, lib.complex128) else lib.float32)

# (no empty batches: torch's MKL path refuses them with an MKL configuration error, not a rule to copy)
# ---- 1-D transforms ---------------------------------------------------------------------------------------------------
C1 = [(t_((6,), C64),), (t_((3, 5), C64, layout="t"),), (t_((2, 3, 4), C128, layout="s"),), (t_((4, 7), C128),)]
R1 = [(t_((6,)),), (t_((3, 5), layout="t"),), (t_((2, 3, 4), F64, layout="s"),), (t_((4, 7), F64),),
      (t_((5,), "int64"),), (t_((4,), "bool"),)]
for _n in ("fft", "ifft"):
    for _norm in NORMS:
        spec(f"{_n}/{_norm}", lambda lib, a, _n=_n, _norm=_norm: getattr(lib.fft, _n)(a, norm=_norm), C1 + R1)
    spec(f"{_n}/n_pad", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, 9), C1[:4] + R1[:4])
    spec(f"{_n}/n_crop_dim0", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, n=2, dim=0, norm="ortho"), C1[:4] + R1[:4])
    spec(f"{_n}/out", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, out=_cout(lib, a)),
         C1[:2] + R1[:2], grad=False)
for _n in ("rfft", "ihfft"):
    for _norm in NORMS:
        spec(f"{_n}/{_norm}", lambda lib, a, _n=_n, _norm=_norm: getattr(lib.fft, _n)(a, norm=_norm), R1)
    spec(f"{_n}/n_pad", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, 9), R1[:4])
    spec(f"{_n}/n_crop_dim0", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, n=2, dim=0, norm="forward"), R1[:4])
    spec(f"{_n}/out", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, out=_cout(lib, a)), R1[:2],
         grad=False)
# irfft/hfft take the Hermitian half: any complex input (the imaginary parts of the zero and Nyquist frequencies
# are ignored, as pocketfft ignores them in both libraries), or a real one (promoted)
H1 = [(t_((5,), C64),), (t_((3, 4), C64, layout="t"),), (t_((2, 3, 4), C128, layout="s"),), (t_((4, 6), C128),),
      (t_((5,)),), (t_((4,), "int64"),)]
for _n in ("irfft", "hfft"):
    for _norm in NORMS:
        spec(f"{_n}/{_norm}", lambda lib, a, _n=_n, _norm=_norm: getattr(lib.fft, _n)(a, norm=_norm), H1)
    spec(f"{_n}/n_even", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, 10), H1[:4])
    spec(f"{_n}/n_odd", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, 7, norm="ortho"), H1[:4])
    spec(f"{_n}/n_crop_dim0", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, n=3, dim=0), H1[1:4])
    spec(f"{_n}/out", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, out=_rout(lib, a)), H1[:2],
         grad=False)

# ---- 2-D and N-D ------------------------------------------------------------------------------------------------------
CN = [(t_((3, 4), C64),), (t_((2, 3, 4), C128, layout="t"),), (t_((3, 2, 4), C64, layout="s"),), (t_((3, 4)),),
      (t_((2, 3, 5), F64),), (t_((3, 4), "int32"),)]
for _n in ("fft2", "ifft2", "fftn", "ifftn"):
    spec(f"{_n}", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a), CN)
    spec(f"{_n}/s", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, s=(2, 6), norm="ortho"), CN)
    spec(f"{_n}/dim", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, dim=(0, -1), norm="forward"), CN)
    spec(f"{_n}/s_minus1", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, s=(-1, 3), dim=(1, 0)), CN)
    spec(f"{_n}/out", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, out=_cout(lib, a)), CN[:2],
         grad=False)
spec("fftn/one_dim", lambda lib, a: lib.fft.fftn(a, dim=1), CN)
spec("fftn/0d", lambda lib, a: lib.fft.fftn(a), [(t_(()),), (t_((), C128),)])
spec("ifftn/s_only", lambda lib, a: lib.fft.ifftn(a, s=(5,)), CN)
RN = [(t_((3, 4)),), (t_((2, 3, 4), F64, layout="t"),), (t_((3, 2, 4), layout="s"),), (t_((4, 6), "int64"),)]
for _n in ("rfft2", "rfftn", "ihfft2", "ihfftn"):
    spec(f"{_n}", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a), RN)
    spec(f"{_n}/s", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, s=(2, 7), norm="ortho"), RN)
    spec(f"{_n}/dim", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, dim=(-1, 0), norm="forward"), RN)
    spec(f"{_n}/out", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, out=_cout(lib, a)), RN[:2],
         grad=False)
HN = [(t_((3, 4), C64),), (t_((2, 3, 4), C128, layout="t"),), (t_((3, 2, 4), C64, layout="s"),), (t_((3, 5)),)]
for _n in ("irfft2", "irfftn", "hfft2", "hfftn"):
    spec(f"{_n}", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a), HN)
    spec(f"{_n}/s", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, s=(2, 7), norm="ortho"), HN)
    spec(f"{_n}/s_minus1", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, s=(3, -1), norm="forward"), HN)
    spec(f"{_n}/dim", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, dim=(-1, 0)), HN)
    spec(f"{_n}/out", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, out=_rout(lib, a)), HN[:2],
         grad=False)
spec("irfftn/one_dim", lambda lib, a: lib.fft.irfftn(a, dim=0), HN)
spec("rfftn/all_dims_3d", lambda lib, a: lib.fft.rfftn(a), [(t_((2, 3, 4), F64),)])
spec("hfftn/three_dims", lambda lib, a: lib.fft.hfftn(a, s=(2, 3, 4)), [(t_((2, 3, 4), C128),)])
spec("ihfftn/three_dims", lambda lib, a: lib.fft.ihfftn(a), [(t_((2, 3, 4), F64),)])

# ---- round trips and compositions (gradients through two transforms) -------------------------------------------------
spec("roundtrip/rfft_irfft", lambda lib, a: lib.fft.irfft(lib.fft.rfft(a) * 2, n=a.shape[-1]), R1[:4])
spec("roundtrip/fft_abs", lambda lib, a: lib.fft.fft(a).abs(), C1[:4] + R1[:4])
spec("roundtrip/fftn_real", lambda lib, a: lib.fft.ifftn(lib.fft.fftn(a, norm="ortho") * 3, norm="ortho").real, CN)

# ---- frequencies and shifts --------------------------------------------------------------------------------------------
spec("fftfreq", lambda lib: (lib.fft.fftfreq(5), lib.fft.fftfreq(8, 0.1), lib.fft.fftfreq(1), lib.fft.fftfreq(0)),
     [()], grad=False)
spec("fftfreq/dtype", lambda lib: (lib.fft.fftfreq(7, 2.5, dtype=lib.float64),
                                   lib.fft.fftfreq(9, 0.3, dtype=lib.float16),
                                   lib.fft.fftfreq(9, 0.3, dtype=lib.bfloat16),
                                   lib.fft.fftfreq(4, requires_grad=True)), [()], grad=False)
spec("fftfreq/out", lambda lib: lib.fft.fftfreq(6, 0.5, out=lib.empty(0, dtype=lib.float64)), [()], grad=False)
spec("rfftfreq", lambda lib: (lib.fft.rfftfreq(5), lib.fft.rfftfreq(8, 0.1), lib.fft.rfftfreq(1),
                              lib.fft.rfftfreq(11, 3.0, dtype=lib.float64)), [()], grad=False)
spec("rfftfreq/out", lambda lib: lib.fft.rfftfreq(6, 0.5, out=lib.empty(0)), [()], grad=False)
SH = [(t_((7,)),), (t_((4, 5), layout="t"),), (t_((2, 3, 4), C64, layout="s"),), (t_((3, 6), "int64"),),
      (t_((0, 3)),)]
for _n in ("fftshift", "ifftshift"):
    spec(_n, lambda lib, a, _n=_n: getattr(lib.fft, _n)(a), SH)
    spec(f"{_n}/dim", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, dim=-1), SH)
    spec(f"{_n}/dims", lambda lib, a, _n=_n: getattr(lib.fft, _n)(a, (0, -1)), SH[1:4])


def _gc_cases():
    out = []
    for s in SPECS:
        if not s.grad or s.name.endswith("/out"):
            continue
        for i, sample in enumerate(s.samples):
            if all(x.dtype in (F32, F64, C64, C128) and 0 not in x.shape and len(x.shape) for x in sample):
                out.append((s, i))
                break
    return out


GC = _gc_cases()
define_parity_tests(globals(), SPECS, gc=GC, exempt=lambda name: name.endswith(("/out", "/0d"))
                    or name.startswith(("fftfreq", "rfftfreq")))


GG = ["fft/None", "ifft/ortho", "rfft/forward", "irfft/None", "hfft/ortho", "ihfft/None", "fftn/s", "rfftn/s",
      "irfftn/s", "hfftn", "ihfftn/dim"]


@pytest.mark.parametrize("name", GG)
def test_gradgradcheck(name):
    """Double backward: the backward formulas are transforms themselves (as torch's)."""
    s, i = next((s, i) for s, i in GC if s.name == name)
    f, tensors = _func(s, gradcheck_inputs(s, i))
    assert ember.autograd.gradgradcheck(f, tensors, eps=1e-6, atol=1e-5, rtol=1e-3)


def test_is_a_submodule():
    import importlib
    assert importlib.import_module("ember.fft") is ember.fft
    assert ember.fft.fft.__wrapped__ is ember.ops.fft.fft
    names = sorted(n for n in dir(torch.fft) if not n.startswith("_") and callable(getattr(torch.fft, n)) and n != "Tensor")
    assert all(callable(getattr(ember.fft, n, None)) for n in names), names


def test_ifft_of_real_is_a_conjugate_view():
    """torch returns rfft's result conjugated lazily (is_conj) for ifft/ihfft of a real input."""
    for name in ("ifft", "ihfft", "fft", "rfft"):
        t = getattr(torch.fft, name)(torch.randn(4))
        e = getattr(ember.fft, name)(ember.randn(4))
        assert e.is_conj() == t.is_conj(), name


def _e(fn, *ins, **kw):
    return check_error(fn, list(ins), **kw)


V, M = t_((4,)), t_((3, 4))


@pytest.mark.parametrize("fn,ins", [
    (lambda lib, a: lib.fft.fft(a, norm="foo"), [V]),
    (lambda lib, a: lib.fft.rfftn(a, norm="Ortho"), [M]),
    (lambda lib, a: lib.fft.fft(a, n=0), [V]),
    (lambda lib, a: lib.fft.irfft(a, n=-2), [V]),
    (lambda lib, a: lib.fft.fft(a, dim=1), [V]),
    (lambda lib, a: lib.fft.rfft(a, dim=-3), [M]),
    (lambda lib, a: lib.fft.fft(a), [t_(())]),
    (lambda lib, a: lib.fft.rfftn(a), [t_(())]),
    (lambda lib, a: lib.fft.irfftn(a), [t_(())]),
    (lambda lib, a: lib.fft.fftn(a, dim=(0, 0)), [M]),
    (lambda lib, a: lib.fft.fftn(a, dim=(0, -2)), [M]),
    (lambda lib, a: lib.fft.fftn(a, s=(3, 4, 5)), [M]),
    (lambda lib, a: lib.fft.fftn(a, s=(3,), dim=(0, 1)), [M]),
    (lambda lib, a: lib.fft.fft2(a, s=(0, 4)), [M]),
    (lambda lib, a: lib.fft.fft2(a), [V]),
    (lambda lib, a: lib.fft.rfft(a.to(lib.complex64)), [V]),
    (lambda lib, a: lib.fft.rfftn(a.to(lib.complex64)), [M]),
    (lambda lib, a: lib.fft.fft(a.half()), [V]),
    (lambda lib, a: lib.fft.rfft(a.bfloat16()), [V]),
    (lambda lib, a: lib.fft.fft(a), [t_((0,))]),
    (lambda lib, a: lib.fft.irfft(a), [t_((1,), C64)]),
    (lambda lib, a: lib.fft.fft(a, out=lib.empty(0)), [V]),
    (lambda lib, a: lib.fft.rfft(a, out=lib.empty(0)), [V]),
    (lambda lib, a: lib.fft.irfft(a, out=lib.empty(0, dtype=lib.complex64)), [t_((4,), C64)]),
    (lambda lib, a: lib.fft.fftn(a, out=lib.empty(0, dtype=lib.float64)), [M]),
    (lambda lib, a: lib.fft.fft(a, out=lib.empty(0, dtype=lib.complex64)), [t_((4,), grad=True)]),
    (lambda lib: lib.fft.fftfreq(4, dtype=lib.int64), []),
    (lambda lib: lib.fft.fftfreq(4, dtype=lib.complex64), []),
    (lambda lib: lib.fft.rfftfreq(4, out=lib.empty(0, dtype=lib.int32)), []),
    (lambda lib, a: lib.fft.fftshift(a, dim=2), [M]),
    (lambda lib, a: lib.fft.ifftshift(a), [t_(())]),
])
def test_errors(fn, ins):
    _e(fn, *ins, grad=True)


@pytest.mark.parametrize("fn", [lambda lib, a: lib.fft.fft(a, n=2.5), lambda lib, a: lib.fft.fft(a, dim=1.0)])
def test_type_errors(fn):
    """torch's parser names the function fft_fft; ember names it as it was called."""
    _e(fn, V, match=["must be int, not float"])
