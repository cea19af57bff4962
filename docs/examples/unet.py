"""A small U-Net for the docs (``symconv review docs/examples/unet.py:UNet``)."""

import torch
import torch.nn as nn


def block(i: int, o: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU())


class UNet(nn.Module):
    def __init__(self, c: int = 4, depth: int = 3) -> None:
        super().__init__()
        widths = [c * 2**i for i in range(depth + 1)]
        self.down = nn.ModuleList(block(i, o) for i, o in zip([3, *widths[:-2]], widths[:-1], strict=True))
        self.pool = nn.MaxPool2d(2)
        self.mid = block(widths[-2], widths[-1])
        self.up = nn.ModuleList(nn.ConvTranspose2d(o, i, 2, stride=2)
                                for i, o in zip(widths[-2::-1], widths[:0:-1], strict=True))
        self.dec = nn.ModuleList(block(2 * i, i) for i in widths[-2::-1])
        self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
            x = self.pool(x)
        x = self.mid(x)
        for u, d, s in zip(self.up, self.dec, reversed(skips), strict=True):
            x = d(torch.cat([u(x), s], dim=1))
        return self.head(x)
