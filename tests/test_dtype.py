"""dtypes, default dtype, type promotion: ember side by side with torch 2.13 (the oracle)."""
import itertools
import math
import pickle

import numpy as np
import pytest
import torch

import ember

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
         "complex64", "complex128", "uint16", "uint32", "uint64"]
ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
           "short": "int16", "cfloat": "complex64", "cdouble": "complex128"}


def E(name):
    return getattr(ember, name)


def T(name):
    return getattr(torch, name)


def ename(d):
    """torch dtype -> the matching ember dtype."""
    return getattr(ember, str(d).split(".")[1])


def outcome(fn, lib):
    """str of fn()'s result with torch's prefix as ember's, or the type of the exception it raised (torch refuses
    to promote uint16/32/64 with anything but themselves and floating types)."""
    try:
        return str(fn()).replace("torch.", "ember.").replace("complex32", "complex64")
    except Exception as e:  # noqa: BLE001
        if lib is ember:
            assert "Promotion for uint16, uint32, uint64 types is not supported" in str(e), e
        return type(e)


def tstr(d):
    """torch's dtype as ember spells it. Known divergence: NumPy has no complex32, so where torch promotes to
    complex32 (a float16 operand meeting a complex one of lower priority) ember gives complex64."""
    return str(d).replace("torch.", "ember.").replace("complex32", "complex64")


@pytest.fixture
def default_dtype():
    """Restore the default dtype of both libraries after a test that changes it."""
    yield
    ember.set_default_dtype(ember.float32)
    torch.set_default_dtype(torch.float32)


# ---- names, aliases, predicates ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES + list(ALIASES))
def test_dtype_names_and_predicates(name):
    e, t = E(name), T(name)
    assert isinstance(e, ember.dtype)
    assert str(e) == str(t).replace("torch.", "ember.")
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert e.is_floating_point == t.is_floating_point
    assert e.is_complex == t.is_complex
    assert e.is_signed == t.is_signed
    assert e.itemsize == t.itemsize
    assert ember.tensor([1], dtype=e).element_size() == torch.tensor([1], dtype=t).element_size()


@pytest.mark.parametrize("alias,name", ALIASES.items())
def test_aliases_are_the_same_object(alias, name):
    assert E(alias) is E(name)
    assert E(alias) == E(name)
    assert hash(E(alias)) == hash(E(name))


def test_str_prefix():
    assert str(ember.float32) == "ember.float32"
    assert repr(ember.int64) == "ember.int64"


def test_dtype_pickle_identity():
    for n in NAMES:
        assert pickle.loads(pickle.dumps(E(n))) is E(n)


@pytest.mark.parametrize("name", NAMES)
def test_tensor_predicates(name):
    e = ember.zeros(2, dtype=E(name))
    t = torch.zeros(2, dtype=T(name))
    assert e.is_floating_point() == t.is_floating_point()
    assert e.is_complex() == t.is_complex()
    assert e.is_signed() == t.is_signed()
    assert ember.is_floating_point(e) == torch.is_floating_point(t)
    assert ember.is_complex(e) == torch.is_complex(t)
    assert e.element_size() == t.element_size()
    assert e.itemsize == t.itemsize


# ---- finfo / iinfo ----------------------------------------------------------------------------------------------
FINFO_FIELDS = ["bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"]


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"])
def test_finfo(name):
    a, b = ember.finfo(E(name)), torch.finfo(T(name))
    for f in FINFO_FIELDS:
        assert getattr(a, f) == getattr(b, f), f
        assert type(getattr(a, f)) is type(getattr(b, f)), f
    assert a.dtype == b.dtype
    assert repr(a) == repr(b)


def test_finfo_default(default_dtype):
    assert ember.finfo().eps == torch.finfo().eps
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    assert ember.finfo().eps == torch.finfo().eps
    assert ember.finfo().dtype == torch.finfo().dtype


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64"])
def test_iinfo(name):
    a, b = ember.iinfo(E(name)), torch.iinfo(T(name))
    for f in ["bits", "max", "min"]:
        assert getattr(a, f) == getattr(b, f), f
        assert type(getattr(a, f)) is type(getattr(b, f)), f
    assert a.dtype == b.dtype
    assert repr(a) == repr(b)


