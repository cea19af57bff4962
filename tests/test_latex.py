"""LaTeX renderers and ``symconv latex``: escaping, matrices, splitting, the per-layer facts,
and the documents compiled with pdflatex and rasterised (skipped locally without TeX, failing
when ``CI=true``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sympy
from _tex import compile_and_rasterise, need_tex
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symconv.cli import cli
from symconv.core import conv_map, conv_transpose_map
from symconv.report.facts import layer_facts
from symconv.report.latex import (
    escape,
    layer_document,
    matrix,
    preamble,
    prose_math,
    split_math,
    trusted_math,
)
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    ConvTranspose,
    MaxPool,
    MaxUnpool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
)

from strategies import CONVENTIONS, layer_and_sizes

# --------------------------------------------------------------------------- helpers

NASTY = "50% of C_in & {k} #1 $x$ ~a^b \\ <op> | ≤ ≥ × — “q” café Evrişim ı Ω 𝔸 \t end"


def _balanced(tex: str) -> bool:
    depth, i = 0, 0
    while i < len(tex):
        if tex[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(tex[i], 0)
        if depth < 0:
            return False
        i += 1
    return depth == 0


# --------------------------------------------------------------------------- escaping


def test_escape_specials_and_unicode() -> None:
    out = escape(NASTY)
    assert out.isascii()
    assert r"50\% of C\_in \& \{k\} \#1 \$x\$" in out
    assert r"\textasciitilde{}a\textasciicircum{}b \textbackslash{} \textless{}op\textgreater{}"\
        in out
    assert r"$\le$ $\ge$ $\times$ ---" in out
    assert r"caf\'{e} Evri\c{s}im \i{} $\Omega$" in out
    assert r"\texttt{[U+1D538]}" in out  # an unknown character stays visible
    assert "\t" not in out


@given(st.text(max_size=60))
def test_escape_is_ascii_and_balanced(text: str) -> None:
    out = escape(text, breakable=True)
    assert out.isascii()
    assert _balanced(out)
    assert "\n" not in out and "%" not in out.replace(r"\%", "")


def test_trusted_math_rejects_broken_or_dangerous_latex() -> None:
    assert trusted_math(r"\frac{a}{b}") == r"\frac{a}{b}"
    for bad in (r"\frac{a}{b", r"a}{", r"\input{/etc/passwd}", r"x $ y", r"a % b",
                r"\def\x{1}", "é"):
        out = trusted_math(bad)
        assert out.startswith(r"\text{\texttt{") and _balanced(out)


# --------------------------------------------------------------------------- matrices


def test_matrix_full_and_from_index_map_agree() -> None:
    m = conv_map(Conv(kernel=3, stride=2, padding=1), (1, 5), 1)
    assert matrix(m) == matrix(m.symbolic())
    tex = matrix(m)
    assert tex.count(r"\\") == 2 and tex.count("&") == 3 * 4
    assert r"w_{0,0,1}" in tex and "cdots" not in tex


def test_matrix_elided_shows_the_right_corners() -> None:
    m = conv_transpose_map(ConvTranspose(kernel=3, stride=2), (1, 20), 1)  # 41 x 20
    full = m.symbolic()
    tex = matrix(m)
    lines = tex.splitlines()
    assert lines[0] == r"\begin{bmatrix}" and lines[-1] == r"\end{bmatrix}"
    rows = [line.removesuffix(r" \\") for line in lines[1:-1]]
    assert len(rows) == 12
    cells = [r.split(" & ") for r in rows]
    assert all(len(c) == 10 for c in cells)  # amsmath's bmatrix limit
    assert cells[10][8] == r"\ddots" and cells[10][0] == r"\vdots" and cells[0][8] == r"\cdots"
    shown_rows = [*range(10), 40]
    shown_cols = [*range(8), 19]
    for i, r in enumerate(shown_rows):
        for j, c in enumerate([*shown_cols[:8], None, shown_cols[8]]):
            if c is None:
                continue
            v = full[r, c]
            assert cells[i if i < 10 else 11][j] == ("0" if v == 0 else sympy.latex(v))


def test_matrix_huge_map_builds_only_the_shown_block() -> None:
    m = conv_map(Conv(kernel=3, ndim=2), (1, 300, 300), 1)  # 88804 x 90000, 0.8 M entries
    tex = matrix(m)
    assert r"\ddots" in tex and r"w_{0,0,0,0}" in tex


def test_matrix_rejects_more_than_ten_columns() -> None:
    with pytest.raises(ValueError, match="max_cols"):
        matrix(sympy.eye(3), max_cols=11)


# --------------------------------------------------------------------------- splitting


@pytest.mark.parametrize("tex", [
    r"a = b,\quad c = \frac{1}{2};\ d",
    r"\operatorname{convT}(y;\ w) = x",
    r"\left( a;\ b \right) \qquad c",
    r"\begin{cases} a; & b \\ c & d \end{cases};\ e",
    r"\{L : x\} = [a,\, b];\quad \mathrm{op}",
])
def test_split_math_keeps_every_part_balanced(tex: str) -> None:
    parts = split_math(tex)
    assert parts
    for p in parts:
        assert _balanced(p)
        assert p.count(r"\left") == p.count(r"\right")
        assert p.count(r"\begin") == p.count(r"\end")
        assert p.count("(") == p.count(")") or p.count("[") != p.count("]")
    squeezed = "".join(tex.replace(r"\qquad", "").replace(r"\quad", "").replace(r"\ ", "")
                       .split())
    assert "".join("".join(parts).replace(r"\ ", "").split()) == squeezed


def test_split_math_does_not_split_inside_brackets() -> None:
    assert split_math(r"f\bigl(y;\ w\bigr) = g") == [r"f\bigl(y;\ w\bigr) = g"]


def test_prose_math_sets_text_as_text_and_math_as_math() -> None:
    out = prose_math(r"s \le \mathrm{op} < d \text{ (accepted by PyTorch): adjoint of no conv}")
    assert out == r"$s \le \mathrm{op} < d$ (accepted by PyTorch): adjoint of no conv"
    wordy = prose_math(r"interiors with fewer than s positions; weighted: \gcd(s,d) > 1 as stated here")
    assert wordy.startswith("interiors with fewer than s positions; weighted:")
    assert wordy.endswith(r"$\gcd(s,d) >$ 1 as stated here")
    assert out.count("$") % 2 == 0 and wordy.count("$") % 2 == 0


# --------------------------------------------------------------------------- layer facts

LAYERS: list[tuple[Any, tuple[int, ...]]] = [
    (Conv(kernel=3, stride=2, padding=1), (6,)),
    (Conv(kernel=3, stride=2, padding=1), (5,)),
    (Conv(kernel=(2, 3), stride=(2, 1), padding=1, dilation=(1, 2)), (5, 6)),
    (Conv(kernel=3, dilation=2, groups=2), (9,)),
    (Conv(kernel=3, padding="same"), (7,)),
    (ConvTranspose(kernel=3, stride=2, padding=1), (3,)),
    (ConvTranspose(kernel=4, stride=2, padding=1, output_padding=1), (4, 3)),
    (ConvTranspose(kernel=3, stride=2, output_padding=2, dilation=3), (3,)),  # op >= s
    (AvgPool(kernel=2), (5,)),
    (AvgPool(kernel=3, stride=2, padding=1), (6, 5)),
    (MaxPool(kernel=3, stride=2), (7,)),
    (MaxPool(kernel=2), (4, 4)),
    (MaxUnpool(kernel=2), (3,)),
    (MaxUnpool(kernel=3, stride=2), (3,)),
    (Resize(scale_factor=2), (3,)),
    (Resize(scale_factor=3, mode="linear"), (4,)),
    (Resize(scale_factor=2, mode="linear"), (3, 3)),
    (Resize(size=5, mode="linear", align_corners=True), (3,)),
    (Resize(scale_factor="3/2"), (4,)),
    (PixelShuffle(factor=2), (3,)),
    (PixelUnshuffle(factor=2), (4, 4)),
    (AdaptiveAvgPool(3), (5,)),
    (AdaptiveAvgPool((None, 2)), (3, 4)),
    (AdaptiveMaxPool(2), (6,)),
    (AdaptiveMaxPool(1, convention="onnx"), (3, 3)),
]


@pytest.mark.parametrize(("layer", "size"), LAYERS, ids=lambda v: repr(v))
def test_layer_facts_hold_for_each_layer(layer: Any, size: tuple[int, ...]) -> None:
    facts = layer_facts(layer, size)
    assert facts.ok, [c.how for c in facts.claims if not c.holds]
    assert facts.size_check.holds
    doc = layer_document(facts)
    assert doc.isascii() and _balanced(doc.replace(r"\{", "").replace(r"\}", ""))
    assert doc.startswith(r"\documentclass") and doc.endswith("\\end{document}\n")
    frag = layer_document(facts, fragment=True)
    assert r"\documentclass" not in frag and r"\section" not in frag
    assert r"\fitmath" not in frag  # a fragment needs no custom macro
    if facts.matrix is not None:
        assert facts.matrix.out_shape == facts.output_shape


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CONVENTIONS).flatmap(
    lambda c: st.integers(1, 2).flatmap(lambda nd: layer_and_sizes(nd, c))))
def test_layer_facts_hold_for_random_layers(case: tuple[Any, tuple[int, ...]]) -> None:
    """Any valid layer of any convention: every stated claim holds, nothing raises."""
    layer, size = case
    assume(sum(size) <= 30)
    facts = layer_facts(layer, size)
    assert facts.ok, [(c.text, c.how) for c in facts.claims if not c.holds]
    assert layer_document(facts).endswith("\\end{document}\n")


def test_layer_facts_say_what_is_not_available() -> None:
    jax_t = layer_facts(ConvTranspose(kernel=(1, 4), stride=(1, 2), padding=(1, 2),
                                      dilation=(2, 1), convention="jax"), (5, 6))
    assert jax_t.ok and jax_t.matrix is not None
    assert any("negative" in n for n in jax_t.notes)
    assert [cs for _, cs in jax_t.sections if cs] == []
    # dilated JAX pooling is lax.reduce_window (flax's pools have no dilation parameter)
    jax_pool = layer_facts(MaxPool(kernel=3, stride=3, padding="same", dilation=(1, 2),
                                   convention="jax.lax.reduce_window"), (3, 5))
    assert jax_pool.ok and jax_pool.matrix is None
    assert "not available for this configuration" in jax_pool.matrix_text


def test_layer_facts_cite_the_theorems() -> None:
    conv = layer_facts(Conv(kernel=3, stride=2, padding=1), (6,))
    cited = {t for c in conv.claims for t in c.theorems}
    assert {"T02", "T03", "T04", "T06"} <= cited
    tconv = layer_facts(ConvTranspose(kernel=3, stride=2, padding=1), (3,))
    assert {"T02", "T05", "T06"} <= {t for c in tconv.claims for t in c.theorems}
    half = layer_facts(Resize(scale_factor=2, mode="linear"), (3,))
    assert [c.theorems for _, cs in half.sections for c in cs] == [("T12",)]
    assert "exactly 2 output positions" in half.claims[1].text


def test_layer_facts_report_a_wrong_library_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mutation: if adjoint_of forgot the output padding, the T02 claim must fail, be shown
    as FAILED, and make the command exit 1."""
    import dataclasses

    import symconv.theory.derive as derive

    real = derive.adjoint_of

    def wrong(conv: Any, size: Any) -> Any:
        return dataclasses.replace(real(conv, size), output_padding=0)

    monkeypatch.setattr(derive, "adjoint_of", wrong)
    facts = layer_facts(Conv(kernel=3, stride=2, padding=1), (6,))
    assert not facts.ok
    failed = [c for c in facts.claims if not c.holds]
    assert failed and all("T02" in c.theorems or "T03" in c.theorems or "T06" in c.theorems
                          for c in failed)
    assert r"\textbf{FAILED}" in layer_document(facts)
    result = CliRunner().invoke(cli, ["latex", "conv", "--in", "6", "--kernel", "3",
                                      "--stride", "2", "--padding", "1"])
    assert result.exit_code == 1


