"""A zoo of real architectures (torchvision, segmentation-models-pytorch), exported to ONNX on the
fly, against which ``symconv review`` is checked: :data:`MODELS` (name -> factory),
:func:`export` (the legacy exporter with dynamic ``H``/``W``), :func:`ort_shapes` (onnxruntime in
a child process, over many sizes) and :func:`eager_shapes` (the PyTorch module itself).

Every model is small (channels and depths cut where the constructor allows), has random
weights (``weights=None``, ``encoder_weights=None``: nothing is downloaded) and is in
``.eval()`` mode.  Importing this module imports neither PyTorch nor onnxruntime (pytest's
doctest collection imports it); the factories do, through :func:`import_torchvision`.

torchvision 0.28.0 is installed without dependencies on the CPU build of PyTorch: it is a CUDA
build whose C++ extension does not load, and at import time it registers fake (meta) kernels
for ``torchvision::nms`` and ``torchvision::qnms`` unconditionally, which raises ``operator
torchvision::nms does not exist``.  :func:`import_torchvision` defines placeholder schemas for
exactly those two operators (nothing else is looked up at import time) and imports it again;
the model definitions need none of the C++ operators.

smp models check at run time that ``H`` and ``W`` are multiples of the encoder's output stride
(``requires_divisible_input_shape``), a guard the exported graph does not contain (it is
skipped while tracing).  :func:`build` turns the guard off so that PyTorch eager runs the same
computation as the ONNX model; :data:`GUARDS` keeps the stride each guard would have demanded.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: ONNX opset of every export.
OPSET = 17
#: The size at which a model is traced for export.
EXPORT_SIZE = (64, 64)
#: Input channels of every model.
CHANNELS = 3
#: Classes of every classifier / segmentation head (small, so heads stay small).
CLASSES = 4

#: The two operators torchvision registers fake kernels for at import time.
TORCHVISION_PLACEHOLDERS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)

_placeholder_lib: Any = None  # keeps the torch.library fragment alive


def import_torchvision() -> Any:
    """Import torchvision on a CPU build of PyTorch whose C++ extension does not load.

    Imports it as it is first; if that fails because ``torchvision::nms`` (or ``qnms``) does
    not exist, the partly imported modules are dropped, placeholder schemas are defined for
    the two operators (:data:`TORCHVISION_PLACEHOLDERS`; calling them raises) and the import
    is repeated.  On a matching build nothing is defined.
    """
    global _placeholder_lib
    import torch

    try:
        import torchvision
    except RuntimeError as exc:
        if "torchvision::" not in str(exc) or "does not exist" not in str(exc):
            raise
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        if _placeholder_lib is None:
            _placeholder_lib = torch.library.Library("torchvision", "DEF")
            for schema in TORCHVISION_PLACEHOLDERS:
                _placeholder_lib.define(schema)
        import torchvision
    return torchvision


# --------------------------------------------------------------------------- the models


@dataclass(frozen=True)
class ZooModel:
    """One architecture: its factory, the family it stands for and the library it comes from."""

    factory: Callable[[], Any]
    family: str
    source: str


def _tv_models() -> Any:
    return import_torchvision().models


def _resnet18() -> Any:
    return _tv_models().resnet18(weights=None, num_classes=CLASSES)


def _mobilenet_v3_small() -> Any:
    return _tv_models().mobilenet_v3_small(weights=None, num_classes=CLASSES, width_mult=0.5)


def _efficientnet_b0() -> Any:
    _tv_models()
    from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf

    settings, last = _efficientnet_conf("efficientnet_b0", width_mult=0.5, depth_mult=0.5)
    return EfficientNet(settings, dropout=0.2, num_classes=CLASSES, last_channel=last)


def _vgg11() -> Any:
    _tv_models()
    import torch.nn as nn
    from torchvision.models.vgg import VGG, make_layers

    cfg: list[int | str] = [8, "M", 16, "M", 32, 32, "M", 64, 64, "M", 64, 64, "M"]  # "A" / 8
    model = VGG(make_layers(cfg, batch_norm=False), num_classes=CLASSES)
    model.classifier = nn.Sequential(  # VGG's classifier, 64*7*7 -> 32 -> 32 -> classes
        nn.Linear(64 * 7 * 7, 32), nn.ReLU(True), nn.Dropout(), nn.Linear(32, 32),
        nn.ReLU(True), nn.Dropout(), nn.Linear(32, CLASSES))
    return model


def _squeezenet() -> Any:
    return _tv_models().squeezenet1_1(weights=None, num_classes=CLASSES)


def _deeplabv3() -> Any:
    seg = import_torchvision().models.segmentation
    return seg.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None,
                                            num_classes=CLASSES, aux_loss=False)


def _lraspp() -> Any:
    seg = import_torchvision().models.segmentation
    return seg.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None,
                                         num_classes=CLASSES)


def _fcn() -> Any:
    """torchvision's FCN on a small dilated bottleneck ResNet (one block per stage, output
    stride 8 as in ``fcn_resnet50``), with the auxiliary head on layer3."""
    _tv_models()
    from torchvision.models._utils import IntermediateLayerGetter
    from torchvision.models.resnet import Bottleneck, ResNet
    from torchvision.models.segmentation.fcn import FCN, FCNHead

    backbone = ResNet(Bottleneck, [1, 1, 1, 1], width_per_group=16,
                      replace_stride_with_dilation=[False, True, True])
    body = IntermediateLayerGetter(backbone, {"layer4": "out", "layer3": "aux"})
    return FCN(body, FCNHead(2048, CLASSES), FCNHead(1024, CLASSES))


def _shufflenet() -> Any:
    return _tv_models().shufflenet_v2_x0_5(weights=None, num_classes=CLASSES)


def _mnasnet() -> Any:
    return _tv_models().mnasnet0_5(weights=None, num_classes=CLASSES)


def _convnext() -> Any:
    """torchvision's ConvNeXt with two small stages (permute, LayerNorm and Linear over
    channels, permute back; a stride-4 patchify stem and a stride-2 downsampling)."""
    _tv_models()
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt

    return ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 1)],
                    num_classes=CLASSES)


def _smp(kind: str, **kwargs: Any) -> Callable[[], Any]:
    def make() -> Any:
        import_torchvision()
        import segmentation_models_pytorch as smp

        return getattr(smp, kind)(encoder_name="resnet18", encoder_weights=None,
                                  in_channels=CHANNELS, classes=CLASSES, **kwargs)
    make.__name__ = f"smp_{kind}"
    return make


MODELS: dict[str, ZooModel] = {
    "resnet18": ZooModel(_resnet18, "ResNet-18", "torchvision"),
    "mobilenet_v3_small": ZooModel(_mobilenet_v3_small, "MobileNetV3-Small (SE, hard-sigmoid)",
                                   "torchvision"),
    "efficientnet_b0": ZooModel(_efficientnet_b0, "EfficientNet-B0 (SE, width/depth 0.5)",
                                "torchvision"),
    "vgg11": ZooModel(_vgg11, "VGG-11 (channels / 8, adaptive 7x7 avg pool)", "torchvision"),
    "squeezenet1_1": ZooModel(_squeezenet, "SqueezeNet 1.1 (ceil-mode pools)", "torchvision"),
    "deeplabv3_mobilenet_v3": ZooModel(_deeplabv3, "DeepLabV3 (ASPP image pooling, Resize)",
                                       "torchvision"),
    "lraspp_mobilenet_v3": ZooModel(_lraspp, "LR-ASPP (SE-like gate, Resize like)",
                                    "torchvision"),
    "fcn_resnet": ZooModel(_fcn, "FCN (dilated bottleneck ResNet, aux head)", "torchvision"),
    "shufflenet_v2": ZooModel(_shufflenet, "ShuffleNetV2 x0.5 (channel chunk and shuffle)",
                              "torchvision"),
    "mnasnet": ZooModel(_mnasnet, "MnasNet 0.5 (x.mean((2, 3)) head)", "torchvision"),
    "convnext": ZooModel(_convnext, "ConvNeXt, 2 small stages (Linear over channels)",
                         "torchvision"),
    "smp_unet": ZooModel(_smp("Unet", encoder_depth=5, decoder_channels=(64, 32, 16, 16, 8)),
                         "U-Net (resnet18)", "smp"),
    "smp_fpn": ZooModel(_smp("FPN", decoder_pyramid_channels=64,
                             decoder_segmentation_channels=64),
                        "FPN (GroupNorm decoder)", "smp"),
    "smp_linknet": ZooModel(_smp("Linknet"), "LinkNet (transposed convs)", "smp"),
    "smp_pspnet": ZooModel(_smp("PSPNet", psp_out_channels=64), "PSPNet (pyramid pooling)",
                           "smp"),
    "smp_deeplabv3plus": ZooModel(_smp("DeepLabV3Plus", decoder_channels=64),
                                  "DeepLabV3+ (ASPP, output stride 16)", "smp"),
    "smp_unetplusplus": ZooModel(_smp("UnetPlusPlus", decoder_channels=(64, 32, 16, 16, 8)),
                                 "U-Net++ (resnet18)", "smp"),
}

#: smp's run-time guard: the stride H and W must be multiples of (see the module docstring).
GUARDS: dict[str, int] = {}


class _Tuple:  # a namespace for the wrapper class, built lazily (it needs torch)
    cls: Any = None


def _wrapper() -> Any:
    """``nn.Module`` returning the model's outputs as a tuple (a dict's values in order)."""
    if _Tuple.cls is None:
        import torch.nn as nn

        class Outputs(nn.Module):
            def __init__(self, model: Any) -> None:
                super().__init__()
                self.model = model

            def forward(self, x: Any) -> Any:
                out = self.model(x)
                if isinstance(out, dict):
                    return tuple(out.values())
                return out if isinstance(out, tuple) else (out,)

        _Tuple.cls = Outputs
    return _Tuple.cls


_BUILT: dict[str, Any] = {}


def build(name: str) -> Any:
    """The model ``name`` (random weights, fixed seed, eval mode), its outputs as a tuple;
    built once per process."""
    if name not in _BUILT:
        import torch

        torch.manual_seed(0)
        model = MODELS[name].factory()
        if hasattr(model, "requires_divisible_input_shape"):  # smp's guard (docstring)
            if model.requires_divisible_input_shape:
                GUARDS[name] = int(model.encoder.output_stride)
            model.requires_divisible_input_shape = False
        _BUILT[name] = _wrapper()(model).eval()
    return _BUILT[name]


def output_names(name: str) -> list[str]:
    """Names of the model's outputs: a dict's keys, else ``y`` (or ``y0``, ``y1``, ...)."""
    import torch

    model = build(name)
    with torch.no_grad():
        raw = model.model(torch.zeros(1, CHANNELS, *EXPORT_SIZE))
    if isinstance(raw, dict):
        return list(raw)
    if isinstance(raw, tuple):
        return [f"y{i}" for i in range(len(raw))]
    return ["y"]


# --------------------------------------------------------------------------- export


@dataclass(frozen=True)
class Export:
    """What :func:`export` did: ``error`` is the exporter's one-line refusal (or ``None``)."""

    name: str
    path: Path
    outputs: tuple[str, ...]
    ranks: tuple[int, ...]
    nodes: int = 0  # ONNX graph nodes
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def export(name: str, path: str | Path) -> Export:
    """Export model ``name`` to ``path`` with the legacy exporter (opset :data:`OPSET`), input
    ``x`` with dynamic ``H``/``W``, every 4-D output with dynamic spatial axes.  An exporter
    refusal is returned, not raised: it is a fact about the model."""
    import warnings

    import torch

    path = Path(path)
    model = build(name)
    outs = output_names(name)
    x = torch.zeros(1, CHANNELS, *EXPORT_SIZE)
    with torch.no_grad():
        ranks = [t.dim() for t in model(x)]
    dynamic: dict[str, dict[int, str]] = {"x": {2: "H", 3: "W"}}
    for out, rank in zip(outs, ranks, strict=True):
        dynamic[out] = {2: f"{out}_H", 3: f"{out}_W"} if rank == 4 else {}
    try:
        with warnings.catch_warnings(), torch.no_grad(), _quiet():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=OPSET,
                              input_names=["x"], output_names=outs, dynamic_axes=dynamic)
    except Exception as exc:  # the exporter raises many types; its message is the fact
        text = one_line(exc)
        cut = text.find(" Please feel free to request support")  # boilerplate, then the graph
        return Export(name, path, tuple(outs), tuple(ranks),
                      error=text[:cut] if cut > 0 else text)
    import onnx

    nodes = len(onnx.load(str(path), load_external_data=False).graph.node)
    return Export(name, path, tuple(outs), tuple(ranks), nodes)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Send file descriptors 1 and 2 to a scratch file: on a refusal the legacy exporter
    writes its whole TorchScript graph to stdout from C++ (its ONNX log is always on in
    torch 2.13: ``setup_onnx_logging`` tests the function ``_jit_is_onnx_log_enabled``
    itself, which is truthy)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    with tempfile.TemporaryFile() as scratch:
        for fd in saved:
            os.dup2(scratch.fileno(), fd)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)


