"""PyTorch models whose accepted input sizes are compared between ``torch.export`` (dynamic
``H``/``W``) and symconv: :data:`MODELS` (name -> :class:`TorchModel`), :func:`build` (the model,
random weights, eval mode, built once per process) and :func:`main_output`.

Four hand-written U-Nets, small (base width 4) so that they run fast at every size, differ only
in how the decoder meets the skip connection, which is what decides the valid sizes:

* :class:`UNet` -- the classic one: ``MaxPool2d(2)``, ``ConvTranspose2d(k=2, s=2)``,
  ``torch.cat``; runs only when ``H`` and ``W`` are multiples of 16.
* :class:`UNetOutputSize` -- the decoder calls ``self.up(x, output_size=skip.shape[2:])``
  with ``ConvTranspose2d(k=3, s=2, p=1)``.  With floor-mode pooling this gains nothing (an odd
  skip size ``m`` needs ``output_padding = 2`` >= the stride, which PyTorch refuses), so the
  encoder pools with ``ceil_mode=True``: the transposed convolution then reaches every skip
  size and the network runs at every ``H``, ``W``.
* :class:`UNetInterpolate` -- stride-2 ``Conv2d(k=3, p=1)`` downsampling and
  ``F.interpolate(x, size=skip.shape[2:], mode="bilinear")`` in the decoder.
* :class:`UNetMilesial` -- the layout of milesial/Pytorch-UNet (``bilinear=False``): ``Up``
  pads ``x1`` to ``x2``'s size with ``F.pad`` before the concatenation.

The others are library models, unchanged except where noted, with ``weights=None`` /
``encoder_weights=None`` (nothing is downloaded): smp's ``Unet``, ``FPN`` and
``DeepLabV3Plus`` on resnet18, torchvision's ``resnet18``, ``vgg11`` and
``deeplabv3_mobilenet_v3_large``.  smp models check at run time that ``H`` and ``W`` are
multiples of the encoder's output stride (``requires_divisible_input_shape``), a Python check
that ``torch.export`` skips (smp tests ``torch.compiler.is_compiling()``); :func:`build` turns it
off so that eager runs the computation that is exported, and :data:`GUARDS` keeps the stride
it would have demanded.

Importing this module imports neither PyTorch nor torchvision (pytest's doctest collection
imports it): the ``nn.Module`` classes are defined on first use, through the module's
``__getattr__`` (``torch_models.UNet`` works as usual) or :func:`build`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Input channels of every model.
CHANNELS = 3
#: Base width (channels of the first level) of the hand-written U-Nets.
WIDTH = 4
#: Output classes of the hand-written U-Nets.
CLASSES = 2

#: The ``nn.Module`` classes this module defines lazily (see the module docstring).
CLASS_NAMES = ("ConvBlock", "UNet", "UNetOutputSize", "UNetInterpolate", "UNetMilesial")

_CLASSES: dict[str, Any] = {}


def _define() -> dict[str, Any]:
    """Define the ``nn.Module`` classes (imports torch); done once."""
    if _CLASSES:
        return _CLASSES
    import torch
    import torch.nn.functional as F
    from torch import nn

    class ConvBlock(nn.Sequential):
        """(Conv 3x3, padding 1 -> BatchNorm -> ReLU) twice; ``stride`` on the first conv."""

        def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
            super().__init__(
                nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    class UNet(nn.Module):
        """The classic 4-level U-Net: ``MaxPool2d(2)`` down, ``ConvTranspose2d(k=2, s=2)`` up,
        skip joined by ``torch.cat``.  Eager runs only for ``H, W`` multiples of 16."""

        def __init__(self, width: int = WIDTH, in_channels: int = CHANNELS,
                     classes: int = CLASSES, levels: int = 4) -> None:
            super().__init__()
            ch = [width * 2 ** i for i in range(levels + 1)]
            self.inc = ConvBlock(in_channels, ch[0])
            self.pool = self.make_pool()
            self.downs = nn.ModuleList(self.make_down(ch[i], ch[i + 1]) for i in range(levels))
            self.ups = nn.ModuleList(self.make_up(ch[i + 1], ch[i])
                                     for i in reversed(range(levels)))
            self.decs = nn.ModuleList(ConvBlock(2 * ch[i], ch[i])
                                      for i in reversed(range(levels)))
            self.head = nn.Conv2d(ch[0], classes, 1)

        def make_pool(self) -> nn.Module:
            return nn.MaxPool2d(2)

        def make_down(self, cin: int, cout: int) -> nn.Module:
            return ConvBlock(cin, cout)

        def make_up(self, cin: int, cout: int) -> nn.Module:
            return nn.ConvTranspose2d(cin, cout, 2, stride=2)

        def down(self, i: int, x: torch.Tensor) -> torch.Tensor:
            return self.downs[i](self.pool(x))

        def up(self, i: int, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
            return self.ups[i](x)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.inc(x)
            skips = []
            for i in range(len(self.downs)):
                skips.append(x)
                x = self.down(i, x)
            for i, dec in enumerate(self.decs):
                skip = skips.pop()
                x = dec(torch.cat([skip, self.up(i, x, skip)], dim=1))
            return self.head(x)

    class UNetOutputSize(UNet):
        """:class:`UNet` whose decoder asks the transposed convolution (k=3, s=2, p=1) for the
        skip's size, ``up(x, output_size=skip.shape[2:])``; the pools use ``ceil_mode=True``
        (with floor-mode pools an odd skip size is out of the transposed convolution's
        reach).  Eager runs at every size."""

        def make_pool(self) -> nn.Module:
            return nn.MaxPool2d(2, ceil_mode=True)

        def make_up(self, cin: int, cout: int) -> nn.Module:
            return nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1)

        def up(self, i: int, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
            return self.ups[i](x, output_size=skip.shape[2:])

    class UNetInterpolate(UNet):
        """:class:`UNet` with stride-2 ``Conv2d(k=3, p=1)`` downsampling (each level's first
        conv) and ``F.interpolate(x, size=skip.shape[2:], mode="bilinear")`` then a 1x1 conv
        in the decoder.  Eager runs at every size."""

        def make_pool(self) -> nn.Module:
            return nn.Identity()

        def make_down(self, cin: int, cout: int) -> nn.Module:
            return ConvBlock(cin, cout, stride=2)

        def make_up(self, cin: int, cout: int) -> nn.Module:
            return nn.Conv2d(cin, cout, 1)

        def up(self, i: int, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
            x = F.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False)
            return self.ups[i](x)

    class MilesialUp(nn.Module):
        """milesial's ``Up`` (``bilinear=False``): transposed conv, pad ``x1`` to ``x2``, cat,
        double conv."""

        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.up = nn.ConvTranspose2d(cin, cin // 2, kernel_size=2, stride=2)
            self.conv = ConvBlock(cin, cout)

        def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
            x1 = self.up(x1)
            diff_y = x2.size()[2] - x1.size()[2]
            diff_x = x2.size()[3] - x1.size()[3]
            x1 = F.pad(x1, [diff_x // 2, diff_x - diff_x // 2,
                            diff_y // 2, diff_y - diff_y // 2])
            return self.conv(torch.cat([x2, x1], dim=1))

    class UNetMilesial(nn.Module):
        """milesial/Pytorch-UNet's ``UNet(n_channels, n_classes, bilinear=False)``, base width
        :data:`WIDTH` instead of 64.  Eager runs for ``H, W >= 16``."""

        def __init__(self, width: int = WIDTH, in_channels: int = CHANNELS,
                     classes: int = CLASSES) -> None:
            super().__init__()
            w = width
            self.inc = ConvBlock(in_channels, w)
            self.down1 = nn.Sequential(nn.MaxPool2d(2), ConvBlock(w, 2 * w))
            self.down2 = nn.Sequential(nn.MaxPool2d(2), ConvBlock(2 * w, 4 * w))
            self.down3 = nn.Sequential(nn.MaxPool2d(2), ConvBlock(4 * w, 8 * w))
            self.down4 = nn.Sequential(nn.MaxPool2d(2), ConvBlock(8 * w, 16 * w))
            self.up1 = MilesialUp(16 * w, 8 * w)
            self.up2 = MilesialUp(8 * w, 4 * w)
            self.up3 = MilesialUp(4 * w, 2 * w)
            self.up4 = MilesialUp(2 * w, w)
            self.outc = nn.Conv2d(w, classes, kernel_size=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x1 = self.inc(x)
            x2 = self.down1(x1)
            x3 = self.down2(x2)
            x4 = self.down3(x3)
            x5 = self.down4(x4)
            x = self.up1(x5, x4)
            x = self.up2(x, x3)
            x = self.up3(x, x2)
            x = self.up4(x, x1)
            return self.outc(x)

    for cls in (ConvBlock, UNet, UNetOutputSize, UNetInterpolate, MilesialUp, UNetMilesial):
        cls.__qualname__ = cls.__name__  # torch_models.UNet, not _define.<locals>.UNet
        _CLASSES[cls.__name__] = cls
    return _CLASSES


def __getattr__(name: str) -> Any:
    """``torch_models.UNet`` and the other classes of :data:`CLASS_NAMES`, defined on first use."""
    if name in CLASS_NAMES or name == "MilesialUp":
        return _define()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class TorchModel:
    """One model: its factory, what it is, where it comes from, the example size ``H = W`` at
    which ``torch.export`` traces it, the sizes ``1..max_size`` that are checked, and whether
    its (main) output has the input's spatial size (segmentation) or is a class vector."""

    factory: Callable[[], Any]
    family: str
    source: str
    example: int = 64
    max_size: int = 300
    dense: bool = True


