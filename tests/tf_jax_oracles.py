"""TensorFlow, Keras (both backends), JAX and flax as test oracles, one child process each.

Parent side (no framework is imported here, nor at import time of this module):
:func:`run_oracles` starts one child per framework (``python tests/tf_jax_oracles.py
FRAMEWORK``, all of them at once), sends each its batch of cases as JSON on stdin and reads one
JSON line per case.  A child that dies (SIGFPE in a TensorFlow kernel, say) or hangs on a case
is killed; that case is recorded as ``{"crashed": "SIGFPE"}`` (or ``"timeout"``) and the child
is restarted on the rest of the batch, so one bad case costs one restart, never the batch (the
child answers case by case, so the case that killed it is the first one unanswered; no
bisection is needed).  A ``selftest`` child without a framework exercises this machinery.

Child side (:func:`child_main`): imports the framework once, then evaluates each case and
prints ``{"id": ..., "call": OUTCOME, "cos": OUTCOME?, "probe": PROBE?}`` where an OUTCOME is
``{"shape": [spatial sizes]}``, ``{"empty": [spatial sizes]}`` (the framework returned a
tensor with a zero-sized axis without raising) or ``{"error": "Type: first line"}``.
``cos`` is Keras's ``compute_output_shape`` (Keras only, next to the actual call).  ``probe``
(cases with ``"probe": true`` that ran) reads the framework's own output:

* linear layers (convolutions, average/sum pooling, resizing): the whole matrix, from the
  layer run on a batch of one-hot inputs (one channel, kernel taps valued ``1, 2, ...`` in
  row-major order of the kernel's spatial axes, in PyTorch orientation: see
  :data:`FLIPPED_KERNEL`), as ``{"matrix": [rows, cols, values]}`` (output position, input
  position, both flat row-major);
* max pooling: the outputs on ``x = 1, 2, ..., N`` and on ``x = N, ..., 1``
  (``{"inc": [...], "dec": [...]}``): the last and the first input of each window.

A case is a JSON object: ``id``, ``api`` (the function or layer, e.g. ``"tf.nn.conv2d"``,
``"keras.Conv2DTranspose"``, ``"jax.lax.reduce_window"``, ``"flax.linen.avg_pool"``), ``n``
(spatial input sizes), and as the API needs ``k`` (kernel or window), ``s`` (strides),
``d`` (dilations), ``padding`` (passed exactly as given: a name in the API's own spelling,
``[[before, after], ...]`` per spatial axis, or an int/list of ints for flax), ``out``
(TensorFlow ``output_shape``, spatial), ``opad`` (Keras ``output_padding``), ``size``
(resize target), ``scale`` (Keras ``UpSampling`` factors), ``method``, ``antialias``,
``flags`` (``transpose_kernel``, ``use_consistent_padding``, ``count_include_pad``,
``reducer``: ``"max"``/``"add"``, ``pooling_type``) and ``probe``.  ``None`` (or absent)
means "argument not passed": the API's default applies.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()

#: The child processes and the environment each needs.
FRAMEWORKS = ("tensorflow", "keras-tensorflow", "keras-jax", "jax", "flax")
#: TensorFlow runs its reference (Eigen) kernels: on CPUs with AVX-512, TF 2.21's default
#: oneDNN kernels return uninitialised tensors of the input's shape when the window exceeds
#: the padded input, and wrong values for strided conv2d batches (docs/CONVENTIONS.md,
#: tests/test_tf_onednn.py), so the oracle would depend on the machine.
_NO_ONEDNN = {"TF_ENABLE_ONEDNN_OPTS": "0"}
_ENV = {
    "tensorflow": _NO_ONEDNN,
    "keras-tensorflow": {"KERAS_BACKEND": "tensorflow", **_NO_ONEDNN},
    "keras-jax": {"KERAS_BACKEND": "jax"},
    "jax": {},
    "flax": {},
    "jax+flax": {},
    "selftest": {},
}

#: APIs whose kernel is applied unflipped over the zero-stretched input: their probe kernels
#: are flipped so that the matrix reads in PyTorch's orientation (``transpose_kernel=False``).
FLIPPED_KERNEL = ("jax.lax.conv_transpose", "flax.linen.ConvTranspose")


def framework_of(api: str) -> tuple[str, ...]:
    """The child processes that evaluate ``api`` (Keras layers run on both backends)."""
    if api.startswith("tf."):
        return ("tensorflow",)
    if api.startswith("keras."):
        return ("keras-tensorflow", "keras-jax")
    if api.startswith("jax."):
        return ("jax",)
    if api.startswith("flax."):
        return ("flax",)
    if api.startswith("selftest."):
        return ("selftest",)
    raise ValueError(f"no framework for api={api!r}")


# --------------------------------------------------------------------------- parent side

#: Seconds a child may take to import its framework, and then to answer one case.
IMPORT_TIMEOUT = 240.0
CASE_TIMEOUT = 60.0


def versions() -> dict[str, str]:
    """Installed versions of the frameworks (from package metadata: nothing is imported)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("tensorflow-cpu", "tensorflow", "keras", "jax", "jaxlib", "flax", "numpy"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            continue
    return out


def _signal_name(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def _child_env(framework: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(_ENV[framework])
    env.update({
        "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu", "CUDA_VISIBLE_DEVICES": "",
        "JAX_TRACEBACK_FILTERING": "off", "PYTHONIOENCODING": "utf-8",
        "OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
        "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    })
    return env


def _run_once(framework: str, cases: list[dict[str, Any]], results: dict[str, Any],
              log: list[str]) -> str | None:
    """Run one child on ``cases`` (in order), filling ``results``; return the reason it
    stopped early (``None`` when every case was answered)."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, str(HERE), framework], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=err, env=_child_env(framework))
        assert proc.stdin is not None and proc.stdout is not None
        payload = json.dumps(cases).encode()

        def feed() -> None:
            try:
                proc.stdin.write(payload)  # type: ignore[union-attr]
                proc.stdin.close()  # type: ignore[union-attr]
            except (BrokenPipeError, OSError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        buf, ready, reason = b"", False, None
        pending = [c["id"] for c in cases]
        at = 0
        deadline = time.monotonic() + IMPORT_TIMEOUT
        try:
            while at < len(pending):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(timeout=left):
                    reason = "timeout"
                    break
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    proc.wait()
                    reason = _signal_name(proc.returncode)
                    break
                buf += chunk
                while b"\n" in buf and at < len(pending):
                    line, buf = buf.split(b"\n", 1)
                    msg = json.loads(line)
                    if msg.get("ready"):
                        ready = True
                    else:
                        results[msg.pop("id")] = msg
                        at += 1
                    deadline = time.monotonic() + CASE_TIMEOUT
        finally:
            sel.close()
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            writer.join(timeout=5)
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-5:]
        if reason is None:
            return None
        if not ready:
            raise RuntimeError(f"{framework} child failed to start ({reason}):\n" +
                               "\n".join(tail))
        log.append(f"{framework}: case {pending[at]} {reason}")
        results[pending[at]] = {"crashed": reason, "stderr": tail[-1:]}
        return reason


def run_oracle(framework: str, cases: Sequence[dict[str, Any]],
               log: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Evaluate ``cases`` in one child of ``framework``; a case that kills or hangs the child
    is recorded as crashed and the child restarted on the rest.  Returns ``{id: result}``."""
    log = [] if log is None else log
    results: dict[str, Any] = {}
    todo = list(cases)
    while todo:
        _run_once(framework, todo, results, log)
        todo = [c for c in todo if c["id"] not in results]
    return results


def run_oracles(cases: Iterable[dict[str, Any]],
                frameworks: Sequence[str] = FRAMEWORKS) -> tuple[dict[str, dict[str, Any]],
                                                                 list[str]]:
    """Every case in every framework that evaluates its API, one child per framework, all
    started at once.  Returns ``({framework: {id: result}}, log of crashes)``."""
    batches: dict[str, list[dict[str, Any]]] = {f: [] for f in frameworks}
    for case in cases:
        for f in framework_of(case["api"]):
            if f in batches:
                batches[f].append(case)
    out: dict[str, dict[str, Any]] = {}
    log: list[str] = []
    errors: list[BaseException] = []

    def work(f: str) -> None:
        try:
            out[f] = run_oracle(f, batches[f], log)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f,)) for f in frameworks if batches[f]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return out, log


# --------------------------------------------------------------------------- child side


def _error(exc: BaseException) -> dict[str, str]:
    text = " ".join(str(exc).split())
    if text.startswith("{{function_node"):  # TF's op wrapper prefix
        text = text.split("}}", 1)[-1].strip()
    return {"error": f"{type(exc).__name__}: {text[:300]}"}


def _outcome(shape: Sequence[int], spatial: slice) -> dict[str, Any]:
    dims = [int(v) for v in tuple(shape)[spatial]]
    return {"empty": dims} if 0 in dims or any(int(v) == 0 for v in shape) else {"shape": dims}


class _Child:
    """Shared helpers: the numpy inputs of the probes."""

    def __init__(self) -> None:
        import numpy as np

        self.np = np

    def taps(self, k: Sequence[int], flip: bool = False) -> Any:
        """Kernel taps ``1..prod(k)`` row-major over the spatial axes (float32)."""
        np = self.np
        w = np.arange(1, int(np.prod(k)) + 1, dtype=np.float32).reshape(tuple(k))
        return np.flip(w, axis=tuple(range(len(k)))).copy() if flip else w

    def onehots(self, n: Sequence[int]) -> Any:
        """``prod(n)`` one-hot inputs of shape ``n`` (a batch, float32)."""
        np = self.np
        m = int(np.prod(n))
        return np.eye(m, dtype=np.float32).reshape((m, *n))

    def ramps(self, n: Sequence[int]) -> Any:
        """``1..N`` and ``N..1`` over the input (a batch of two, float32)."""
        np = self.np
        m = int(np.prod(n))
        inc = np.arange(1, m + 1, dtype=np.float32)
        return np.stack([inc, inc[::-1].copy()]).reshape((2, *n))

    def matrix(self, y: Any) -> dict[str, Any]:
        """Batch of outputs of one-hot inputs -> nonzero (row, col, value) of the matrix."""
        np = self.np
        y = np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1)  # (inputs, outputs)
        cols, rows = np.nonzero(np.abs(y) > 1e-7)
        return {"matrix": [rows.tolist(), cols.tolist(), [float(v) for v in y[cols, rows]]]}

    def maxsel(self, y: Any) -> dict[str, Any]:
        np = self.np
        y = np.asarray(y, dtype=np.float64).reshape(2, -1)
        clean = [[None if not np.isfinite(v) else float(v) for v in row] for row in y]
        return {"inc": clean[0], "dec": clean[1]}


# ---- TensorFlow


class _TF(_Child):
    def __init__(self) -> None:
        super().__init__()
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        self.tf = tf

    def run(self, case: dict[str, Any]) -> dict[str, Any]:
        tf, np = self.tf, self.np
        api, n = case["api"], case["n"]
        nd = len(n)
        name = api.split(".")[-1]
        res: dict[str, Any] = {}

        def pad() -> Any:
            p = case.get("padding")
            if isinstance(p, list):
                return [[0, 0], *p, [0, 0]]
            return p

        if name == "resize":
            def op(x: Any) -> Any:
                kw: dict[str, Any] = {}
                if case.get("method") is not None:
                    kw["method"] = case["method"]
                if case.get("antialias") is not None:
                    kw["antialias"] = case["antialias"]
                return tf.image.resize(x, case["size"], **kw)
        elif "conv" in name and "transpose" in name:
            w = self.taps(case["k"])[..., None, None]

            def op(x: Any, w: Any = w) -> Any:
                fn = getattr(tf.nn, name)
                kw = {"strides": self._ints(name, case["s"], nd), "padding": pad()}
                if case.get("d") is not None:
                    kw["dilations"] = self._ints(name, case["d"], nd)
                return fn(x, w, output_shape=[x.shape[0], *case["out"], 1], **kw)
        elif "conv" in name:
            w = self.taps(case["k"])[..., None, None]

            def op(x: Any, w: Any = w) -> Any:
                fn = getattr(tf.nn, name)
                kw: dict[str, Any] = {}
                if case.get("s") is not None:
                    kw["stride" if name == "conv1d" else "strides"] = self._ints(
                        name, case["s"], nd)
                if case.get("padding") is not None:
                    kw["padding"] = pad()
                if case.get("d") is not None:
                    kw["dilations"] = self._ints(name, case["d"], nd)
                return fn(x, w, **kw)
        elif name == "pool":
            def op(x: Any) -> Any:
                kw: dict[str, Any] = {"pooling_type": case["flags"]["pooling_type"]}
                for key, arg in (("s", "strides"), ("d", "dilations"), ("padding", "padding")):
                    if case.get(key) is not None:
                        kw[arg] = pad() if key == "padding" else case[key]
                return tf.nn.pool(x, case["k"], **kw)
        else:  # max_pool*, avg_pool*
            def op(x: Any) -> Any:
                fn = getattr(tf.nn, name)
                return fn(x, self._ints(name, case["k"], nd), self._ints(name, case["s"], nd),
                          pad())

        x = np.zeros((1, *n, 1), np.float32)
        try:
            y = op(tf.constant(x))
            res["call"] = _outcome(y.shape, slice(1, -1))
        except Exception as exc:  # TF raises many types
            res["call"] = _error(exc)
            return res
        if case.get("probe") and "shape" in res["call"]:
            res["probe"] = self.probe(case, op)
        return res

    @staticmethod
    def _ints(name: str, v: Sequence[int], nd: int) -> Any:
        """Strides/dilations/ksize as each op takes them (3-D ops want all five entries)."""
        if name in ("conv3d", "conv3d_transpose", "max_pool3d", "avg_pool3d"):
            return [1, *v, 1]
        if name == "conv1d" and len(v) == 1:
            return v[0]
        return list(v)

    def probe(self, case: dict[str, Any], op: Any) -> dict[str, Any]:
        tf = self.tf
        name = case["api"].split(".")[-1]
        if "max_pool" in name or (name == "pool" and case["flags"]["pooling_type"] == "MAX"):
            return self.maxsel(op(tf.constant(self.ramps(case["n"])[..., None])))
        return self.matrix(op(tf.constant(self.onehots(case["n"])[..., None])))


# ---- Keras (either backend)


class _Keras(_Child):
    def __init__(self) -> None:
        super().__init__()
        import keras

        keras.config.disable_traceback_filtering()
        self.keras = keras
        self.backend = keras.backend.backend()
        if self.backend == "jax":
            import jax

            self.jax = jax

    def layer(self, case: dict[str, Any], kernel: Any = None) -> Any:
        keras = self.keras
        api, n = case["api"], case["n"]
        nd = len(n)
        cls = getattr(keras.layers, api.split(".")[-1])
        kw: dict[str, Any] = {}
        name = api.split(".")[-1]
        if name.startswith("Conv"):
            k = tuple(case["k"])
            init = "ones" if kernel is None else (lambda shape, dtype=None: kernel.reshape(shape))
            kw.update(filters=1, kernel_size=k, use_bias=False, kernel_initializer=init)
            for key, arg in (("s", "strides"), ("d", "dilation_rate"), ("padding", "padding"),
                             ("opad", "output_padding")):
                if case.get(key) is not None:
                    kw[arg] = tuple(case[key]) if isinstance(case[key], list) else case[key]
        elif "Pooling" in name:
            kw["pool_size"] = tuple(case["k"])
            if case.get("s") is not None:
                kw["strides"] = tuple(case["s"])
            if case.get("padding") is not None:
                kw["padding"] = case["padding"]
        elif name.startswith("UpSampling"):
            kw["size"] = case["scale"][0] if nd == 1 else tuple(case["scale"])
            if case.get("method") is not None:
                kw["interpolation"] = case["method"]
        elif name == "Resizing":
            kw.update(height=case["size"][0], width=case["size"][1])
            if case.get("method") is not None:
                kw["interpolation"] = case["method"]
        return cls(**kw)

    def call(self, layer: Any, x: Any) -> Any:
        if self.backend == "jax":
            return layer(self.keras.ops.convert_to_tensor(x))
        return layer(x)

    def run(self, case: dict[str, Any]) -> dict[str, Any]:
        np, n = self.np, case["n"]
        res: dict[str, Any] = {}
        try:
            layer = self.layer(case)
        except Exception as exc:  # Keras raises many types
            res["cos"] = res["call"] = _error(exc)
            return res
        try:
            res["cos"] = _outcome(layer.compute_output_shape((1, *n, 1)), slice(1, -1))
        except Exception as exc:
            res["cos"] = _error(exc)
        try:
            if self.backend == "jax":
                jax = self.jax
                y = jax.eval_shape(lambda x: layer(x),
                                   jax.ShapeDtypeStruct((1, *n, 1), np.float32))
            else:
                y = layer(np.zeros((1, *n, 1), np.float32))
            res["call"] = _outcome(y.shape, slice(1, -1))
        except Exception as exc:
            res["call"] = _error(exc)
            return res
        if case.get("probe") and "shape" in res["call"]:
            try:
                res["probe"] = self.probe(case)
            except Exception as exc:
                res["probe"] = _error(exc)
        return res

    def probe(self, case: dict[str, Any]) -> dict[str, Any]:
        np, name = self.np, case["api"].split(".")[-1]
        kernel = self.taps(case["k"]) if name.startswith("Conv") else None
        layer = self.layer(case, kernel)
        if name.startswith("MaxPooling"):
            return self.maxsel(np.asarray(self.call(layer, self.ramps(case["n"])[..., None])))
        y = np.asarray(self.call(layer, self.onehots(case["n"])[..., None]))
        if kernel is not None:
            got = np.asarray(layer.get_weights()[0]).reshape(kernel.shape)
            assert np.array_equal(got, kernel), "kernel taps not set"
        return self.matrix(y)


# ---- JAX (lax, jax.image) and flax


class _JaxBase(_Child):
    def __init__(self) -> None:
        super().__init__()
        import jax

        self.jax = jax

    def evaluate(self, case: dict[str, Any], op: Any, x_shape: tuple[int, ...],
                 spatial: slice, to_input: Any) -> dict[str, Any]:
        """Shape by ``jax.eval_shape`` (every shape rule, no compilation); the probe runs it."""
        jax, np = self.jax, self.np
        res: dict[str, Any] = {}
        try:
            y = jax.eval_shape(op, jax.ShapeDtypeStruct(x_shape, np.float32))
            res["call"] = _outcome(y.shape, spatial)
        except Exception as exc:  # JAX raises many types
            res["call"] = _error(exc)
            return res
        if case.get("probe") and "shape" in res["call"]:
            maxpool = case["api"] == "flax.linen.max_pool" or (
                case["api"] == "jax.lax.reduce_window" and case["flags"]["reducer"] == "max")
            batch = self.ramps(case["n"]) if maxpool else self.onehots(case["n"])
            yb = np.asarray(jax.jit(op)(to_input(batch)))
            if spatial.start == 2:  # NC... layout: channel axis to the end
                yb = np.moveaxis(yb, 1, -1)
            res["probe"] = self.maxsel(yb) if maxpool else self.matrix(yb)
        return res


class _Jax(_JaxBase):
    def run(self, case: dict[str, Any]) -> dict[str, Any]:
        jax = self.jax
        lax = jax.lax
        api, n = case["api"], case["n"]
        pad = case.get("padding")
        if isinstance(pad, list):
            pad = [tuple(p) for p in pad]
        flags = case.get("flags") or {}
        if api == "jax.lax.conv_general_dilated":
            w = self.taps(case["k"])[None, None]

            def op(x: Any) -> Any:
                kw = {} if case.get("d") is None else {"rhs_dilation": tuple(case["d"])}
                return lax.conv_general_dilated(x, w, tuple(case["s"]), pad, **kw)
            return self.evaluate(case, op, (1, 1, *n), slice(2, None), lambda b: b[:, None])
        if api == "jax.lax.conv_transpose":
            w = self.taps(case["k"], flip=not flags.get("transpose_kernel"))[..., None, None]

            def op(x: Any) -> Any:
                kw: dict[str, Any] = {}
                if case.get("d") is not None:
                    kw["rhs_dilation"] = tuple(case["d"])
                for f in ("transpose_kernel", "use_consistent_padding"):
                    if f in flags:
                        kw[f] = flags[f]
                return lax.conv_transpose(x, w, tuple(case["s"]), pad, **kw)
            return self.evaluate(case, op, (1, *n, 1), slice(1, -1), lambda b: b[..., None])
        if api == "jax.lax.reduce_window":
            reducer = flags["reducer"]
            init, comp = (-float("inf"), lax.max) if reducer == "max" else (0.0, lax.add)
            p = pad if isinstance(pad, str) else [(0, 0), (0, 0), *pad]

            def op(x: Any) -> Any:
                kw = {} if case.get("d") is None else {
                    "window_dilation": (1, 1, *case["d"])}
                return lax.reduce_window(x, init, comp, (1, 1, *case["k"]),
                                         (1, 1, *case["s"]), p, **kw)
            return self.evaluate(case, op, (1, 1, *n), slice(2, None), lambda b: b[:, None])
        if api == "jax.image.resize":
            def op(x: Any) -> Any:
                kw = {} if case.get("antialias") is None else {"antialias": case["antialias"]}
                return jax.image.resize(x, (x.shape[0], *case["size"], 1), case["method"], **kw)
            return self.evaluate(case, op, (1, *n, 1), slice(1, -1), lambda b: b[..., None])
        raise ValueError(f"unknown api {api}")


class _Flax(_JaxBase):
    def __init__(self) -> None:
        super().__init__()
        import flax.linen as nn

        self.nn = nn

    def run(self, case: dict[str, Any]) -> dict[str, Any]:
        nn = self.nn
        api, n = case["api"], case["n"]
        name = api.split(".")[-1]
        pad = case.get("padding")
        if isinstance(pad, list):
            pad = [tuple(p) if isinstance(p, list) else p for p in pad]
        flags = case.get("flags") or {}
        kw: dict[str, Any] = {}
        if pad is not None:
            kw["padding"] = pad
        if name in ("Conv", "ConvTranspose"):
            if case.get("s") is not None:
                kw["strides"] = tuple(case["s"])
            if case.get("d") is not None:
                kw["kernel_dilation"] = tuple(case["d"])
            if "transpose_kernel" in flags:
                kw["transpose_kernel"] = flags["transpose_kernel"]
            try:
                module = getattr(nn, name)(features=1, kernel_size=tuple(case["k"]),
                                           use_bias=False, **kw)
            except Exception as exc:  # flax raises many types
                return {"call": _error(exc)}
            flip = name == "ConvTranspose" and not flags.get("transpose_kernel")
            params = {"params": {"kernel": self.taps(case["k"], flip=flip)[..., None, None]}}

            def op(x: Any) -> Any:
                return module.apply(params, x)
        else:
            if case.get("s") is not None:
                kw["strides"] = tuple(case["s"])
            if "count_include_pad" in flags:
                kw["count_include_pad"] = flags["count_include_pad"]
            fn = getattr(nn, name)

            def op(x: Any) -> Any:
                return fn(x, tuple(case["k"]), **kw)
        return self.evaluate(case, op, (1, *n, 1), slice(1, -1), lambda b: b[..., None])


class _JaxFlax(_JaxBase):
    """JAX (lax) and flax in one child, for ``tests/test_jax_negative_padding.py``: each case
    goes to :class:`_Jax` or :class:`_Flax` by its API; max-pool probes also read a fixed
    permutation of ``1..N`` (``"perm"``), and matrix probes list the outputs that are not
    finite (``"nonfinite"``: NaN or inf rows, which the matrix's nonzeros cannot show)."""

    def __init__(self) -> None:
        super().__init__()
        self.lax, self.flax = _Jax(), _Flax()
        for child in (self.lax, self.flax):
            child.ramps = self.ramps  # type: ignore[method-assign]
            child.maxsel = self.maxsel  # type: ignore[method-assign]
            child.matrix = self.matrix  # type: ignore[method-assign]

    def ramps(self, n: Sequence[int]) -> Any:
        np = self.np
        m = int(np.prod(n))
        perm = np.random.default_rng(m).permutation(m).astype(np.float32) + 1
        return np.concatenate([super().ramps(n), perm.reshape((1, *n))])

    def maxsel(self, y: Any) -> dict[str, Any]:
        np = self.np
        y = np.asarray(y, dtype=np.float64).reshape(3, -1)
        rows = [[None if not np.isfinite(v) else float(v) for v in row] for row in y]
        return {"inc": rows[0], "dec": rows[1], "perm": rows[2]}

    def matrix(self, y: Any) -> dict[str, Any]:
        np = self.np
        out = super().matrix(y)
        flat = np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1)
        out["nonfinite"] = np.nonzero(~np.isfinite(flat).all(axis=0))[0].tolist()
        return out

    def run(self, case: dict[str, Any]) -> dict[str, Any]:
        return (self.lax if case["api"].startswith("jax.") else self.flax).run(case)


class _SelfTest:
    """A child without a framework, to test the runner: ``selftest.ok`` answers the input
    size, ``selftest.sigfpe`` kills the process, ``selftest.exit`` exits with status 3."""

    def run(self, case: dict[str, Any]) -> dict[str, Any]:
        if case["api"] == "selftest.sigfpe":
            os.kill(os.getpid(), signal.SIGFPE)
        if case["api"] == "selftest.exit":
            os._exit(3)
        return {"call": {"shape": case["n"]}}


_CHILDREN = {"tensorflow": _TF, "keras-tensorflow": _Keras, "keras-jax": _Keras,
             "jax": _Jax, "flax": _Flax, "jax+flax": _JaxFlax, "selftest": _SelfTest}


def child_main(framework: str) -> None:
    """Evaluate the JSON list of cases on stdin, one JSON line per case on stdout."""
    import warnings

    warnings.filterwarnings("ignore")
    out = sys.stdout
    sys.stdout = sys.stderr  # framework chatter must not corrupt the protocol
    cases = json.loads(sys.stdin.read())
    child = _CHILDREN[framework]()
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for case in cases:
        try:
            res = child.run(case)
        except Exception as exc:  # an oracle bug: reported, never silently dropped
            res = {"call": {"oracle_error": _error(exc)["error"]}}
        res["id"] = case["id"]
        out.write(json.dumps(res) + "\n")
        out.flush()


if __name__ == "__main__":
    child_main(sys.argv[1])