def one_line(exc: BaseException) -> str:
    """``Type: first line`` of an exception."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}"[:400]


# --------------------------------------------------------------------------- runtimes


@dataclass(frozen=True)
class Run:
    """One model at one input size: each output's full shape, or the failure."""

    shapes: tuple[tuple[int, ...], ...] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Ran, and no output has an empty axis (symconv's contract: every size >= 1)."""
        return self.shapes is not None and all(0 not in s for s in self.shapes)

    def __str__(self) -> str:
        if self.shapes is None:
            return f"fails ({self.error})"
        shown = ", ".join("x".join(map(str, s)) for s in self.shapes)
        return shown if self.ok else f"empty output ({shown})"


_CHILD = r"""
import json, sys
import numpy as np
import onnxruntime as ort

path, sizes = sys.argv[1], json.loads(sys.argv[2])
opts = ort.SessionOptions()
opts.log_severity_level = 4
opts.intra_op_num_threads = 1
opts.inter_op_num_threads = 1
try:
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
except Exception as exc:
    print(json.dumps({"session": " ".join(str(exc).split())[:300]}), flush=True)
    sys.exit(0)
name = sess.get_inputs()[0].name
channels = sess.get_inputs()[0].shape[1]
for h, w in sizes:
    print(json.dumps({"start": [h, w]}), flush=True)
    x = np.random.default_rng(0).standard_normal((1, channels, h, w)).astype(np.float32)
    try:
        out = sess.run(None, {name: x})
        row = {"shapes": [list(o.shape) for o in out]}
    except Exception as exc:
        msg = " ".join(str(exc).split())
        at = msg.find("Status Message")
        row = {"error": (msg[at:] if at >= 0 else msg)[:300]}
    print(json.dumps(row), flush=True)
"""


def ort_shapes(path: str | Path, sizes: list[tuple[int, int]], *,
               timeout: float = 600) -> dict[tuple[int, int], Run]:
    """Run the ONNX model in onnxruntime (CPU, one thread) at every ``(H, W)`` of ``sizes``,
    in a child process: onnxruntime can kill its process (SIGFPE on degenerate sizes).  A size
    that kills the child is recorded as ``killed by SIGFPE`` (etc.) and a new child goes on
    with the remaining sizes."""
    todo = [tuple(s) for s in sizes]
    done: dict[tuple[int, int], Run] = {}
    env = dict(os.environ, OMP_NUM_THREADS="1")
    while todo:
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(path), json.dumps(todo)],
                              capture_output=True, text=True, timeout=timeout, env=env,
                              check=False)
        current: tuple[int, int] | None = None
        for line in proc.stdout.splitlines():
            row = json.loads(line)
            if "session" in row:  # onnxruntime refuses the model itself: every size fails
                for size in todo:
                    done[size] = Run(error=f"session: {row['session']}")
            elif "start" in row:
                current = (row["start"][0], row["start"][1])
            elif current is not None:
                if "error" in row:
                    done[current] = Run(error=row["error"])
                else:
                    done[current] = Run(shapes=tuple(tuple(s) for s in row["shapes"]))
                current = None
        if proc.returncode != 0:
            if proc.returncode < 0:
                why = f"killed by {signal.Signals(-proc.returncode).name}"
            else:
                tail = proc.stderr.strip().splitlines()
                why = f"exit status {proc.returncode}: {tail[-1] if tail else ''}"[:300]
            if current is None:  # the child died before running any size
                raise RuntimeError(f"onnxruntime child failed on {path}: {why}")
            done[current] = Run(error=why)
        todo = [s for s in todo if s not in done]
    return {tuple(s): done[tuple(s)] for s in sizes}  # type: ignore[misc]