@pytest.mark.parametrize("fn,name", [("finfo", "int32"), ("finfo", "bool"), ("iinfo", "float32"),
                                     ("iinfo", "bool"), ("iinfo", "complex64")])
def test_info_errors(fn, name):
    with pytest.raises(Exception) as te:
        getattr(torch, fn)(T(name))
    with pytest.raises(te.type):
        getattr(ember, fn)(E(name))


# ---- default dtype ------------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:ComplexHalf support")
@pytest.mark.parametrize("name", ["float64", "float16", "bfloat16", "float32"])
def test_set_default_dtype_effects(name, default_dtype):
    ember.set_default_dtype(E(name))
    torch.set_default_dtype(T(name))
    assert ember.get_default_dtype() is E(name)
    cases = [
        (lambda m: m.tensor([1.5]), "tensor float"),
        (lambda m: m.tensor(2.5), "0-d float"),
        (lambda m: m.tensor([1, 2]), "int stays int64"),
        (lambda m: m.tensor([1 + 2j]), "complex"),
        (lambda m: m.arange(0.0, 1.0, 0.25), "arange float"),
        (lambda m: m.arange(5), "arange int"),
        (lambda m: m.zeros(2), "zeros"),
        (lambda m: m.full((2,), 1.5), "full float"),
        (lambda m: m.linspace(0, 1, 5), "linspace"),
        (lambda m: m.tensor([1, 2]) / 2, "int true div"),
        (lambda m: m.tensor([1, 2]) * 1.5, "int times float scalar"),
        (lambda m: m.tensor([1, 2], dtype=m.int32).float(), "float() is float32 regardless"),
    ]
    for make, what in cases:
        try:
            t = make(torch)
        except Exception as exc:  # bfloat16 default + complex data: torch refuses, so must ember
            with pytest.raises(type(exc)):
                make(ember)
            continue
        e = make(ember)
        assert str(e.dtype) == tstr(t.dtype), what
        if "complex32" not in str(t.dtype):  # see tstr: complex32 prints with a dtype= suffix only in torch
            assert repr(e) == repr(t).replace("torch.", "ember."), what


@pytest.mark.parametrize("name", ["int32", "int64", "bool", "complex64", "complex128"])
def test_set_default_dtype_rejects_non_float(name, default_dtype):
    with pytest.raises(Exception) as te:
        torch.set_default_dtype(T(name))
    with pytest.raises(te.type):
        ember.set_default_dtype(E(name))
    assert ember.get_default_dtype() is ember.float32


def test_default_dtype_printing_suffixes(default_dtype):
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    for make in (lambda m: m.tensor([1.5, 2.0]), lambda m: m.tensor([1.5, 2.0], dtype=m.float32),
                 lambda m: m.tensor([1j]), lambda m: m.tensor([1j], dtype=m.complex64)):
        assert repr(make(ember)) == repr(make(torch)).replace("torch.", "ember.")


# ---- promotion ----------------------------------------------------------------------------------------------------
def test_promote_types_all_pairs():
    for a, b in itertools.product(NAMES, NAMES):
        assert outcome(lambda: ember.promote_types(E(a), E(b)), ember) == \
            outcome(lambda: torch.promote_types(T(a), T(b)), torch), (a, b)


def test_can_cast_all_pairs():
    for a, b in itertools.product(NAMES, NAMES):
        assert ember.can_cast(E(a), E(b)) == torch.can_cast(T(a), T(b)), (a, b)


def _operands(lib, name):
    """A 1-d tensor, a 0-d tensor of each dtype; plus Python scalars."""
    dt = getattr(lib, name)
    return {
        "1d": lib.ones(2, dtype=dt),
        "0d": lib.ones((), dtype=dt),
    }


SCALARS = [True, 3, -2, 2 ** 40, 2 ** 63, 1.5, 2 + 1j]


