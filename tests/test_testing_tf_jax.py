"""Proof of use of the conformance kit against TensorFlow, Keras (on its TensorFlow and its
JAX backend) and JAX/flax (issue 16): the kit's ``check_implementation`` with its default
strategies and example budget, as a user would.

Each framework runs in a child process of :mod:`tf_jax_oracles` (its environment, its
framework classes and their probes; TensorFlow with its reference Eigen kernels), kept open
for the module and fed one case at a time, since Hypothesis asks for one case at a time and
shrinks from the answers: :class:`OracleSession` sends a case as one JSON line and reads one
line back.  A child that dies on a case (SIGFPE) or hangs is killed, the case is answered
``{"crashed": "SIGFPE"}`` and the next case starts a new child; the implementation then
raises :class:`symconv.testing.ImplementationCrashed`, which the kit reports as a finding
(on a configuration the convention accepts or rejects) and shrinks like any mismatch.

An implementation ``fn(layer, x, w)`` passes the spec's own parameters (kernel, stride,
dilation, the padding as the framework spells it, ``output_size``, the resize ``size``;
never symconv's resolved pads or sizes) to the API a user calls: ``tf.nn.convolution``,
``tf.nn.conv_transpose``, ``tf.nn.max_pool1d``/``2d``, ``tf.nn.avg_pool1d``/``2d``,
``tf.image.resize``; ``jax.lax.conv_general_dilated``, ``jax.lax.conv_transpose``,
``flax.linen.max_pool``/``avg_pool``, ``jax.image.resize``; under ``keras`` the
``keras.layers`` a user calls (:func:`keras_case`) on both backends.  Adaptive pooling and
pixel shuffles, which the kit also draws, have no API in the oracles.  Layers without
weights run on the kit's ``x`` itself; a convolution's spatial map is the framework's own
matrix (the oracle's probe: the layer on one-hot inputs, taps ``1..K``), applied to every
channel pair of ``x`` and ``w`` by group in numpy.

A finding is re-run as an oracle case and judged by :func:`tf_jax_cases.observe`; it must be a
class of ``KNOWN`` (tests/test_tf_jax_conventions.py, docs/CONVENTIONS.md sections 9 and 11).
What the kit finds with TensorFlow 2.21.0, Keras 3.15.1, JAX 0.10.2 and flax 0.12.8
(docs/testing.md):

* TensorFlow's CPU transposed convolutions refuse a dilation (class
  ``tf-cpu-transpose-dilation``): found unaided, shrunk to a 1-tap kernel, dilation 2;
* TensorFlow's SIGFPE in max pooling (issue 14, class ``tf-max-pool-sigfpe``): present with
  the oneDNN kernels (TensorFlow's default on x86) where a 'VALID' window exceeds the input by
  one to two strides; found unaided and shrunk to ``tf.nn.max_pool1d``, window 2, stride 1 on
  one input.  The Eigen kernels the oracles run return empty tensors there;
* oneDNN's strided 2-D convolution leaves outputs unwritten (docs/CONVENTIONS.md section 9,
  ``test_tf_onednn.py``): found unaided;
* Keras on TensorFlow: the same dilation refusal in ``Conv*Transpose``, and
  ``padding='same'`` with an even kernel and an ``output_padding`` of 0 ("Size of
  out_backprop doesn't match computed", class ``keras-tf-transpose-even-kernel``; shrunk to
  kernel 2, stride 3 on 3 inputs): both found unaided; on TensorFlow's default oneDNN
  kernels also issue 14's SIGFPE (``MaxPooling1D``) and the unwritten outputs of a strided
  ``Conv2D``, as through ``tf.nn``;
* Keras on JAX: ``Resizing(interpolation='nearest')`` reads other sources than on
  TensorFlow, whose rule the ``keras`` convention models (class ``keras-backend-nearest``,
  new: JAX's float32 rule; ``Resizing(1, 25)`` on ``(1, 10)``: output 2 reads source 0 on
  JAX, 1 on TensorFlow and by the exact rule): found unaided;
* everything else agrees: convolutions, pools and their rejected sizes, resizes under every
  framework and both Keras backends.

The frameworks are mandatory under ``CI=true`` (:func:`conftest.requires`).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tf_jax_oracles as oracles
from test_tf_jax_conventions import Known, classify
from tf_jax_cases import Observation, describe, observe, symconv_outcome

import symconv
from symconv.testing import (
    ImplementationCrashed,
    LayerMismatch,
    check_implementation,
    expected,
    layers,
)

from conftest import requires

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------- the session

#: The child: the oracle's framework class, one case per line.  The framework is imported
#: once; a worker forked from that process answers the cases, and when a case kills it (SIGFPE)
#: the child answers ``{"crashed": "SIGFPE"}`` for it and forks a new worker: a crash costs
#: milliseconds, not a framework import (Hypothesis shrinks a crash by crashing again).  No
#: framework op runs before the fork (JAX starts its backend in the worker).  A case with
#: ``"x"`` (a flat batch of inputs of shape ``n``) runs the probe on that batch instead of the
#: one-hot or ramp inputs and answers the raw outputs (``{"values": [...]}``, batch-major).
_LOOP = """
import json, os, sys, warnings
import numpy as np
sys.path.insert(0, sys.argv[2])
import tf_jax_oracles as o
warnings.filterwarnings("ignore")
out, sys.stdout = sys.stdout, sys.stderr
child = o._CHILDREN[sys.argv[1]]()
own = {k: getattr(child, k) for k in ("ramps", "onehots", "maxsel", "matrix")
       if hasattr(child, k)}