def eager_shapes(name: str, sizes: list[tuple[int, int]]) -> dict[tuple[int, int], Run]:
    """Run the PyTorch module itself (in this process, no grad) at every ``(H, W)``."""
    import torch

    model = build(name)
    out: dict[tuple[int, int], Run] = {}
    gen = torch.Generator().manual_seed(0)
    for h, w in sizes:
        x = torch.randn(1, CHANNELS, h, w, generator=gen)
        try:
            with torch.no_grad():
                ys = model(x)
            out[(h, w)] = Run(shapes=tuple(tuple(y.shape) for y in ys))
        except Exception as exc:  # PyTorch raises RuntimeError, ValueError, ...
            out[(h, w)] = Run(error=one_line(exc))
    return out


# --------------------------------------------------------------------------- the review's claims

@dataclass
class Reviewed:
    """``symconv review`` of one exported model through the library (symbolic, in process).

    ``error`` is the one-line refusal (a :class:`~symconv.errors.SymconvError`), ``crash`` the
    last line of anything else it raised (a bug: the review must refuse in one line)."""

    network: Any = None
    review: Any = None
    error: str | None = None
    crash: str | None = None

    @property
    def ok(self) -> bool:
        return self.review is not None

    @property
    def message(self) -> str:
        """What went wrong, in one line ('' when the review ran)."""
        if self.error is not None:
            return self.error
        return f"crash: {self.crash}" if self.crash is not None else ""

    def tensor(self, name: str) -> Any:
        """The review's row for tensor ``name``, or ``None``."""
        return next((t for t in self.review.tensors if t.name == name), None)

    def valid_sets(self) -> list[str]:
        """The valid-size set per axis, as the review prints it."""
        return ["not computed" if v is None else v.describe() for v in self.review.validity]

    def not_analysed(self) -> list[str]:
        """What the review says it left out (``Review.not_analysed``; older versions said it
        in notes starting ``not analysed:``)."""
        left = getattr(self.review, "not_analysed", None)
        if left is not None:
            return list(left)
        prefix = "not analysed: "
        return [n[len(prefix):] for n in self.review.notes if n.startswith(prefix)]


