"""``symconv.network.from_torch`` judged by PyTorch itself: modules are traced, reviewed, and the
review's valid sets and output sizes are compared with running the module at every size tried
(hand-written U-Nets, an attention block, size checks and branches, and the model zoo of
tests/zoo.py: torchvision and segmentation-models-pytorch, including the models the ONNX
exporter refuses); where the ONNX path works too, both give the same valid sets."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import zoo
from click.testing import CliRunner

from symconv.cli import cli
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.review import review
from symconv.review.propagate import evaluate

from conftest import requires

pytestmark = pytest.mark.torch

MODELS = '''
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """Three levels; decoder by ConvTranspose2d(2, 2) (valid: H = 0 mod 8), or with
    interp=True an F.interpolate to the skip's size (valid: H >= 8)."""

    def __init__(self, c=4, interp=False):
        super().__init__()
        self.enc = nn.ModuleList([block(3, c), block(c, 2 * c), block(2 * c, 4 * c)])
        self.pool = nn.MaxPool2d(2)
        self.mid = block(4 * c, 8 * c)
        self.up = nn.ModuleList([nn.ConvTranspose2d(8 * c, 4 * c, 2, 2),
                                 nn.ConvTranspose2d(4 * c, 2 * c, 2, 2),
                                 nn.ConvTranspose2d(2 * c, c, 2, 2)])
        self.dec = nn.ModuleList([block(8 * c, 4 * c), block(4 * c, 2 * c), block(2 * c, c)])
        self.head = nn.Conv2d(c, 1, 1)
        self.interp = interp

    def forward(self, x):
        skips = []
        for e in self.enc:
            x = e(x)
            skips.append(x)
            x = self.pool(x)
        x = self.mid(x)
        for u, d, s in zip(self.up, self.dec, reversed(skips)):
            x = u(x)
            if self.interp:
                x = F.interpolate(x, size=s.shape[2:], mode="bilinear")
            x = d(torch.cat([x, s], 1))
        return self.head(x)


class UpSized(nn.Module):
    """Floor-mode pools and ConvTranspose2d(3, s=2, p=1) called with output_size=skip.shape:
    an odd skip size would need output_padding 2 >= stride, which PyTorch refuses; the
    milesial-style variant pads x1 to x2's size instead (F.pad by d // 2, d - d // 2)."""

    def __init__(self, pad=False, c=4):
        super().__init__()
        self.enc = nn.ModuleList([block(3, c), block(c, 2 * c)])
        self.pool = nn.MaxPool2d(2)
        self.mid = block(2 * c, 4 * c)
        self.up = nn.ModuleList([nn.ConvTranspose2d(4 * c, 2 * c, 3, 2, 1),
                                 nn.ConvTranspose2d(2 * c, c, 3, 2, 1)])
        self.dec = nn.ModuleList([block(4 * c, 2 * c), block(2 * c, c)])
        self.pad = pad

    def forward(self, x):
        skips = []
        for e in self.enc:
            x = e(x)
            skips.append(x)
            x = self.pool(x)
        x = self.mid(x)
        for u, d, s in zip(self.up, self.dec, reversed(skips)):
            if self.pad:
                x = u(x)
                dy = s.size()[2] - x.size()[2]
                dx = s.size()[3] - x.size()[3]
                x = F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
            else:
                x = u(x, output_size=s.shape)
            x = d(torch.cat([s, x], dim=1))
        return x