raw = lambda y: {"values": np.asarray(y, dtype=np.float64).ravel().tolist()}

def serve():
    for line in sys.stdin:
        case = json.loads(line)
        xs = case.pop("x", None)
        if xs is None:
            for k, f in own.items():
                setattr(child, k, f)
        else:
            batch = np.asarray(xs, dtype=np.float32).reshape((-1, *case["n"]))
            child.ramps = child.onehots = lambda n, b=batch: b
            child.maxsel = child.matrix = raw
        try:
            res = child.run(case)
        except Exception as exc:
            res = {"call": {"oracle_error": o._error(exc)["error"]}}
        out.write(json.dumps(res) + "\\n")
        out.flush()

out.write('{"ready": true}\\n')
out.flush()
while True:
    pid = os.fork()
    if pid == 0:
        serve()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        break
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    out.write(json.dumps({"crashed": o._signal_name(code)}) + "\\n")
    out.flush()
"""


class OracleSession:
    """One child of ``framework`` (a name of :data:`tf_jax_oracles.FRAMEWORKS`, or
    ``selftest``) answering one case at a time; restarted after a crash or a hang."""

    def __init__(self, framework: str, env: dict[str, str] | None = None) -> None:
        self.framework = framework
        self.env = {**oracles._child_env(framework), **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.buf = b""
        self.crashes: list[str] = []
        self.calls = 0

    def _start(self) -> subprocess.Popen[bytes]:
        err = tempfile.TemporaryFile()
        proc = subprocess.Popen(
            [sys.executable, "-c", _LOOP, self.framework, str(HERE)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=err, env=self.env, start_new_session=True)
        self.proc, self.buf = proc, b""
        line = self._readline(oracles.IMPORT_TIMEOUT)
        if not line or not json.loads(line).get("ready"):
            self.close()
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            raise RuntimeError(f"{self.framework} child failed to start:\n" + "\n".join(tail))
        err.close()
        return proc

    def _readline(self, timeout: float) -> bytes | None:
        """One line from the child; ``b""`` when it died, ``None`` on a timeout."""
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while b"\n" not in self.buf:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(timeout=left):
                    return None
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    return b""
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def run(self, case: dict[str, Any]) -> dict[str, Any]:
        proc = self.proc if self.proc is not None and self.proc.poll() is None \
            else self._start()
        assert proc.stdin is not None
        self.calls += 1
        try:
            proc.stdin.write(json.dumps(case).encode() + b"\n")
            proc.stdin.flush()
            line = self._readline(oracles.CASE_TIMEOUT)
        except (BrokenPipeError, OSError):
            line = b""
        if line:
            answer = dict(json.loads(line))
            if "crashed" in answer:  # the worker died; the child forked a new one
                self.crashes.append(f"{case.get('api')}: {answer['crashed']}")
            return answer
        if line is None:  # a hang: the child and its worker go
            self._kill()
        code = proc.wait()
        reason = "timeout" if line is None else oracles._signal_name(code)
        self.proc = None
        self.crashes.append(f"{case.get('api')}: {reason}")
        return {"crashed": reason}

    def _kill(self) -> None:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        if self.proc is not None:
            self._kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture(scope="module")
def sessions() -> Any:
    """The children, started on first use and closed after the module."""
    opened: dict[tuple[str, ...], OracleSession] = {}

    def get(framework: str, **env: str) -> OracleSession:
        key = (framework, *sorted(f"{k}={v}" for k, v in env.items()))
        if key not in opened:
            opened[key] = OracleSession(framework, env)
        return opened[key]

    yield get
    for session in opened.values():
        session.close()


# --------------------------------------------------------------------------- the cases


def _padding(layer: Any, upper: bool) -> Any:
    pad = layer.padding
    if isinstance(pad, tuple):
        return [[int(b), int(e)] for b, e in pad]
    name = str(pad.value)
    return name.upper() if upper else name


def _resize_size(layer: Any, n: tuple[int, ...]) -> list[int]:
    """The size a user passes: the spec's ``size``, or ``n * f`` for integer factors."""
    if layer.size is not None:
        return [int(v) for v in layer.size]
    return [int(v * f) for v, f in zip(n, layer.scale_factor, strict=True)]