def review_model(path: str | Path) -> Reviewed:
    """Import and review ``path`` with the library API (``load_onnx`` + ``review(...,
    symbolic=True)``), never raising."""
    import traceback

    from symconv.errors import SymconvError
    from symconv.network.onnx_import import load_onnx
    from symconv.review import review

    try:
        net = load_onnx(path)
        return Reviewed(network=net, review=review(net, symbolic=True))
    except SymconvError as exc:
        return Reviewed(error=str(exc))
    except Exception as exc:  # a crash of the review is a finding, recorded not raised
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(tb.filename).name}:{tb.lineno}"
        return Reviewed(crash=f"{one_line(exc)} (at {where})")


@dataclass(frozen=True)
class Claim:
    """What the review says about one input size: valid or not (and the first layer that
    rejects it), and each output's ``(channels, H, W)`` (``None``: the review gives none)."""

    valid: bool
    reason: str | None
    outputs: tuple[tuple[int, ...] | None, ...]
    formula_outputs: tuple[tuple[int, ...] | None, ...]


def claims(rev: Reviewed, outputs: list[str] | tuple[str, ...],
           sizes: list[tuple[int, int]]) -> dict[tuple[int, int], Claim]:
    """The review's verdict at every size: ``valid`` from its exact valid sets (the symbolic
    review), ``reason`` and output sizes from its concrete evaluation at that size (what
    ``symconv review --input HxW`` computes), and the output sizes its formulas give."""
    import sympy

    from symconv.review.propagate import evaluate

    net, r = rev.network, rev.review
    rows = [rev.tensor(o) for o in outputs]
    symbols = {s: sympy.Symbol(s) for s in net.symbols()}
    parsed = [None if t is None else [sympy.sympify(f, locals=symbols) for f in t.formula]
              for t in rows]
    out: dict[tuple[int, int], Claim] = {}
    for size in sizes:
        valid = all(v is not None and n in v for n, v in zip(size, r.validity, strict=True))
        values, first = evaluate(net, size)
        env = {symbols[s]: sympy.Integer(n) for s, n in
               zip(net.inputs[0].size, size, strict=True) if isinstance(s, str)}
        got: list[tuple[int, ...] | None] = []
        formula: list[tuple[int, ...] | None] = []
        for t, exprs in zip(rows, parsed, strict=True):
            if t is None or exprs is None:
                got.append(None)
                formula.append(None)
                continue
            v = values.get(t.name)
            got.append(None if v is None else (t.channels, *v))
            formula.append((t.channels, *(int(e.subs(env)) for e in exprs)))
        out[size] = Claim(valid, None if first is None else first.message, tuple(got),
                          tuple(formula))
    return out