def test_result_type_tensor_combos():
    for a, b in itertools.product(NAMES, NAMES):
        ea, ta = _operands(ember, a), _operands(torch, a)
        eb, tb = _operands(ember, b), _operands(torch, b)
        for ka, kb in itertools.product(ea, eb):
            assert outcome(lambda: ember.result_type(ea[ka], eb[kb]), ember) == \
                outcome(lambda: torch.result_type(ta[ka], tb[kb]), torch), (a, ka, b, kb)


def test_result_type_with_scalars():
    for a in NAMES:
        ea, ta = _operands(ember, a), _operands(torch, a)
        for k in ea:
            for s in SCALARS:
                assert outcome(lambda: ember.result_type(ea[k], s), ember) == \
                    outcome(lambda: torch.result_type(ta[k], s), torch), (a, k, s)
                assert outcome(lambda: ember.result_type(s, ea[k]), ember) == \
                    outcome(lambda: torch.result_type(s, ta[k]), torch), (s, a, k)
    for s1, s2 in itertools.product(SCALARS, SCALARS):  # an int beyond int64 is a uint64 to torch
        assert outcome(lambda: ember.result_type(s1, s2), ember) == outcome(lambda: torch.result_type(s1, s2), torch), \
            (s1, s2)


def test_result_type_with_scalars_default_float64(default_dtype):
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    for a in ["int32", "float16", "float32", "bool", "complex64", "uint32"]:
        for s in SCALARS:
            assert outcome(lambda: ember.result_type(ember.ones(2, dtype=E(a)), s), ember) == \
                outcome(lambda: torch.result_type(torch.ones(2, dtype=T(a)), s), torch), (a, s)


@pytest.mark.parametrize("make", [
    lambda m: m.ones(3, dtype=m.int32) + 1.5,
    lambda m: m.ones(3, dtype=m.int32) + m.tensor(7),
    lambda m: m.tensor([1, 2]) / m.tensor([2, 2]),
    lambda m: m.ones(3) + m.tensor(1.0, dtype=m.float64),
    lambda m: m.ones(3, dtype=m.uint8) + m.ones(3, dtype=m.int8),
    lambda m: m.ones(3, dtype=m.float16) + m.ones(3, dtype=m.bfloat16),
    lambda m: m.ones(3, dtype=m.bool) + True,
    lambda m: m.ones(3, dtype=m.bool) + 2,
    lambda m: m.ones(3, dtype=m.float16) * 1e3,
    lambda m: m.ones(3, dtype=m.float64) * (1 + 1j),
    lambda m: m.ones(3, dtype=m.int64) * (1 + 1j),
    lambda m: m.ones((), dtype=m.float64) + m.ones(3, dtype=m.int32),
    lambda m: m.ones((), dtype=m.complex128) + m.ones(3, dtype=m.float32),
    lambda m: m.ones(3, dtype=m.uint32) + 1.5,
    lambda m: m.ones(3, dtype=m.uint16) * m.ones((), dtype=m.int64),
    lambda m: m.ones(3, dtype=m.uint64) * m.ones(3, dtype=m.float16),
    lambda m: m.ones((), dtype=m.uint64) / m.ones(3, dtype=m.int32),
])
def test_promotion_in_ops(make):
    e, t = make(ember), make(torch)
    assert str(e.dtype) == str(t.dtype).replace("torch.", "ember.")
    np.testing.assert_array_equal(np.asarray(e.tolist()), np.asarray(t.tolist()))


def test_dtype_conversion_arguments():
    # dtype= accepts ember dtypes; Python types map like torch's (float -> float64, int -> int64, bool -> bool)
    for pytype in (float, int, bool, complex):
        e = ember.zeros(2, dtype=pytype)
        t = torch.zeros(2, dtype=pytype)
        assert str(e.dtype) == str(t.dtype).replace("torch.", "ember.")


def test_bad_dtype_argument():
    with pytest.raises(TypeError):
        torch.zeros(2, dtype="float32")
    with pytest.raises(TypeError):
        ember.zeros(2, dtype="float32")


def test_finfo_values_are_finite():
    assert math.isfinite(ember.finfo(ember.float16).max)