def tf_case(layer: Any, n: tuple[int, ...]) -> dict[str, Any]:
    """The oracle case of a ``tensorflow`` spec: the API a user calls, the spec's values."""
    kind, nd = type(layer).__name__, len(n)
    case: dict[str, Any] = {"n": list(n)}
    if kind == "Resize":
        method = "bilinear" if layer.mode.value == "linear" else "nearest"
        case.update(api="tf.image.resize", size=_resize_size(layer, n), method=method)
        if layer.antialias is not None:
            case["antialias"] = bool(layer.antialias)
        return case
    case.update(k=list(layer.kernel), s=list(layer.stride), padding=_padding(layer, True))
    if kind == "Conv":
        case.update(api="tf.nn.convolution", d=list(layer.dilation))
    elif kind == "ConvTranspose":
        case.update(api="tf.nn.conv_transpose", d=list(layer.dilation),
                    out=list(layer.output_size))
    else:
        case["api"] = f"tf.nn.{'max' if kind == 'MaxPool' else 'avg'}_pool{nd}d"
    return case


def jax_case(layer: Any, n: tuple[int, ...]) -> dict[str, Any]:
    """The oracle case of a ``jax`` spec (lax for convolutions, flax for pools)."""
    kind = type(layer).__name__
    case: dict[str, Any] = {"n": list(n)}
    if kind == "Resize":
        case.update(api="jax.image.resize", size=_resize_size(layer, n),
                    method="linear" if layer.mode.value == "linear" else "nearest")
        if layer.antialias is not None:
            case["antialias"] = bool(layer.antialias)
        return case
    # lax.conv_transpose reads only 'SAME'/'VALID' exactly as written; the others any case
    case.update(k=list(layer.kernel), s=list(layer.stride), padding=_padding(layer, True))
    if kind == "Conv":
        case.update(api="jax.lax.conv_general_dilated", d=list(layer.dilation))
    elif kind == "ConvTranspose":
        case.update(api="jax.lax.conv_transpose", d=list(layer.dilation))
        if layer.transpose_kernel:
            case["flags"] = {"transpose_kernel": True}
    elif kind == "MaxPool":
        case["api"] = "flax.linen.max_pool"
    else:
        case.update(api="flax.linen.avg_pool",
                    flags={"count_include_pad": bool(layer.count_include_pad)})
    return case


def keras_case(layer: Any, n: tuple[int, ...]) -> dict[str, Any]:
    """The oracle case of a ``keras`` spec: the Keras layer a user calls, the spec's values
    (``ConvND``, ``ConvNDTranspose``, ``MaxPoolingND``, ``AveragePoolingND`` with the padding
    name as the spec spells it, ``output_padding`` only when the spec has one; a resize by
    integer factors is ``UpSamplingND(size, interpolation)``, to a size ``Resizing``)."""
    kind, nd = type(layer).__name__, len(n)
    case: dict[str, Any] = {"n": list(n)}
    if kind == "Resize":
        if not _keras_resizes(layer):  # the kit's 1-D axis of a 2-D finding, say
            raise NotImplementedError(f"no Keras layer resizes as {layer!r}")
        method = "bilinear" if layer.mode.value == "linear" else "nearest"
        if layer.size is None:  # integer factors
            case.update(api=f"keras.UpSampling{nd}D",
                        scale=[int(f) for f in layer.scale_factor])
            if nd == 2:  # UpSampling1D repeats: it has no interpolation argument
                case["method"] = method
        else:
            case.update(api="keras.Resizing", size=[int(v) for v in layer.size],
                        method=method)
        return case
    case.update(k=list(layer.kernel), s=list(layer.stride), padding=_padding(layer, False))
    if kind == "Conv":
        case.update(api=f"keras.Conv{nd}D", d=list(layer.dilation))
    elif kind == "ConvTranspose":
        case.update(api=f"keras.Conv{nd}DTranspose", d=list(layer.dilation))
        if layer.output_padding is not None:
            case["opad"] = [int(v) for v in layer.output_padding]
    else:
        case["api"] = f"keras.{'Max' if kind == 'MaxPool' else 'Average'}Pooling{nd}D"
    return case


def keras_expressible(case: Any) -> bool:
    """What the Keras layers can be asked (every window layer the kit draws; resizes:
    :func:`_keras_resizes`)."""
    return not isinstance(case.layer, symconv.Resize) or _keras_resizes(case.layer)


def _keras_resizes(layer: Any) -> bool:
    """``UpSampling1D`` (repeat: ``nearest`` and ``nearest-exact`` are that map for integer
    factors), ``UpSampling2D`` (integer factors), ``Resizing`` (2-D, a size; not
    ``nearest-exact``, the exact rule, which Keras has not: its ``nearest`` is TensorFlow's
    float32 rule); no ``align_corners``."""
    if layer.align_corners or layer.antialias is not None:
        return False
    if layer.size is None:
        integer = all(int(f) == f for f in layer.scale_factor)
        return integer and (layer.ndim == 2 or layer.mode.value != "linear")
    return layer.ndim == 2 and layer.mode.value != "nearest-exact"