def unanalysed_outputs(rev: Reviewed, outputs: list[str] | tuple[str, ...]) -> list[str]:
    """What keeps the review from analysing every output: whatever it says it left out
    (``not_analysed``: a reshape that moves spatial positions, a branch it cannot follow, ...),
    naming each model output that is not one of its tensors.  Empty when the whole model is
    analysed.  An output that is not one of its tensors while nothing is left out is one the
    review says has the same shape at every input size (a classifier head after a global
    pooling, noted): :func:`constant_outputs`, checked against the runtimes."""
    left = rev.not_analysed()
    if not left:
        return []
    shown = "; ".join(left)
    missing = [f"output {name!r} is not analysed (not analysed: {shown})"
               for name in outputs if rev.tensor(name) is None]
    return missing or [f"not analysed: {shown}"]


def constant_outputs(rev: Reviewed, outputs: list[str] | tuple[str, ...]) -> list[str]:
    """The outputs the review claims have one shape for every input size: not among its
    tensors although it left nothing out (it notes a head computed only from tensors of one
    size, e.g. the logits after a global pooling)."""
    if rev.not_analysed():
        return []
    return [name for name in outputs if rev.tensor(name) is None]


#: Refusals the review makes on purpose although the runtimes run: an ``add`` whose input is 1
#: only at some sizes, which the runtimes broadcast (the message says so; SC006).  Where a
#: runtime does run such a size the review's claim is confirmed, not contradicted (the rule of
#: ``_frameworks.DELIBERATE_REFUSALS``); where it fails, that is a disagreement.
DELIBERATE_REFUSALS = ("the runtime broadcasts 1 against",)