class SameConv(nn.Conv2d):
    """efficientnet-pytorch's Conv2dDynamicSamePadding: a Conv2d subclass whose forward pads
    "same" itself from the size it is given (math.ceil of a true division, max(..., 0))."""

    def forward(self, x):
        ih, iw = x.size()[-2:]
        kh, kw = self.weight.size()[-2:]
        sh, sw = self.stride
        oh, ow = math.ceil(ih / sh), math.ceil(iw / sw)
        pad_h = max((oh - 1) * sh + (kh - 1) * self.dilation[0] + 1 - ih, 0)
        pad_w = max((ow - 1) * sw + (kw - 1) * self.dilation[1] + 1 - iw, 0)
        if pad_h > 0 or pad_w > 0:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class SameNet(nn.Module):
    """Two strided "same" convolutions and a x4 nearest upsampling joined to the input."""

    def __init__(self):
        super().__init__()
        self.a = SameConv(3, 4, 3, stride=2)
        self.b = SameConv(4, 3, 5, stride=2)

    def forward(self, x):
        return torch.cat([x, F.interpolate(self.b(self.a(x)), scale_factor=4)], 1)


class Pyramid(nn.Module):
    """PAN's feature pyramid attention in small: resizes to fractions of the input's size
    (size=(h // 4, w // 4), then (h // 2, w // 2), then (h, w)), and a position-attention
    block whose result is reshaped straight back to (b, c, h, w) from (b, h*w, c)."""

    def __init__(self, c=4):
        super().__init__()
        self.d1 = nn.Conv2d(3, c, 3, stride=2, padding=1)
        self.d2 = nn.Conv2d(c, c, 3, stride=2, padding=1)
        self.d3 = nn.Conv2d(c, c, 3, stride=2, padding=1)
        self.q = nn.Conv2d(3, c, 1)
        self.v = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        b, _, h, w = x.shape
        x1 = self.d1(x)
        x2 = self.d2(x1)
        x3 = F.interpolate(self.d3(x2), size=(h // 4, w // 4), mode="bilinear")
        y = F.interpolate(x2 + x3, size=(h // 2, w // 2), mode="bilinear") + x1
        y = F.interpolate(y, size=(h, w), mode="bilinear")
        q = self.q(x).flatten(2)
        att = torch.softmax(q.transpose(1, 2) @ q, -1)
        v = att @ self.v(x).flatten(2).transpose(1, 2)
        return torch.cat([y, v.reshape(b, 3, h, w)], 1)


class ValidUNet(nn.Module):
    """The original U-Net's layout: unpadded convs shrink every level, so the skip is
    center-cropped to the decoder's size (skip[..., dy:dy + h, dx:dx + w]); then the output is
    cropped to a quarter-size side input with out[..., :h, :w]."""

    def __init__(self, c=4):
        super().__init__()
        self.e = nn.Conv2d(3, c, 3)
        self.pool = nn.MaxPool2d(2)
        self.m = nn.Conv2d(c, c, 3)
        self.up = nn.ConvTranspose2d(c, c, 2, stride=2)
        self.d = nn.Conv2d(2 * c, c, 3)

    def forward(self, x):
        s = self.e(x)
        y = self.up(self.m(self.pool(s)))
        h, w = y.shape[2:]
        dy, dx = (s.size(2) - h) // 2, (s.size(3) - w) // 2
        y = self.d(torch.cat([s[:, :, dy:dy + h, dx:dx + w], y], 1))
        q = F.max_pool2d(x, 4)
        return y[:, :, :q.shape[2], :q.shape[3]]


class Layers1d(nn.Module):
    """Conv1d 'same' with reflect padding, a ceil-mode max pool, a transposed conv with
    output_padding, a 1.5x linear upsampling, an avg pool without the padding in its count,
    a replicate F.pad, a constant slice."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 5, padding="same", padding_mode="reflect")
        self.pool = nn.MaxPool1d(3, 2, ceil_mode=True)
        self.up = nn.ConvTranspose1d(4, 4, 3, 2, 1, output_padding=1)
        self.resize = nn.Upsample(scale_factor=1.5, mode="linear")
        self.avg = nn.AvgPool1d(3, 2, 1, count_include_pad=False)

    def forward(self, x):
        x = self.avg(self.resize(self.up(self.pool(self.conv(x)))))
        return F.pad(x, (1, 2), mode="replicate")[..., 1:-1]


class Layers2d(nn.Module):
    """Circular padding, PixelShuffle/PixelUnshuffle, a dilated 'same' conv with a
    rectangular kernel, MaxPool2d with indices into MaxUnpool2d, an avg pool with
    divisor_override and ceil_mode, an adaptive max pool that keeps one axis, a resize to a
    fixed size, nearest-exact and bicubic resizes."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, stride=2, padding=1, padding_mode="circular")
        self.shuffle = nn.PixelShuffle(2)
        self.b = nn.Conv2d(2, 4, (3, 5), padding="same", dilation=2)
        self.pool = nn.MaxPool2d(2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2)
        self.avg = nn.AvgPool2d(3, stride=2, ceil_mode=True, divisor_override=2)
        self.unshuffle = nn.PixelUnshuffle(2)

    def forward(self, x):
        y = self.b(self.shuffle(self.a(x)))
        p, i = self.pool(y)
        y = self.avg(self.unpool(p, i))
        y = F.adaptive_max_pool2d(y, (None, 5))
        z = F.interpolate(y, size=(12, 10), mode="nearest-exact")
        z = F.interpolate(z, scale_factor=(0.5, 2), mode="bicubic", align_corners=True)
        return self.unshuffle(z)


class Layers3d(nn.Module):
    """Conv3d with per-axis stride and padding, ConvTranspose3d, an adaptive avg pool with
    a kept axis, trilinear resizing like the input."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 4, 3, stride=(1, 2, 2), padding=(1, 0, 1))
        self.up = nn.ConvTranspose3d(4, 2, 2, stride=2)
        self.pool = nn.AdaptiveAvgPool3d((2, None, 3))

    def forward(self, x):
        y = self.up(self.conv(x))
        return torch.cat([F.interpolate(self.pool(y), size=x.shape[2:], mode="trilinear"),
                          x], 1)


class Squeezed(nn.Module):
    """A gate through views that drop spatial axes of size 1: right only where the pooled
    tensor is 1 x 1 (64 <= H, W <= 127 here), which becomes a guard the review checks."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.c(x)
        g = F.max_pool2d(y, 64)
        b = y.shape[0]
        return y * torch.sigmoid(g.view(b, -1)).view(b, 4, 1, 1)


class Quarter(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        h, w = x.shape[2:]
        return F.interpolate(self.c(x), size=(h // 4, w // 4))


class Attention(nn.Module):
    """Strided conv, a Linear squeeze-excitation gate, self-attention over the flattened
    positions (layout given back with reshape(b, c, h, w)), a residual add, x2 upsampling."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        x = self.conv(x)
        g = torch.sigmoid(self.fc(x.mean((2, 3)))).view(x.shape[0], -1, 1, 1)
        y = x * g
        b, c, h, w = y.shape
        a = y.flatten(2).transpose(1, 2)
        att = torch.softmax(a @ a.transpose(1, 2), -1) @ a
        y = att.transpose(1, 2).reshape(b, c, h, w) + y
        return F.interpolate(y, scale_factor=2)


class Checked(nn.Module):
    """Raises unless W is a multiple of 16 (its own check), then a stride-2 conv."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2)

    def forward(self, x):
        if x.shape[-1] % 16 != 0:
            raise ValueError("W must be a multiple of 16")
        return self.conv(x)


class Branchy(nn.Module):
    """Takes another path below 40 (that path is not analysed)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        if x.shape[2] < 40:
            return self.conv(x)
        return F.max_pool2d(self.conv(x), 2)


class Rolled(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return torch.roll(self.conv(x), 1, dims=2)


class Untraceable(nn.Module):
    """A size computed with float division: the tag is lost, the second trace catches it."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return F.interpolate(y, size=(int(y.shape[2] / 2), int(y.shape[3] / 2)))
'''


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Any:
    requires("torch")
    import importlib.util

    path = tmp_path_factory.mktemp("models") / "handnets.py"
    path.write_text(textwrap.dedent(MODELS))
    spec = importlib.util.spec_from_file_location("handnets", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.PATH = path
    return mod


def agree(model: Any, sizes: list[tuple[int, int]], channels: int = 3) -> tuple[Any, Any]:
    """Trace and review ``model``; assert PyTorch runs exactly at the review's valid sizes and
    gives the review's output sizes there (where PyTorch runs only by broadcasting a tensor
    that is 1 at that size alone, the review's SC006 must say so: excluded on purpose)."""
    import torch

    from symconv.network.torch_import import from_torch

    torch.manual_seed(0)
    model.eval()
    net = from_torch(model)
    r = review(net, symbolic=True)
    for size in sizes:
        claimed = all(v is None or n in v for v, n in zip(r.validity, size, strict=True))
        try:
            with torch.no_grad():
                out = model(torch.randn(1, channels, *size))
            ran = True
        except Exception:  # any rejection
            ran = False
        if ran and not claimed:  # deliberate: a size-1 tensor broadcast at this size only
            at = review(net, size)
            if any(f.code == "SC006" for f in at.findings):
                continue
        assert ran == claimed, (type(model).__name__, size, ran, [
            v.describe() if v else None for v in r.validity])
        if ran:
            vals, _ = evaluate(net, size)
            leaves = zoo_leaves(out)
            spatial = [tuple(t.shape[2:]) for t in leaves if t.dim() == len(size) + 2]
            if spatial:  # a classifier's output has no spatial axes
                assert spatial[0] == vals[net.outputs[0]], (size, spatial, net.outputs)
    return net, r


def zoo_leaves(out: Any) -> list[Any]:
    if isinstance(out, dict):
        return [v for x in out.values() for v in zoo_leaves(x)]
    if isinstance(out, list | tuple):
        return [v for x in out for v in zoo_leaves(x)]
    return [out]


SQUARE = [(n, n) for n in range(1, 50)] + [(8, 24), (24, 8), (16, 40), (17, 32), (32, 33)]


def test_unet_with_transposed_convs(models: Any) -> None:
    net, r = agree(models.UNet(), SQUARE)
    assert [v.describe() for v in r.validity] == ["H = 0 mod 8", "W = 0 mod 8"]
    names = [n.name for n in net.nodes]
    assert names[:3] == ["enc.0.0", "pool", "enc.1.0"] and "pool#2" in names
    assert net.node("cat").inputs == ("up.0", "enc.2.0")
    assert r.complete


def test_unet_resizing_like_its_skips(models: Any) -> None:
    net, r = agree(models.UNet(interp=True), SQUARE)
    assert [v.describe() for v in r.validity] == ["H >= 8", "W >= 8"]
    like = net.node("interpolate")
    assert like.size_of == "enc.2.0" and like.op == "resize"


def test_transposed_conv_given_the_skip_size_at_run_time(models: Any) -> None:
    net, r = agree(models.UpSized(), SQUARE)
    up = net.node("up.0")
    assert up.fit == "output_size" and up.size_of == "enc.1.0" and up.op == "conv-transpose"
    # an odd skip (H mod 4 != 0 at one of the two levels) needs output_padding 2
    assert [v.describe() for v in r.validity] == ["H = 0 mod 4", "W = 0 mod 4"]
    bad = review(net, (6, 8))
    assert any(f.code == "SC001" and "output_size" in f.message for f in bad.findings)


def test_pad_to_the_skip_size(models: Any) -> None:
    net, r = agree(models.UpSized(pad=True), SQUARE)
    pad = net.node("pad")
    assert pad.fit == "pad:half" and pad.size_of == "enc.1.0"
    assert r.complete and [v.describe() for v in r.validity] == ["H >= 4", "W >= 4"]


def test_a_conv_subclass_that_pads_itself_is_traced_inside(models: Any) -> None:
    """Mapping it from its attributes (padding 0) would be wrong; its own pads are computed
    with math.ceil(ih / sh) and max(..., 0): guards on inner tensors, checked by the plan."""
    net, r = agree(models.SameNet(), SQUARE)
    assert [v.describe() for v in r.validity] == ["H = 0 mod 4", "W = 0 mod 4"]
    # the pads fold into the convolutions as ONNX SAME_UPPER (what they compute, clamp included)
    assert [n.name for n in net.nodes] == ["a.conv2d", "b.conv2d", "interpolate", "cat"]
    conv = net.node("a.conv2d").layer
    assert str(conv.padding) == "same_upper" and conv.convention == "onnx"
    assert r.complete and not net.guards, (r.not_analysed, net.guards)


def test_resizes_to_fractions_of_a_size_and_a_scrambling_reshape(models: Any) -> None:
    net, r = agree(models.Pyramid(), [*SQUARE, (64, 64), (66, 70), (100, 36)])
    assert [v.describe() for v in r.validity] == ["H = 0 mod 4", "W = 0 mod 4"]
    assert net.node("interpolate").like_scale == ((1, 4), (1, 4))
    assert r.complete


def test_crops_to_another_tensors_size(models: Any) -> None:
    net, r = agree(models.ValidUNet(), [*SQUARE, (64, 64), (70, 66)])
    kinds = {n.fit for n in net.nodes if n.fit}
    assert kinds == {"crop:center", "crop:start"}, kinds
    # the side crop lies inside only from some size on: that is a branch of the traced code
    assert r.validity[0] is not None and r.validity[0].describe().startswith("H >= ")


def test_every_layer_kind_in_1d_2d_and_3d(models: Any) -> None:
    """Each mapped module and function with non-default parameters, checked by running it."""
    net1, _ = agree(models.Layers1d(), [(n,) for n in range(1, 40)])
    assert [n.op for n in net1.nodes] == ["conv", "max-pool", "conv-transpose", "resize",
                                          "avg-pool", "conv", "slice"]
    assert net1.node("conv").layer.padding_mode == "reflect"
    sizes2 = [(h, w) for h in (1, 4, 8, 12, 15, 16, 24, 31, 32) for w in (4, 8, 9, 16, 20)]
    net2, _ = agree(models.Layers2d(), sizes2)
    assert [n.op for n in net2.nodes][:5] == ["conv", "pixel-shuffle", "conv", "max-pool",
                                              "max-unpool"]
    sizes3 = [(d, h, w) for d in (1, 2, 5) for h in (1, 3, 6, 9) for w in (2, 5, 8)]
    net3, r3 = agree(models.Layers3d(), sizes3)
    assert net3.node("interpolate").size_of == "x" and r3.complete


def test_views_that_drop_size_1_axes_hold_only_where_they_are_1(models: Any) -> None:
    sizes = [(n, n) for n in (1, 32, 63, 64, 65, 100, 127, 128, 130)] + [(64, 130)]
    net, r = agree(models.Squeezed(), sizes)
    v = r.validity[0]
    assert v is not None and v.minimum == 64 and 127 in v and 128 not in v
    assert net.guards


def test_a_resize_to_a_fraction_of_a_size_refuses_size_0(models: Any) -> None:
    """F.interpolate(size=(h // 4, w // 4)) raises in PyTorch where h // 4 is 0."""
    net, r = agree(models.Quarter(), [(n, n) for n in range(1, 12)] + [(3, 8), (8, 3)])
    assert [v.describe() for v in r.validity] == ["H >= 4", "W >= 4"]
    assert any(f.code == "SC001" for f in review(net, (3, 8)).findings)


def test_attention_gate_and_restored_layout(models: Any) -> None:
    net, r = agree(models.Attention(), SQUARE)
    assert [n.op for n in net.nodes] == ["conv", "resize"]
    assert r.complete and any("does not depend on the input size" in n for n in r.notes)


def test_a_size_check_of_the_module_is_part_of_the_set(models: Any) -> None:
    net, r = agree(models.Checked(), [*SQUARE, (5, 48), (5, 47)])
    assert [v.describe() for v in r.validity] == ["H >= 3", "W = 0 mod 16"]
    assert net.guards and net.guards[0].other == "raises"
    assert r.complete
    assert any("branches on the input size" in n and "elsewhere the module raises" in n
               for n in r.notes)


def test_a_branch_that_runs_both_ways_is_reported_partial(models: Any) -> None:
    from symconv.network.torch_import import from_torch

    net = from_torch(models.Branchy())
    r = review(net, symbolic=True)
    assert not r.complete
    assert any(f.code == "SC302" and "other branch" in f.message for f in r.findings)
    assert r.validity[0] is not None and 40 in r.validity[0] and 39 not in r.validity[0]


def test_unsupported_op_is_one_line_with_module_path_and_line(models: Any) -> None:
    from symconv.network.torch_import import from_torch

    with pytest.raises(UnsupportedError) as info:
        from_torch(models.Rolled())
    msg = str(info.value)
    assert "\n" not in msg and "roll is not supported" in msg and "handnets.py:" in msg


def test_sizes_computed_out_of_sight_are_refused(models: Any) -> None:
    from symconv.network.torch_import import from_torch

    with pytest.raises(UnsupportedError, match="differ at input"):
        from_torch(models.Untraceable())


def test_not_a_module() -> None:
    requires("torch")
    from symconv.network.torch_import import from_torch

    with pytest.raises(InvalidSpecError, match=r"must be a torch\.nn\.Module"):
        from_torch(object())


# --------------------------------------------------------------------------- the CLI


def test_cli_reviews_a_class_in_a_file(models: Any) -> None:
    res = CliRunner().invoke(cli, ["review", f"{models.PATH}:UNet", "--kwargs", '{"c": 2}'])
    assert res.exit_code == 0, res.output
    assert "H = 0 mod 8" in res.output and "enc.0.0" in res.output
    # findings name the line of the module's code that made the layer
    line = next(i for i, t in enumerate(MODELS.splitlines(), 1) if "torch.cat([x, s], 1)" in t)
    assert f"handnets.py:{line}]" in res.output


def test_json_findings_carry_their_source(models: Any) -> None:
    import json

    res = CliRunner().invoke(cli, ["review", f"{models.PATH}:UNet", "--json"])
    data = json.loads(res.output)
    found = data["findings"]
    assert found and all(f["source"].split(":")[0].endswith("handnets.py") for f in found
                         if f["node"] is not None)
    jsonschema = requires("jsonschema")
    schema = Path(__file__).resolve().parents[1] / "symconv/review/schema/review.schema.json"
    jsonschema.validate(data, json.loads(schema.read_text()))


@pytest.mark.parametrize("args, text", [
    (["{path}:UNet", "--kwargs", "[1]"], "must be a JSON object"),
    (["{path}:UNet", "--kwargs", "{bad"], "must be a JSON object"),
    (["{path}:Nope"], "has no attribute 'Nope'"),
    (["{path}:UNet", "--kwargs", '{"depth": 2}'], "calling UNet(**kwargs) failed"),
    (["no/such/file.py:UNet"], "must exist"),
    (["{path}:Rolled"], "roll is not supported"),
])
def test_cli_refusals_are_one_line_exit_2(models: Any, args: list[str], text: str) -> None:
    args = [a.replace("{path}", str(models.PATH)) for a in args]
    res = CliRunner().invoke(cli, ["review", *args])
    assert res.exit_code == 2, res.output
    assert text in res.output and len(res.output.strip().splitlines()) == 1


# --------------------------------------------------------------------------- the zoo


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(zoo.MODELS))
def test_zoo_review_of_the_module_agrees_with_running_it(name: str) -> None:
    requires("torch")
    import torch

    torch.manual_seed(0)
    model = zoo.MODELS[name].factory().eval()
    sizes = [(n, n) for n in range(1, 41, 3)] + [(64, 64), (96, 64), (64, 70)]
    agree(model, sizes)


#: More segmentation-models-pytorch families (position attention, pyramid attention with
#: resizes to fractions of the input, Segformer's resize to a quarter of the input, UPerNet)
#: on two encoders (efficientnet's "same" padding is a fixed ZeroPad2d there).
SMP_MORE = [(arch, enc) for arch in ("MAnet", "PAN", "Segformer", "UPerNet", "DeepLabV3")
            for enc in ("resnet18", "efficientnet-b0")]


@pytest.mark.slow
@pytest.mark.parametrize("arch, encoder", SMP_MORE)
def test_more_smp_families_agree_with_running_them(arch: str, encoder: str) -> None:
    requires("torch")
    import torch

    zoo.import_torchvision()
    import segmentation_models_pytorch as smp

    torch.manual_seed(0)
    model = getattr(smp, arch)(encoder_name=encoder, encoder_weights=None, classes=2).eval()
    sizes = [(n, n) for n in (1, 8, 16, 31, 32, 33, 64, 96, 128, 136, 160)] + [(128, 160)]
    agree(model, sizes)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tf_efficientnet_b0", "dla34", "hrnet_w18_small",
                                  "resnest14d", "pvt_v2_b0"])
def test_timm_models_agree_with_running_them(name: str) -> None:
    """timm's Conv2dSame (TensorFlow "same" padding computed at run time), DLA's tree
    aggregation, HRNet's parallel resolutions with their resizes and strided fusions,
    ResNeSt's split attention (views of a pooled gate), PVTv2's spatial-reduction attention
    (scaled_dot_product_attention, tokens reshaped back to the map)."""
    requires("torch")
    import torch

    zoo.import_torchvision()
    import timm

    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False, num_classes=3).eval()
    net, _ = agree(model, [(n, n) for n in (1, 7, 16, 31, 32, 33, 61, 64, 65)] + [(64, 93)])
    if name == "tf_efficientnet_b0":
        same = [n for n in net.nodes if n.layer is not None and
                str(getattr(n.layer, "padding", "")) == "same_upper"]
        assert same, "timm's run-time same padding folds into SAME_UPPER layers"


#: Zoo models whose ONNX export works (the rest are refused by torch.onnx.export: issue 13).
ONNX_OK = sorted(n for n in zoo.MODELS if n not in ("vgg11", "smp_pspnet"))


@pytest.mark.slow
@pytest.mark.onnx
@pytest.mark.parametrize("name", ONNX_OK)
def test_zoo_module_and_onnx_paths_give_the_same_valid_sets(name: str, tmp_path: Path) -> None:
    requires("torch")
    from symconv.network.torch_import import from_torch

    exported = zoo.export(name, tmp_path / f"{name}.onnx")
    assert exported.ok, exported
    via_onnx = zoo.review_model(tmp_path / f"{name}.onnx")
    assert via_onnx.ok, via_onnx.message
    module = zoo.build(name)  # smp's own size check off, as in the export
    r = review(from_torch(module), symbolic=True)
    assert [v.describe() if v else None for v in r.validity] == via_onnx.valid_sets()


def test_fitted_nodes_are_checked_when_built() -> None:
    """Node.fit only with like, on a conv-transpose with its spec or a pad without one."""
    from symconv.network.model import Input, Node, build
    from symconv.spec import Convention, ConvTranspose

    x = (Input("x", ("H",)),)
    up = ConvTranspose(kernel=2, stride=2)
    with pytest.raises(InvalidSpecError, match="must only be given with like"):
        build("n", Convention.TORCH, x, (Node("u", "pad", None, ("x",), fit="pad:half"),))
    with pytest.raises(InvalidSpecError, match="must be a pad without a layer spec"):
        build("n", Convention.TORCH, x, (Node("u", "conv-transpose", up, ("x", "x"),
                                              size_of="x", fit="pad:half"),))
    with pytest.raises(InvalidSpecError, match="must be one of"):
        build("n", Convention.TORCH, x, (Node("u", "pad", None, ("x", "x"), size_of="x",
                                              fit="pad:middle"),))
    net = build("n", Convention.TORCH, x, (Node("u", "conv-transpose", up, ("x", "x"),
                                                size_of="x", fit="output_size"),))
    assert net.node("u").fit == "output_size"