# ---- bfloat16 is loaded on first use ----------------------------------------------------------------------------
# ml_dtypes' import takes up to a second (0.7.0's extension): `import ember` must not pay for it. Each case runs in
# a fresh interpreter: `import ember` leaves ml_dtypes unloaded, then one first use of bfloat16 must work as in torch.
BF16_FIRST_USES = {
    "tensor": "ember.tensor([1.5, 2.25], dtype=ember.bfloat16)",
    "method": "ember.tensor([1.5, 2.25]).bfloat16()",
    "to": "ember.tensor([1.5, 2.25]).to(ember.bfloat16)",
    "promotion": "ember.tensor([1, 2]) + ember.tensor([0.5, 0.25]).bfloat16()",
    "default_dtype": "(ember.set_default_dtype(ember.bfloat16), ember.tensor([1.5, 2.25]))[1]",
    "zeros": "ember.zeros(2, dtype=ember.bfloat16) + ember.tensor([1.5, 2.25])",
    "rand": "(ember.manual_seed(0), ember.rand(2, dtype=ember.bfloat16))[1]",
    "finfo": "ember.finfo(ember.bfloat16).eps",
    "ml_dtypes_array": "(__import__('ml_dtypes'), ember.from_numpy(__import__('numpy').array([1.5, 2.25], "
                       "__import__('ml_dtypes').bfloat16)))[1]",
}


@pytest.mark.parametrize("use", BF16_FIRST_USES)
def test_import_does_not_load_ml_dtypes(use):
    import subprocess
    import sys
    root = __file__.rsplit("/tests/", 1)[0]
    code = ("import sys, ember\n"
            "assert 'ml_dtypes' not in sys.modules, 'import ember loaded ml_dtypes'\n"
            "assert repr(ember.bfloat16) == 'ember.bfloat16' and ember.bfloat16.is_floating_point\n"
            "assert ember.promote_types(ember.bfloat16, ember.float16) is ember.float32\n"
            "x = ember.ones(3) * 2 + ember.arange(3.0); (x.sum() * ember.tensor(1.5, dtype=ember.float16)).item()\n"
            "assert 'ml_dtypes' not in sys.modules, 'a float32/float16 computation loaded ml_dtypes'\n"
            f"r = {BF16_FIRST_USES[use]}\n"
            "print(repr(r))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120)
    assert r.returncode == 0, r.stderr
    torch.manual_seed(0)
    torch_code = BF16_FIRST_USES[use].replace("ember.", "torch.")
    if use == "ml_dtypes_array":  # torch.from_numpy refuses ml_dtypes arrays; ember accepts them
        expected = repr(torch.tensor([1.5, 2.25], dtype=torch.bfloat16))
    else:
        try:
            expected = repr(eval(torch_code, {"torch": torch}))
        finally:
            torch.set_default_dtype(torch.float32)
    assert r.stdout.strip() == expected.replace("torch.", "ember.")


@pytest.mark.parametrize("name", NAMES)
def test_dtype_names_match_torch(name):
    """One metadata source: each dtype's legacy type, ScalarType and C++ names, as torch prints them."""
    d = E(name)
    assert "torch." + d.legacy_name == torch.empty(0, dtype=T(name)).type()
    other = "float64" if name != "float64" else "float32"
    with pytest.raises(RuntimeError) as e:  # dot names ScalarTypes, mm C++ types
        torch.dot(torch.zeros(2, dtype=T(name)), torch.zeros(2, dtype=T(other)))
    assert str(e.value) == f"dot : expected both vectors to have same dtype, but found {d.scalar_name} and " \
                           f"{E(other).scalar_name}"
    with pytest.raises(RuntimeError) as e:
        torch.mm(torch.zeros(2, 2, dtype=T(name)), torch.zeros(2, 2, dtype=T(other)))
    assert str(e.value) == f"expected m1 and m2 to have the same dtype, but got: {d.cpp_name} != {E(other).cpp_name}"


def test_opmath_dtype():
    # float16 and bfloat16 compute in float32 (ATen's opmath_type); every other dtype in itself
    for name in NAMES:
        low = name in ("float16", "bfloat16")
        assert ember._dtype.opmath_dtype(E(name)) is (ember.float32 if low else E(name))