def deliberate(reason: str | None) -> bool:
    """Whether the review's reason for refusing a size is a deliberate refusal."""
    return reason is not None and any(d in reason for d in DELIBERATE_REFUSALS)


def deliberate_sizes(claim: dict[tuple[int, int], Claim], runs: dict[Any, Run]) -> list[str]:
    """The sizes the review refuses deliberately and the runtime runs (see
    :data:`DELIBERATE_REFUSALS`), with the review's reason."""
    return [f"{h}x{w}: {c.reason}" for (h, w), c in claim.items()
            if not c.valid and runs[(h, w)].ok and deliberate(c.reason)]


def _shape(s: tuple[int, ...]) -> str:
    return "x".join(map(str, s))


def disagreements(claim: dict[tuple[int, int], Claim], runtimes: dict[str, dict[Any, Run]],
                  outputs: list[str] | tuple[str, ...],
                  constant: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Every size where the review and a runtime disagree: the verdict (valid / runs; a
    :func:`deliberate` refusal of a size the runtime runs is not a disagreement), or a
    claimed output size (concrete value or formula) that is not the runtime's ``(C, H, W)``;
    and sizes where the review's valid set and its own concrete evaluation disagree.  The
    outputs in ``constant`` (:func:`constant_outputs`) must have one shape at every size
    where the review and the runtime accept the input."""
    found = []
    for rt, runs in runtimes.items():
        for i, name in enumerate(outputs):
            if name not in constant:
                continue
            seen: dict[tuple[int, ...], tuple[int, int]] = {}
            for size, c in claim.items():
                run = runs[size]
                if c.valid and run.ok and run.shapes is not None:
                    seen.setdefault(run.shapes[i], size)
            if len(seen) > 1:
                shown = ", ".join(f"{_shape(s)} at {h}x{w}" for s, (h, w) in seen.items())
                found.append(f"output {name}: the review says its shape does not depend on "
                             f"the input size; {rt} gives {shown}")
    for size, c in claim.items():
        at = f"{size[0]}x{size[1]}"
        if c.valid != (c.reason is None):
            found.append(f"{at}: the review's valid set says {'valid' if c.valid else 'invalid'}"
                         f" but its evaluation at that size says {c.reason or 'valid'}")
        for rt, runs in runtimes.items():
            run = runs[size]
            if not c.valid and run.ok and deliberate(c.reason):
                continue  # the review says the runtime broadcasts here: it does
            if c.valid != run.ok:
                review_says = "valid" if c.valid else f"invalid ({c.reason})"
                found.append(f"{at}: review {review_says}; {rt} {run}")
                continue
            if not (c.valid and run.ok):
                continue
            assert run.shapes is not None
            for name, shape, value, formula in zip(outputs, run.shapes, c.outputs,
                                                   c.formula_outputs, strict=True):
                if len(shape) <= 2:
                    continue  # no spatial axes: at most the constant check above
                want = shape[1:]
                for what, claimed in (("size", value), ("formula", formula)):
                    if claimed is None:
                        continue  # not analysed: unanalysed_outputs reports it
                    ok = claimed[1:] == want[1:] and claimed[0] in (None, want[0])
                    if not ok:
                        shown = _shape(tuple("?" if x is None else x for x in claimed))
                        found.append(f"{at}: output {name}: review {what} {shown}; "
                                     f"{rt} {_shape(want)}")
    return found


# --------------------------------------------------------------------------- the three checks


def first_failures(name: str, folder: str | Path,
                   sizes: list[tuple[int, int]]) -> dict[str, str | None]:
    """The first message of each check of ``tests/test_zoo.py`` for model ``name`` at
    ``sizes`` (``None``: the check passes): ``import`` (a), ``outputs`` (b), ``runtimes``
    (c).  A model that fails (a) fails (b) and (c) with the same message.  What the xfail
    marks of ``tests/test_zoo.py`` quote (``zoo_survey.py --marks`` prints them)."""
    exp = export(name, Path(folder) / f"{name}.onnx")
    if not exp.ok:
        msg: str | None = f"torch.onnx.export refuses: {exp.error}"
        return {"import": msg, "outputs": msg, "runtimes": msg}
    rev = review_model(exp.path)
    if not rev.ok:
        msg = rev.error if rev.crash is None else (
            f"the review crashed (not a one-line error): {rev.crash}")
        return {"import": msg, "outputs": msg, "runtimes": msg}
    missing = unanalysed_outputs(rev, exp.outputs)
    runs = {"onnxruntime": ort_shapes(exp.path, sizes), "eager": eager_shapes(name, sizes)}
    found = disagreements(claims(rev, exp.outputs, sizes), runs, exp.outputs,
                          constant_outputs(rev, exp.outputs))
    return {"import": None, "outputs": missing[0] if missing else None,
            "runtimes": found[0] if found else None}
