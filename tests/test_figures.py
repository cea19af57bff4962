"""Tests of symconv.coverage.figures: PNG bytes that are valid, sized by the fixed DPI, free of metadata
and identical across calls and across processes."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from symconv import Conv, ConvTranspose, InvalidSpecError, UnsupportedError
from symconv.coverage import analyze, checkerboard
from symconv.coverage.figures import (
    DPI,
    analysis_png,
    bars_png,
    bipartite_png,
    heatmap_png,
    stack_png,
)
from symconv.spec.syntax import parse_layers

ROOT = Path(__file__).resolve().parents[1]


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every PNG chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind = png[pos + 4:pos + 8]
        out.append((kind, png[pos + 8:pos + 8 + length]))
        pos += 12 + length
    return out


def size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", chunks(png)[0][1][:8])
    return width, height


def figures() -> dict[str, bytes]:
    one = analyze(parse_layers(["conv-transpose k=3 s=2 p=1", "conv k=3 s=2"]), 12)
    two = analyze(parse_layers(["conv-transpose k=3 s=2", "conv-transpose k=4 s=2"]), (6, 6))
    return {
        "bars": bars_png(checkerboard(ConvTranspose(kernel=3, stride=2), 9), title="k3 s2"),
        "heatmap": heatmap_png(checkerboard(ConvTranspose(kernel=3, stride=2), (5, 5))),
        "heatmap3d": heatmap_png(checkerboard(ConvTranspose(kernel=3, stride=2), (3, 4, 5))),
        "stack1d": stack_png(one),
        "stack2d": stack_png(two),
        "bipartite": bipartite_png(ConvTranspose(kernel=3, stride=2, padding=1), 5),
        "analysis": analysis_png(analyze([Conv(kernel=3, stride=2)], 9)),
    }


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return figures()


def test_pngs_are_valid_and_have_no_metadata(rendered: dict[str, bytes]) -> None:
    for name, png in rendered.items():
        kinds = [k for k, _ in chunks(png)]
        assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND", name
        assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(kinds), (name, kinds)
        phys = dict(chunks(png)).get(b"pHYs")
        if phys is not None:  # pixels per metre of the fixed DPI
            assert struct.unpack(">I", phys[:4])[0] == round(DPI / 0.0254)


def test_sizes_follow_the_fixed_dpi(rendered: dict[str, bytes]) -> None:
    assert size(rendered["heatmap"]) == (round(5.2 * DPI), round(4.6 * DPI))
    assert size(rendered["stack2d"])[1] == round(4.6 * DPI)


def test_same_bytes_on_every_call(rendered: dict[str, bytes]) -> None:
    again = figures()
    for name in rendered:
        assert rendered[name] == again[name], name


@pytest.mark.slow
def test_same_bytes_in_a_fresh_process(rendered: dict[str, bytes], tmp_path: Path) -> None:
    code = ("import sys; from test_figures import figures; "
            "sys.stdout.buffer.write(figures()['stack2d'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "tests", check=True,
                         capture_output=True).stdout
    assert out == rendered["stack2d"]


def test_single_tiny_layer_draws_the_bipartite_graph(rendered: dict[str, bytes]) -> None:
    tiny = analyze(parse_layers(["conv-transpose k=3 s=2 p=1"]), 5)
    assert analysis_png(tiny) == bipartite_png(ConvTranspose(kernel=3, stride=2, padding=1), 5)
    big = analyze(parse_layers(["conv-transpose k=3 s=2 p=1"]), 40)
    assert analysis_png(big) == stack_png(big)


def test_wrong_shapes_are_refused() -> None:
    with pytest.raises(InvalidSpecError, match="ndim=2 must be 1"):
        bars_png(checkerboard(Conv(kernel=2), (4, 4)))
    with pytest.raises(InvalidSpecError, match="ndim=1 must be at least 2"):
        heatmap_png(checkerboard(Conv(kernel=2), 4))
    with pytest.raises(UnsupportedError, match="max_positions=32"):
        bipartite_png(ConvTranspose(kernel=3, stride=2), 30)
    with pytest.raises(InvalidSpecError, match="1-D input size"):
        bipartite_png(ConvTranspose(kernel=3, stride=2), (3, 3))