def expressible(case: Any) -> bool:
    """What ``tf.image.resize``/``jax.image.resize`` can be asked: a size (or an integer
    factor) sampled at pixel centres (no ``align_corners``).  Under ``tensorflow``,
    ``nearest-exact`` is the exact half-pixel rule, which TensorFlow does not have: its
    ``nearest`` is symconv's ``nearest`` (float32 arithmetic, one source early at some
    sizes: 28 -> 46 reads source 6 for output 11, the exact rule 7)."""
    layer = case.layer
    if isinstance(layer, symconv.Resize):
        if layer.align_corners or (layer.convention.value == "tensorflow"
                                   and layer.mode.value == "nearest-exact"):
            return False
        return layer.size is not None or all(int(f) == f for f in layer.scale_factor)
    return True


def apply_matrix(probe: dict[str, Any], x: Any, w: Any, layer: Any,
                 out: list[int]) -> np.ndarray:
    """A convolution's output from the framework's spatial matrix (entries: tap numbers
    ``1..K``, PyTorch orientation) and the kit's ``x`` and ``w`` (PyTorch layouts)."""
    rows, cols = (np.asarray(v, dtype=np.int64) for v in probe["matrix"][:2])
    vals = np.asarray(probe["matrix"][2], dtype=np.float64)
    # an entry that is no tap number (oneDNN's uninitialised memory) makes its output NaN
    tap = np.isin(vals, np.arange(1, int(np.prod(layer.kernel)) + 1))
    bad = np.unique(rows[~tap])
    rows, cols, taps = rows[tap], cols[tap], vals[tap].astype(np.int64) - 1
    g = int(layer.groups)
    batch, cin = int(x.shape[0]), int(x.shape[1])
    ww = np.asarray(w, dtype=np.float64)
    if isinstance(layer, symconv.ConvTranspose):  # (C_in, C_out/g, *k) -> (g, co, ci, K)
        ww = ww.reshape(g, cin // g, ww.shape[1], -1).transpose(0, 2, 1, 3)
    else:  # (C_out, C_in/g, *k) -> (g, co, ci, K)
        ww = ww.reshape(g, ww.shape[0] // g, ww.shape[1], -1)
    xx = np.asarray(x, dtype=np.float64).reshape(batch, g, cin // g, -1)
    parts = np.einsum("ngce,goce->ngoe", xx[..., cols], ww[..., taps])
    y = np.zeros((batch, g, ww.shape[1], int(np.prod(out))))
    np.add.at(y, (slice(None), slice(None), slice(None), rows), parts)
    y[..., bad] = np.nan
    return y.reshape(batch, g * ww.shape[1], *out)


class Framework:
    """An implementation ``fn(layer, x, w)`` running ``layer`` in ``framework``'s child;
    remembers the oracle case of every call, to judge a finding."""

    def __init__(self, session: OracleSession, to_case: Callable[..., dict[str, Any]],
                 name: str | None = None):
        self.session, self.to_case = session, to_case
        self.cases: dict[tuple[str, tuple[int, ...]], dict[str, Any]] = {}
        self.__name__ = name or session.framework

    def __call__(self, layer: Any, x: Any, w: Any) -> Any:
        sizes = tuple(int(v) for v in x.shape[2:])
        case = self.to_case(layer, sizes)
        self.cases[repr(layer), sizes] = case
        request = dict(case, id="kit", probe=True)
        if w is None:  # the layer itself on the kit's x, one channel at a time
            request["x"] = np.asarray(x, dtype=float).ravel().tolist()
        res = self.session.run(request)
        if "crashed" in res:
            raise ImplementationCrashed(f"{self.session.framework} killed by {res['crashed']}")
        call = res["call"]
        if "oracle_error" in call:
            raise AssertionError(f"oracle bug on {describe(case)}: {call['oracle_error']}")
        if "error" in call:
            raise RuntimeError(call["error"])
        channels = int(x.shape[1]) if w is None else None
        if "empty" in call:
            return np.zeros((x.shape[0], channels or 1, *call["empty"]))
        probe = res["probe"]
        if "values" in probe:
            return np.asarray(probe["values"]).reshape(x.shape[0], channels, *call["shape"])
        return apply_matrix(probe, x, w, layer, call["shape"])

    def observations(self, err: LayerMismatch) -> list[Observation]:
        """The finding's case re-run here as an oracle case (probed) and compared with
        symconv's answer by :func:`tf_jax_cases.observe`."""
        case = dict(self.cases[repr(err.layer), tuple(err.input_size)], id="finding",
                    probe=True)
        result = self.session.run(case)
        return observe(case, self.session.framework, result, symconv_outcome(case))

    def judge(self, err: LayerMismatch) -> Known:
        """The ``KNOWN`` class of a finding (fails on a new disagreement)."""
        seen = []
        for ob in self.observations(err):
            if ob.kind is not None:
                seen.append(f"{ob.kind}: {ob.fw_text()} / {ob.sc_text()} {ob.detail}")
                known = classify(ob)
                if known is not None:
                    return known
        raise AssertionError(f"a new disagreement ({seen or 'not reproduced'}):\n{err}")


KIT_TOL = {"rtol": 1e-5, "atol": 1e-5}  # float32 frameworks, exact expected values
#: Resizes: float32 weights within 1e-5 (the oracles' tolerance) make up to 8e-5 on the kit's
#: inputs (|x| <= 4, two taps per axis); JAX's linear: Resizing(56, 5) on (30, 5) 1.1e-5 off.
RESIZE_TOL = {"rtol": 1e-5, "atol": 1e-4}


#: TensorFlow's default kernels on x86 CPUs; the oracle (and :func:`_tf`) runs Eigen's.
ONEDNN = {"TF_ENABLE_ONEDNN_OPTS": "1"}


def _tf(sessions: Any, **env: str) -> Framework:
    requires("tensorflow")
    return Framework(sessions("tensorflow", **env), tf_case,
                     "tensorflow (oneDNN)" if env else "tensorflow")


def _jax(sessions: Any, framework: str) -> Framework:
    requires("jax")
    if framework == "flax":
        requires("flax")
    return Framework(sessions(framework), jax_case)


#: The Keras backends the oracles run (``tf_jax_oracles.FRAMEWORKS``).
KERAS_BACKENDS = ("keras-tensorflow", "keras-jax")


def _keras(sessions: Any, backend: str) -> Framework:
    requires("keras")
    requires(backend.split("-", 1)[1])
    return Framework(sessions(backend), keras_case)


def _dilated_transpose(case: Any) -> bool:
    return isinstance(case.layer, symconv.ConvTranspose) and any(
        d > 1 for d in case.layer.dilation)


# --------------------------------------------------------------------------- TensorFlow


def test_tensorflow_convolutions(sessions: Any) -> None:
    """Unaided: TensorFlow's CPU transposed convolutions refuse a dilation (known class
    ``tf-cpu-transpose-dilation``).  Without that family, TensorFlow 2.21 agrees with the kit
    on every convolution and transposed convolution of the default budget."""
    fn = _tf(sessions)
    with pytest.raises(LayerMismatch, match=r"do(es)? not yet support dilation") as info:
        check_implementation(fn, layers(kind=("conv", "conv-transpose"),
                                        convention="tensorflow"), derandomize=True, **KIT_TOL)
    err = info.value
    assert fn.judge(err).name == "tf-cpu-transpose-dilation"
    layer: Any = err.layer
    assert isinstance(layer, symconv.ConvTranspose) and max(layer.dilation) == 2, err
    # the requested output size reaches the CLI as --size
    assert "reproduce: symconv shape conv-transpose" in str(err) and " --size " in str(err), err
    check_implementation(fn, layers(kind=("conv", "conv-transpose"), convention="tensorflow")
                         .filter(lambda c: not _dilated_transpose(c)), **KIT_TOL)


def test_tensorflow_pools(sessions: Any) -> None:
    """``tf.nn.max_pool1d``/``2d`` and ``avg_pool1d``/``2d``: agree on the default budget."""
    check_implementation(_tf(sessions), layers(kind=("max-pool", "avg-pool"),
                                               convention="tensorflow"), **KIT_TOL)


def test_tensorflow_pool_rejections(sessions: Any) -> None:
    """Windows larger than the input (VALID), the family of issue 14's SIGFPE in
    ``max_pool2d``: TensorFlow 2.21 returns empty tensors (a rejection) on every case of the
    default budget.  A crash would be a finding, and must be the known class."""
    fn = _tf(sessions)
    try:
        check_implementation(fn, layers(kind=("max-pool", "avg-pool"), convention="tensorflow",
                                        valid=False, rejects="size"))
    except LayerMismatch as err:
        assert "crashed" in str(err), err
        assert fn.judge(err).name == "tf-max-pool-sigfpe"
        raise AssertionError(f"issue 14's SIGFPE is back (record the version):\n{err}") from None
    assert fn.session.crashes == []


def test_tensorflow_resize(sessions: Any) -> None:
    """``tf.image.resize`` (``nearest`` in TensorFlow's float32 arithmetic, ``bilinear``)
    agrees on the default budget, the float32-sensitive sizes included."""
    check_implementation(_tf(sessions), layers(kind="resize", convention="tensorflow",
                                               ndim=2).filter(expressible), **RESIZE_TOL)


def _sigfpe_or_refusals(fn: Framework, convention: str, who: str) -> None:
    """On oneDNN kernels the pools' rejected sizes either kill the worker with SIGFPE
    (issue 14, class ``tf-max-pool-sigfpe``: a max pooling window larger than the input,
    shrunk by the kit) or are all refused: anything else fails."""
    try:
        check_implementation(fn, layers(kind=("max-pool", "avg-pool"), convention=convention,
                                        valid=False, rejects="size"), derandomize=True)
    except LayerMismatch as err:
        assert f"crashed ({who} killed by SIGFPE)" in str(err), err
        assert fn.judge(err).name == "tf-max-pool-sigfpe"
        layer: Any = err.layer
        assert isinstance(layer, symconv.MaxPool), err
        assert any(n < k for n, k in zip(err.input_size, layer.kernel, strict=True)), err
        assert "reproduce: symconv shape max-pool" in str(err)
    else:
        assert fn.session.crashes == []


def test_tensorflow_onednn_sigfpe(sessions: Any) -> None:
    """TensorFlow's default kernels on x86 (oneDNN): unaided, with the default budget, the
    kit finds issue 14's SIGFPE (known class ``tf-max-pool-sigfpe``) in max pooling with a
    window larger than the input, and shrinks it to ``tf.nn.max_pool1d``, window 2, stride 1,
    'VALID' on one input (TensorFlow 2.21.0, an AVX-512 CPU).  oneDNN's kernels depend on the
    CPU: a run where TensorFlow rejects every case passes too; anything else fails."""
    _sigfpe_or_refusals(_tf(sessions, **ONEDNN), "tensorflow", "tensorflow")


def test_tensorflow_onednn_strided_convolution(sessions: Any) -> None:
    """oneDNN, unaided: a strided 2-D convolution leaves outputs unwritten (0 or whatever the
    memory held), the oneDNN defect of docs/CONVENTIONS.md section 9 (pinned in
    ``test_tf_onednn.py``; shrunk here to kernel 1x2, stride 1x2 on a 2x3 input: the second
    output row is 0, not 16).  The same case under Eigen agrees with symconv.  CPU-dependent
    like the SIGFPE: a run where oneDNN agrees everywhere passes too."""
    fn = _tf(sessions, **ONEDNN)
    try:
        check_implementation(fn, layers(kind="conv", convention="tensorflow"),
                             derandomize=True, **KIT_TOL)
    except LayerMismatch as err:
        layer: Any = err.layer
        assert " values differ" in str(err), err
        assert len(err.input_size) == 2 and max(layer.stride) > 1, err
        # uninitialised memory: run again, it may hold the right value (the kit then marks
        # the finding flaky) or garbage that reads as shifted windows ("pads")
        assert {ob.kind for ob in fn.observations(err)} <= {"values", "pads", None}, err
        eigen = _tf(sessions)
        eigen.cases = fn.cases
        assert [ob.kind for ob in eigen.observations(err)] == [None], err


# --------------------------------------------------------------------------- JAX, flax


def test_jax_convolutions(sessions: Any) -> None:
    """``lax.conv_general_dilated`` and ``lax.conv_transpose``: agree on the default budget
    (the kit draws no negative pads, so XLA's crop-and-pad defect is not reached)."""
    check_implementation(_jax(sessions, "jax"), layers(kind=("conv", "conv-transpose"),
                                                       convention="jax"), **KIT_TOL)


def test_flax_pools(sessions: Any) -> None:
    """``flax.linen.max_pool``/``avg_pool`` (names and pairs, ``count_include_pad``), and
    the rejected sizes (JAX returns empty tensors): agree on the default budget."""
    fn = _jax(sessions, "flax")
    check_implementation(fn, layers(kind=("max-pool", "avg-pool"), convention="jax"),
                         **KIT_TOL)
    check_implementation(fn, layers(kind=("max-pool", "avg-pool"), convention="jax",
                                    valid=False, rejects="size"))


def test_jax_resize(sessions: Any) -> None:
    """``jax.image.resize`` (``nearest``, ``linear`` with its default antialiasing) in 1-D
    and 2-D: agrees on the default budget."""
    check_implementation(_jax(sessions, "jax"), layers(kind="resize", convention="jax")
                         .filter(expressible), **RESIZE_TOL)


# --------------------------------------------------------------------------- Keras


def _keras_tf_even_same(layer: Any) -> bool:
    """Class ``keras-tf-transpose-even-kernel``: ``Conv*Transpose(padding='same')`` with an
    ``output_padding`` of 0 on an axis whose kernel is even; Keras on TensorFlow asks
    ``tf.nn.conv_transpose`` for a size TensorFlow's SAME rule does not give (an
    ``output_padding`` of 1 or more on that axis runs, and agrees)."""
    if not isinstance(layer, symconv.ConvTranspose) or layer.output_padding is None \
            or str(layer.padding.value) != "same":
        return False
    return any(op == 0 and (d * (k - 1) + 1) % 2 == 0 for k, d, op in zip(
        layer.kernel, layer.dilation, layer.output_padding, strict=True))


def _resizing_nearest(layer: Any) -> bool:
    """Class ``keras-backend-nearest``: ``Resizing(interpolation='nearest')`` to a size."""
    return isinstance(layer, symconv.Resize) and layer.size is not None \
        and layer.mode.value == "nearest"


def _unaided(fn: Framework, strategy: Any, families: dict[str, Callable[[Any], bool]],
             **tol: float) -> Any:
    """Run the kit unaided (derandomized, the default budget) until it has found every one of
    ``families`` (a ``KNOWN`` class name and the layers it covers): each finding must be one
    of them, found once, its shrunk layer in the family, which is then filtered out.  Returns
    the strategy without them (for :func:`_agrees`)."""
    found: list[str] = []
    while len(found) < len(families):
        try:
            check_implementation(fn, strategy, derandomize=True, **tol)
        except LayerMismatch as err:
            name = fn.judge(err).name
            assert name in families and name not in found, f"{name}:\n{err}"
            assert families[name](err.layer), f"{name} outside its family:\n{err}"
            found.append(name)
            strategy = strategy.filter(lambda c, f=families[name]: not f(c.layer))
        else:
            missing = sorted(set(families) - set(found))
            raise AssertionError(f"the kit no longer finds {missing} (fixed? record the "
                                 "version in docs/testing.md and remove the class)")
    return strategy


def _agrees(fn: Framework, strategy: Any, **kw: Any) -> None:
    """The kit with its default budget must pass; a finding is judged first, so the failure
    says whether it is a known class outside the family the test leaves out, or new."""
    try:
        check_implementation(fn, strategy, **kw)
    except LayerMismatch as err:
        known = fn.judge(err)  # raises on a new disagreement
        raise AssertionError(f"known class {known.name} outside its family:\n{err}") from None


@pytest.mark.parametrize("backend", KERAS_BACKENDS)
def test_keras_convolutions(sessions: Any, backend: str) -> None:
    """``keras.layers.Conv1D``/``Conv2D`` (``'valid'``, ``'same'``, ``'causal'``), and
    inputs below the kernel (``'valid'``: a refusal or an empty tensor): agree on the default
    budget on both backends."""
    fn = _keras(sessions, backend)
    _agrees(fn, layers(kind="conv", convention="keras"), **KIT_TOL)
    _agrees(fn, layers(kind="conv", convention="keras", valid=False, rejects="size"))
    assert fn.session.crashes == []


@pytest.mark.parametrize("backend", KERAS_BACKENDS)
def test_keras_transposed_convolutions(sessions: Any, backend: str) -> None:
    """``keras.layers.Conv1DTranspose``/``Conv2DTranspose``.  On TensorFlow, unaided, the
    kit finds the two known defects of the backend: a dilation refused by TensorFlow's CPU
    kernels (``tf-cpu-transpose-dilation``) and ``padding='same'`` with an even kernel and an
    ``output_padding`` of 0 (``keras-tf-transpose-even-kernel``: "Size of out_backprop
    doesn't match computed").  Without those families, and on JAX with none left out, Keras
    3.15.1 agrees with the kit on every transposed convolution of the default budget."""
    fn = _keras(sessions, backend)
    strategy = layers(kind="conv-transpose", convention="keras")
    if backend == "keras-tensorflow":
        strategy = _unaided(fn, strategy, {
            "tf-cpu-transpose-dilation": lambda layer: max(layer.dilation) > 1,
            "keras-tf-transpose-even-kernel": _keras_tf_even_same}, **KIT_TOL)
    _agrees(fn, strategy, **KIT_TOL)


@pytest.mark.parametrize("backend", KERAS_BACKENDS)
def test_keras_pools(sessions: Any, backend: str) -> None:
    """``keras.layers.MaxPooling1D``/``2D`` and ``AveragePooling1D``/``2D`` (``'valid'``,
    ``'same'``, the strides the spec gives): agree on the default budget."""
    _agrees(_keras(sessions, backend), layers(kind=("max-pool", "avg-pool"),
                                              convention="keras"), **KIT_TOL)


@pytest.mark.parametrize("backend", KERAS_BACKENDS)
def test_keras_pool_rejections(sessions: Any, backend: str) -> None:
    """Pooling windows larger than the input (``'valid'``), issue 14's family: Keras raises
    or returns an empty tensor (a rejection) on every case of the default budget, and no
    child dies (the TensorFlow backend runs Eigen's kernels, as the oracles do)."""
    fn = _keras(sessions, backend)
    _agrees(fn, layers(kind=("max-pool", "avg-pool"), convention="keras", valid=False,
                       rejects="size"))
    assert fn.session.crashes == []


@pytest.mark.parametrize("backend", KERAS_BACKENDS)
def test_keras_resize(sessions: Any, backend: str) -> None:
    """``UpSampling1D``, ``UpSampling2D`` (``nearest``, ``bilinear``) and ``Resizing``
    (``nearest``, ``bilinear``; the float32-sensitive sizes included), 1-D and 2-D.  The
    ``keras`` convention models the TensorFlow backend, which agrees on the default budget.
    On JAX, unaided, the kit finds ``Resizing(interpolation='nearest')`` reading other
    sources than on TensorFlow (``keras-backend-nearest``: JAX's float32 rule, 10 -> 25 reads
    source 0 for output 2 where TensorFlow and the exact rule read 1); without it the JAX
    backend agrees too (measured once; the suite runs only the unaided finding there: the
    clean run, a JIT compile per new shape, took 30-70 s, and Keras's JAX resizes are
    ``jax.image.resize``, which ``test_jax_resize`` checks with the same budget)."""
    fn = _keras(sessions, backend)
    strategy = layers(kind="resize", convention="keras").filter(keras_expressible)
    if backend == "keras-jax":
        _unaided(fn, strategy, {"keras-backend-nearest": _resizing_nearest}, **RESIZE_TOL)
        return
    _agrees(fn, strategy, **RESIZE_TOL)


def test_keras_tensorflow_onednn(sessions: Any) -> None:
    """Keras on TensorFlow's default kernels on x86 (oneDNN), unaided: the kit finds the two
    oneDNN defects through the Keras layers a user calls.  ``MaxPooling1D``/``2D`` on an input
    below the window dies by SIGFPE (issue 14, class ``tf-max-pool-sigfpe``; shrunk to
    ``MaxPooling1D(2, strides=1)`` on one input), and a strided ``Conv2D`` leaves outputs
    unwritten (docs/CONVENTIONS.md section 9; shrunk to kernel 1x2, strides 1x2), where the
    Eigen kernels agree.  CPU-dependent like the TensorFlow tests: a run where oneDNN agrees
    passes too; anything else fails."""
    requires("keras")
    requires("tensorflow")
    fn = Framework(sessions("keras-tensorflow", **ONEDNN), keras_case,
                   "keras-tensorflow (oneDNN)")
    _sigfpe_or_refusals(fn, "keras", "keras-tensorflow")
    try:
        check_implementation(fn, layers(kind="conv", convention="keras"), derandomize=True,
                             **KIT_TOL)
    except LayerMismatch as err:
        conv: Any = err.layer
        assert " values differ" in str(err), err
        assert len(err.input_size) == 2 and max(conv.stride) > 1, err
        assert {ob.kind for ob in fn.observations(err)} <= {"values", "pads", None}, err
        eigen = _keras(sessions, "keras-tensorflow")
        eigen.cases = fn.cases
        assert {ob.kind for ob in eigen.observations(err)} == {None}, err


# --------------------------------------------------------------------------- the machinery


def test_a_child_killed_by_sigfpe_is_a_shrunk_finding(sessions: Any) -> None:
    """No framework needed: an implementation whose child dies by SIGFPE on max pooling with
    a window larger than the input (issue 14's family; the oracle's self-test child) is
    reported by the kit as a crash on a configuration the convention rejects, shrunk to the
    smallest such configuration; correct elsewhere."""
    session = OracleSession("selftest")

    def crashing(layer: Any, x: Any, w: Any) -> Any:
        sizes = x.shape[2:]
        if any(n < k for n, k in zip(sizes, layer.kernel, strict=True)):
            res = session.run({"id": "c", "api": "selftest.sigfpe", "n": list(sizes)})
            raise ImplementationCrashed(f"killed by {res['crashed']}")
        return expected(layer, x, w).output

    try:
        with pytest.raises(LayerMismatch, match=r"crashed \(killed by SIGFPE\)") as info:
            check_implementation(crashing, layers(kind="max-pool", convention="tensorflow",
                                                  valid=False, rejects="size"),
                                 derandomize=True)
    finally:
        session.close()
    err = info.value
    layer: Any = err.layer
    assert "which tensorflow rejects" in str(err) and "reproduce: symconv shape" in str(err)
    assert layer.kernel == (2,) and err.input_size == (1,), err
    assert session.crashes and set(session.crashes) == {"selftest.sigfpe: SIGFPE"}


def test_session_answers_case_by_case_and_restarts() -> None:
    session = OracleSession("selftest")
    try:
        assert session.run({"id": "a", "api": "selftest.ok", "n": [3]})["call"] == {
            "shape": [3]}
        first = session.proc
        assert session.run({"id": "b", "api": "selftest.exit", "n": [3]}) == {
            "crashed": "exit status 3"}
        assert session.run({"id": "c", "api": "selftest.sigfpe", "n": [3]}) == {
            "crashed": "SIGFPE"}
        assert session.run({"id": "d", "api": "selftest.ok", "n": [4]})["call"] == {
            "shape": [4]}
        # the framework's process stays; only its forked worker is replaced
        assert session.proc is first and session.calls == 4
        assert session.crashes == ["selftest.exit: exit status 3", "selftest.sigfpe: SIGFPE"]
    finally:
        session.close()