def test_layer_facts_are_deterministic() -> None:
    a = layer_document(layer_facts(MaxPool(kernel=3, stride=2), (7,), seed=3))
    b = layer_document(layer_facts(MaxPool(kernel=3, stride=2), (7,), seed=3))
    assert a == b


# --------------------------------------------------------------------------- the command


def test_cli_latex_standalone_and_fragment() -> None:
    runner = CliRunner()
    args = ["latex", "conv-transpose", "--in", "3", "--kernel", "3", "--stride", "2",
            "--padding", "1"]
    doc = runner.invoke(cli, args)
    assert doc.exit_code == 0, doc.output
    assert doc.output.startswith(r"\documentclass") and "o(3) = 5" in doc.output
    assert r"\operatorname{flip}(w)" in doc.output
    frag = runner.invoke(cli, [*args, "--fragment"])
    assert frag.exit_code == 0 and frag.output.startswith("% symconv latex fragment")
    assert runner.invoke(cli, args).output == doc.output  # deterministic


@pytest.mark.parametrize(("args", "message"), [
    (["conv", "--in", "3", "--kernel", "5"], "kernel=5 must not exceed"),
    (["conv", "--in", "3", "--kernel", "3", "--factor", "2"], "--factor must only be given"),
    (["conv", "--kernel", "3"], "--in"),
    (["resize", "--in", "x3", "--scale", "2"], "--in='x3' must be sizes"),
])
def test_cli_latex_bad_input_is_one_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["latex", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_cli_latex_takes_a_decimal_scale_exactly() -> None:
    # A derivation is symbolic: 1.5 is the fraction 3/2 (it used to crash with a TypeError
    # from the float-scale size rule applied to a symbolic size).
    runner = CliRunner()
    decimal = runner.invoke(cli, ["latex", "resize", "--in", "3", "--scale", "1.5"])
    fraction = runner.invoke(cli, ["latex", "resize", "--in", "3", "--scale", "3/2"])
    assert decimal.exit_code == 0, decimal.output
    assert decimal.output == fraction.output


def test_a_float_scale_has_no_symbolic_size_formula() -> None:
    import sympy

    from symconv.errors import UnsupportedError
    from symconv.sizes import formulas

    n = sympy.Symbol("n", integer=True, positive=True)
    with pytest.raises(UnsupportedError, match=r"scale_factor=0.29 is a float.*e.g. 29/100"):
        formulas.resize_size(n, 0.29)
    assert formulas.resize_size(100, 0.29) == 28  # 100 * 0.29 = 28.999999999999996 in double


def test_cli_latex_help_has_examples() -> None:
    result = CliRunner().invoke(cli, ["latex", "--help"])
    assert result.exit_code == 0
    assert "symconv latex conv-transpose --in 3 --kernel 3 --stride 2 --padding 1" in result.output


# --------------------------------------------------------------------------- pdflatex

COMPILED = [
    ["conv-transpose", "--in", "3", "--kernel", "3", "--stride", "2", "--padding", "1"],
    ["conv", "--in", "5x5", "--kernel", "3", "--stride", "2", "--padding", "1",
     "--channels", "2", "--out-channels", "2", "--groups", "2"],
    ["conv", "--in", "40", "--kernel", "3", "--dilation", "2"],
    ["avg-pool", "--in", "5", "--kernel", "2"],
    ["max-pool", "--in", "4x4", "--kernel", "2"],
    ["max-unpool", "--in", "3", "--kernel", "3", "--stride", "2"],
    ["upsample", "--in", "3x3", "--scale", "2", "--mode", "linear"],
    ["resize", "--in", "4", "--scale", "3/2"],
    ["pixel-shuffle", "--in", "3x3", "--factor", "2"],
]


@pytest.mark.parametrize("args", COMPILED, ids=lambda a: "-".join(a[:3]))
def test_symconv_latex_documents_compile(args: list[str], tmp_path: Path) -> None:
    need_tex()
    result = CliRunner().invoke(cli, ["latex", *args])
    assert result.exit_code == 0, result.output
    compile_and_rasterise(result.output, tmp_path)


def test_fragments_compile_in_a_minimal_paper(tmp_path: Path) -> None:
    need_tex()
    bodies = []
    for args in COMPILED[:4]:
        result = CliRunner().invoke(cli, ["latex", *args, "--fragment"])
        assert result.exit_code == 0
        bodies.append(result.output)
    tex = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb,array}\n"
           "\\begin{document}\n" + "\n".join(bodies) + "\\end{document}\n")
    compile_and_rasterise(tex, tmp_path)