def _hand(cls_name: str) -> Callable[[], Any]:
    def make() -> Any:
        return _define()[cls_name]()
    make.__name__ = cls_name
    return make


def import_torchvision() -> Any:
    """torchvision on the CPU build of PyTorch: :func:`zoo.import_torchvision`."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    from zoo import import_torchvision as imp

    return imp()


def _smp(kind: str) -> Callable[[], Any]:
    def make() -> Any:
        import_torchvision()  # smp imports timm, which imports torchvision
        import segmentation_models_pytorch as smp

        return getattr(smp, kind)("resnet18", encoder_weights=None, in_channels=CHANNELS)
    make.__name__ = f"smp_{kind}"
    return make


def _tv(name: str, **kwargs: Any) -> Callable[[], Any]:
    def make() -> Any:
        models = import_torchvision().models
        if name.startswith(("deeplabv3", "fcn", "lraspp")):
            return getattr(models.segmentation, name)(weights=None, weights_backbone=None,
                                                      **kwargs)
        return getattr(models, name)(weights=None, **kwargs)
    make.__name__ = name
    return make


MODELS: dict[str, TorchModel] = {
    "unet_classic": TorchModel(_hand("UNet"), "U-Net, MaxPool2d(2), ConvTranspose2d(2, s=2), cat",
                               "hand-written"),
    "unet_output_size": TorchModel(
        _hand("UNetOutputSize"),
        "U-Net, MaxPool2d(2, ceil_mode), ConvTranspose2d(3, s=2, p=1) with output_size=skip",
        "hand-written"),
    "unet_interpolate": TorchModel(
        _hand("UNetInterpolate"),
        "U-Net, stride-2 convs, F.interpolate(size=skip, bilinear)", "hand-written"),
    "unet_milesial": TorchModel(_hand("UNetMilesial"),
                                "milesial U-Net, F.pad x1 to the skip's size", "hand-written"),
    "smp_unet": TorchModel(_smp("Unet"), "smp.Unet(resnet18)", "smp", max_size=128),
    "smp_fpn": TorchModel(_smp("FPN"), "smp.FPN(resnet18)", "smp", max_size=128),
    "smp_deeplabv3plus": TorchModel(_smp("DeepLabV3Plus"), "smp.DeepLabV3Plus(resnet18)",
                                    "smp", max_size=128),
    "resnet18": TorchModel(_tv("resnet18"), "ResNet-18", "torchvision", example=224,
                           dense=False),
    "deeplabv3_mobilenet_v3_large": TorchModel(
        _tv("deeplabv3_mobilenet_v3_large", aux_loss=False),
        "DeepLabV3, MobileNetV3-Large backbone (ASPP pooling, resize to input)", "torchvision",
        max_size=128),
    "vgg11": TorchModel(_tv("vgg11"), "VGG-11, AdaptiveAvgPool2d((7, 7))", "torchvision",
                        example=224, max_size=128, dense=False),
}

#: smp's run-time check: the stride ``H`` and ``W`` must be multiples of (module docstring).
GUARDS: dict[str, int] = {}

_BUILT: dict[str, Any] = {}


def build(name: str) -> Any:
    """Model ``name`` of :data:`MODELS`: random weights (seed 0), eval mode, smp's run-time
    size check off (recorded in :data:`GUARDS`); built once per process."""
    if name not in _BUILT:
        import torch

        torch.manual_seed(0)
        model = MODELS[name].factory()
        if getattr(model, "requires_divisible_input_shape", False):
            GUARDS[name] = int(model.encoder.output_stride)
            model.requires_divisible_input_shape = False
        _BUILT[name] = model.eval()
    return _BUILT[name]


def main_output(out: Any) -> Any:
    """The main output tensor: itself, the first of a tuple, or ``out`` of a dict
    (torchvision's segmentation models)."""
    if isinstance(out, dict):
        return out["out"] if "out" in out else next(iter(out.values()))
    if isinstance(out, (tuple, list)):
        return out[0]
    return out