def test_nasty_prose_compiles(tmp_path: Path) -> None:
    need_tex()
    body = escape(NASTY) + "\n\n" + escape(NASTY, breakable=True) + "\n\n" + prose_math(
        trusted_math(r"\frac{a}{b")) + "\n"
    tex = preamble(title=escape(NASTY), subtitle="test") + body + "\\end{document}\n"
    compile_and_rasterise(tex, tmp_path)


def test_onnx_same_transpose_with_a_negative_total_is_clamped_symbolically() -> None:
    """k_eff + op < s: onnxruntime pads nothing, so the output is s(n-1) + k_eff, not n s; the
    symbolic size must say the same as the integer one (hypothesis found k=1, s=2, n=3)."""
    import sympy

    from symconv import resolve

    n = sympy.Symbol("n", integer=True, positive=True)
    t = ConvTranspose(kernel=1, stride=2, padding="same_upper", convention="onnx")
    assert resolve(t, (n,)).output == (2 * n - 1,) and resolve(t, 3).output == (5,)
    assert layer_facts(t, (3,)).ok


@pytest.mark.parametrize(("args", "needle"), [
    (["max-unpool", "--in", "7", "--kernel", "2147483648"], "entries of this latex derivation"),
    (["conv", "--in", "2300x2300", "--kernel", "3"], "max_nnz=10000000 must be at least"),
    (["conv", "--in", "2300x2300", "--kernel", "3", "--max-nnz", "100000000"],
     "max_memory=3,758,096,384 bytes must be at least"),
    (["conv", "--in", "64x64", "--kernel", "3", "--max-memory", "259MiB"],
     "max_memory=271,581,184 bytes must be at least"),
    (["conv", "--in", "4", "--kernel", "3", "--max-nnz", "0"], "--max-nnz=0 must be"),
    (["conv", "--in", "4", "--kernel", "3", "--max-memory", "lots"], "--max-memory='lots'"),
])
def test_derivation_budgets_refuse_before_building(args: list[str], needle: str) -> None:
    """Issue 15: arrays sized by the output (a max-unpool kernel of 2**31) or a map too big
    to derive are refused in one line before anything is allocated."""
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    result = CliRunner().invoke(cli, ["latex", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], lines
    assert time.perf_counter() - t0 < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB


def test_derivation_budget_counts_map_entries_or_positions() -> None:
    from symconv.errors import InvalidSpecError
    from symconv.report.facts import check_derivation
    from symconv.sizes.shapes import resolve

    conv = Conv(kernel=3)
    assert check_derivation(conv, resolve(conv, (10, 10)), 1, 1) == 9 * 8 * 8
    pool = MaxPool(kernel=2)  # its map needs data: positions bound it
    assert check_derivation(pool, resolve(pool, (10, 10)), 3, 0) == 3 * 100 + 3 * 25
    layer_facts(conv, (6, 6), max_nnz=9 * 16)  # exactly the budget: accepted
    with pytest.raises(InvalidSpecError, match="max_nnz=143 must be at least the estimated 144"):
        layer_facts(conv, (6, 6), max_nnz=143)


@pytest.mark.parametrize("seed", [-1, 10**30, "3", 1.5])
def test_api_seed_is_checked_in_one_line(seed: Any) -> None:
    from symconv.errors import InvalidSpecError
    from symconv.testing import random_inputs
    from symconv.theory.runner import select
    from symconv.theory.theorem import run_theorem

    with pytest.raises(InvalidSpecError, match=r"^seed=.* must be"):
        layer_facts(Conv(kernel=3), (5,), seed=seed)
    with pytest.raises(InvalidSpecError, match=r"^seed=.* must be"):
        random_inputs(Conv(kernel=3), (5,), seed=seed)
    with pytest.raises(InvalidSpecError, match=r"^seed=.* must be"):
        run_theorem(select(None, ["T01"])[0], seed=seed)
