"""``symconv shape``: exact numbers, JSON, the convention table, inverse problems, symbolic
formulas, proofs, one-line errors with exit status 2, determinism."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import symconv
from symconv.cli import cli
from symconv.cli._common import SymconvCommand, SymconvGroup, dump_json
from symconv.cli.shape import EPILOG, Query, analyse
from symconv.errors import InvalidSpecError
from symconv.spec import Convention

from strategies import CONVENTIONS, conv_specs, pool_specs, valid_input_sizes

ROOT = Path(__file__).resolve().parents[1]

TF_EXAMPLE = ("shape conv --in 224x224 --kernel 7 --stride 2 --padding SAME "
              "--convention tensorflow")
TRANSPOSE_EXAMPLE = "shape conv-transpose --in 6 --kernel 3 --stride 2 --padding 1 --target 12"
POOL_EXAMPLE = "shape max-pool --in 9 --kernel 4 --stride 4 --padding 2 --ceil-mode"
ALL = "torch,onnx,tensorflow,keras,jax"


def run(args: str | list[str], code: int = 0) -> Any:
    """Invoke ``symconv`` in-process; check the exit status; return the click Result."""
    argv = shlex.split(args) if isinstance(args, str) else args
    result = CliRunner().invoke(cli, argv, prog_name="symconv")
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def fields(text: str) -> dict[str, str]:
    """``label: value`` lines of the text report."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"([a-z_ ]+\S*):\s+(.*)", line)
        if m and not line.startswith("note:"):
            out[m.group(1)] = m.group(2)
    return out


def as_json(args: str) -> Any:
    return json.loads(run(args + " --json").stdout)


# --------------------------------------------------------------------------- the examples


def test_tensorflow_same_example() -> None:
    out = run(TF_EXAMPLE).stdout
    f = fields(out)
    assert f["output"] == "112x112"
    assert f["pads"].startswith("(2, 3), (2, 3)")
    assert f["same output"] == "inputs 223..224 all give 112 on each axis"
    assert "225 pads (3, 3)" in out  # the split depends on the size: the porting trap
    data = as_json(TF_EXAMPLE)
    assert data["output"] == [112, 112]
    assert data["pads"] == [[2, 3], [2, 3]]
    assert data["same_output_inputs"] == [[223, 224], [223, 224]]
    assert data["round_trip"]["output_padding"] == [0, 0]


def test_tensorflow_same_at_225_pads_evenly() -> None:
    data = as_json(TF_EXAMPLE.replace("224x224", "225x225"))
    assert data["output"] == [113, 113]
    assert data["pads"] == [[3, 3], [3, 3]]


def test_transpose_target_example() -> None:
    out = run(TRANSPOSE_EXAMPLE).stdout
    f = fields(out)
    assert f["output"] == "12"
    assert f["output_padding"] == "1"
    assert f["target 12"].startswith("output_padding=1")
    assert "admissible output sizes 11..12" in f["target 12"]
    assert "ConvTranspose(kernel=3, stride=2, padding=1, output_padding=1)" in f["layer"]
    data = as_json(TRANSPOSE_EXAMPLE)
    assert data["output"] == [12]
    assert data["output_padding"] == [1]
    axis = data["target"]["axes"][0]
    assert (axis["parameter"], axis["value"], axis["admissible"]) == ("output_padding", 1,
                                                                     [[11, 12]])
    assert axis["adjoint"] is True


def test_transpose_without_target_lists_reachable_sizes() -> None:
    data = as_json("shape conv-transpose --in 6 --kernel 3 --stride 2 --padding 1")
    assert data["output"] == [11]
    kinds = {r["kind"]: r["sizes"] for r in data["reachable"][0]}
    assert kinds == {"output_padding": [11, 12], "output_size": [11, 12]}


@pytest.mark.parametrize("convention", ["torch", "onnx", "tensorflow"])
def test_transpose_requested_size_matches_the_spec(convention: str) -> None:
    """``--size`` is the transposed convolution's requested output (PyTorch
    ``forward(output_size=)``, ONNX/TensorFlow ``output_shape``): the command shows what the
    spec resolves, and refuses what the convention refuses, in one line."""
    padding = {"torch": "1", "onnx": "1:1", "tensorflow": "SAME"}[convention]
    base = f"shape conv-transpose --in 6 --kernel 3 --stride 2 --padding {padding} " \
        f"--convention {convention}"
    for size in range(9, 15):
        spec = {"torch": 1, "onnx": ((1, 1),), "tensorflow": "SAME"}[convention]
        try:
            r = symconv.resolve(symconv.ConvTranspose(kernel=3, stride=2, padding=spec,
                                                      output_size=size, convention=convention),
                                (6,))
        except InvalidSpecError as exc:
            out = run(f"{base} --size {size}", code=2).output
            assert out == f"symconv: error: {exc}\n"
            continue
        data = as_json(f"{base} --size {size}")
        assert data["output"] == [size] == list(r.output)
        assert data["pads"] == [list(p) for p in r.pads]


def test_transpose_size_and_target_are_one_or_the_other() -> None:
    out = run("shape conv-transpose --in 6 --kernel 3 --stride 2 --size 12 --target 12",
              code=2).output
    assert out.count("\n") == 1 and "--target=12 must not be combined with --size" in out
    out = run("shape conv-transpose --in 6 --kernel 3 --stride 2 --size 12 --convention keras",
              code=2).output
    assert "output_size=12 is not a parameter under convention keras" in out


def test_ceil_mode_pool_example_explains_last_window_rule() -> None:
    out = run(POOL_EXAMPLE).stdout
    assert fields(out)["output"] == "3"
    note = next(line for line in out.splitlines() if line.startswith("note: ceil mode"))
    assert "ceil((9 + 2 + 2 - 4)/4) + 1 = 4" in note
    assert "start at input position 10" in note
    assert "end padding" in note and "PyTorch" in note
    assert as_json(POOL_EXAMPLE)["output"] == [3]


def test_no_ceil_note_when_plain_ceil_agrees() -> None:
    out = run("shape max-pool --in 11 --kernel 4 --stride 4 --padding 2 --ceil-mode").stdout
    assert fields(out)["output"] == "4"
    assert "note: ceil mode" not in out


def test_conv_target_gives_padding() -> None:
    data = as_json("shape conv --in 7 --kernel 3 --stride 2 --target 4")
    axis = data["target"]["axes"][0]
    assert axis["parameter"] == "padding"
    assert axis["value"] == [1, 1]
    assert axis["totals"] == [2, 3]
    assert data["output"] == [3]  # the layer as given is still reported


def test_round_trip_for_strided_conv() -> None:
    data = as_json("shape conv --in 6 --kernel 3 --stride 2 --padding 1")
    assert data["output"] == [3]
    assert data["same_output_inputs"] == [[5, 6]]  # Dumoulin & Visin: 5 and 6 both give 3
    rt = data["round_trip"]
    assert (rt["output_padding"], rt["plain"]) == ([1], [5])


def test_round_trip_whose_plain_transpose_is_empty() -> None:
    args = "shape conv --in 1 --kernel 1 --stride 3 --padding 1"
    out = run(args).stdout
    assert "only input 1 gives 1" in out
    assert "output_padding=2 (with 0 it gives an empty output)" in out
    assert as_json(args)["round_trip"]["plain"] == [None]


def test_channels() -> None:
    out = run("shape pixel-shuffle --in 8x8 --factor 2 --channels 12").stdout
    f = fields(out)
    assert (f["output"], f["channels"]) == ("16x16", "12 -> 3")
    data = as_json("shape conv --in 8 --kernel 3 --channels 4 --out-channels 6 --groups 2")
    assert data["channels"] == {"in": 4, "out": 6}


@pytest.mark.parametrize(
    ("args", "output"),
    [
        ("shape conv --in 5 --kernel 3 --stride 2 --padding 1", [3]),
        ("shape conv --in 7 --kernel 3 --dilation 2", [3]),
        ("shape conv --in 5x6 --kernel 3x2 --padding 1:2x0:1", [6, 6]),
        ("shape conv --in 10 --kernel 3 --padding same", [10]),
        ("shape conv --in 10 --kernel 4 --padding causal --convention keras", [10]),
        ("shape conv-transpose --in 3 --kernel 3 --stride 2 --padding same --convention keras",
         [6]),
        ("shape conv-transpose --in 3 --kernel 3 --stride 2 --padding VALID --convention jax",
         [7]),
        # lax.conv_transpose hands 'valid' to the forward convolution: at stride 1 no padding
        ("shape conv-transpose --in 3 --kernel 3 --padding valid --convention jax", [1]),
        ("shape max-pool --in 32 --kernel 1 --stride 2 --ceil-mode", [16]),
        ("shape avg-pool --in 3x3 --kernel 3 --stride 2 --padding 1", [2, 2]),
        ("shape max-unpool --in 3 --kernel 2", [6]),
        ("shape max-unpool --in 3 --kernel 2 --size 7", [7]),
        ("shape resize --in 5 --scale 1.5", [7]),
        ("shape upsample --in 7 --scale 2/3", [4]),
        ("shape resize --in 5x5 --size 9x4 --mode linear --align-corners", [9, 4]),
        ("shape pixel-unshuffle --in 8x6 --factor 2", [4, 3]),
    ],
)
def test_outputs(args: str, output: list[int]) -> None:
    assert as_json(args)["output"] == output


def test_float_scale_follows_the_framework() -> None:
    """PyTorch multiplies 0.29 in double: floor(100 * 0.29) = 28, not the exact 29."""
    assert as_json("shape resize --in 100 --scale 0.29")["output"] == [28]
    assert as_json("shape resize --in 100 --scale 29/100")["output"] == [29]


# --------------------------------------------------------------------------- --compare


def test_compare_table_one_row_per_convention() -> None:
    out = run(f"{TF_EXAMPLE} --compare {ALL}").stdout
    lines = out.splitlines()
    rows = {line.split()[0]: line for line in lines[2:] if line.split()[0] in ALL.split(",")}
    assert list(rows) == ALL.split(",")
    assert "rejected*" in rows["torch"] and "stride 1" in rows["torch"]
    for conv in ("onnx", "tensorflow", "keras", "jax"):
        assert "112x112" in rows[conv] and "(2, 3), (2, 3)" in rows[conv]
        assert "*" not in rows[conv]
    assert "read as 'same_upper'" in rows["onnx"]
    assert lines[-1] == "* differs from tensorflow"


def test_compare_marks_differing_cells() -> None:
    args = "shape conv --in 225 --kernel 7 --stride 2 --padding same_lower --convention onnx"
    data = as_json(f"{args} --compare onnx,jax,tensorflow")
    rows = {r["convention"]: r for r in data["rows"]}
    assert data["reference"] == "onnx"
    assert rows["onnx"]["pads"] == [[3, 3]] and rows["jax"]["pads"] == [[3, 3]]
    assert rows["tensorflow"]["error"] is not None and rows["tensorflow"]["differs"] == ["output"]
    data = as_json("shape conv --in 224 --kernel 7 --stride 2 --padding same_lower "
                   "--convention onnx --compare onnx,jax")
    assert {r["convention"]: r["pads"] for r in data["rows"]} == {"onnx": [[3, 2]],
                                                                 "jax": [[3, 2]]}
    data = as_json("shape max-pool --in 9 --kernel 4 --stride 4 --padding 2 --ceil-mode "
                   "--compare torch,onnx")
    assert [r["output"] for r in data["rows"]] == [[3], [3]]
    assert all(r["differs"] == [] for r in data["rows"])


def test_compare_marks_pads_difference() -> None:
    out = run("shape conv --in 224 --kernel 7 --stride 2 --padding same_lower --convention jax "
              "--compare jax,onnx,tensorflow").stdout
    rows = {line.split()[0]: line for line in out.splitlines()[2:] if line[:1].isalpha()}
    assert "(3, 2)" in rows["jax"] and "*" not in rows["jax"]
    assert "rejected*" in rows["tensorflow"]


def test_compare_transposed_with_target() -> None:
    data = as_json("shape conv-transpose --in 6 --kernel 3 --stride 2 --padding SAME "
                   f"--convention tensorflow --target 12 --compare {ALL}")
    rows = {r["convention"]: r for r in data["rows"]}
    assert rows["torch"]["error"] is not None  # torch ConvTranspose takes no padding names
    for conv in ("onnx", "tensorflow", "keras", "jax"):
        assert rows[conv]["output"] == [12], conv


def test_compare_text_marks_with_star() -> None:
    out = run("shape conv-transpose --in 6 --kernel 3 --stride 2 --padding same "
              "--convention keras --compare keras,tensorflow").stdout
    assert "rejected*" in out  # tensorflow needs output_shape (no --target given)
    assert "output_size=None must be given under convention tensorflow" in out


# --------------------------------------------------------------------------- symbolic


def test_symbolic_formula_and_residues() -> None:
    out = run("shape conv --in 224 --kernel 7 --stride 2 --padding SAME --convention tensorflow "
              "--symbolic").stdout
    f = fields(out)
    assert f["input"] == "i"
    assert f["output"] == "ceiling(i/2)"
    assert "i ≡ 0  output i/2        pads (2, 3)" in out
    assert "i ≡ 1  output i/2 + 1/2  pads (3, 3)" in out
    assert "at 224: output 112, pads (2, 3)" in out


def test_symbolic_names_and_json() -> None:
    data = as_json("shape conv --in HxW --kernel 3 --stride 2 --padding 1 --symbolic")
    assert data["input"] == ["H", "W"]
    assert data["output"] == ["floor(H/2 - 1/2) + 1", "floor(W/2 - 1/2) + 1"]
    residues = {(r["symbol"], r["residue"]): r["output"] for r in data["residues"]}
    assert residues[("H", 0)] == "H/2" and residues[("H", 1)] == "H/2 + 1/2"


@given(st.data())
def test_symbolic_residue_rows_agree_with_integer_path(data: st.DataObject) -> None:
    """Every residue row, evaluated at sizes of its class, equals the integer resolve()."""
    convention = data.draw(st.sampled_from(CONVENTIONS))
    spec = data.draw(st.one_of(conv_specs(1, convention), pool_specs(1, convention)))
    q = Query.from_options(_layer_name(spec), **_options(spec), symbolic=True)
    view = analyse(q)
    sym = view.resolved.input[0]
    sizes = data.draw(st.lists(valid_input_sizes(spec), min_size=1, max_size=4))
    for (n,) in sizes:
        expected = symconv.resolve(spec, n)
        exact = view.resolved.output[0]
        assert (exact.subs(sym, n) if hasattr(exact, "subs") else exact) == expected.output[0]
        for row in view.residues:
            if n % row.modulus == row.residue:
                out = row.output.subs(sym, n) if hasattr(row.output, "subs") else row.output
                assert out == expected.output[0], (spec, n, row)
                pads = tuple(p.subs(sym, n) if hasattr(p, "subs") else p for p in row.pads)
                assert pads == expected.pads[0], (spec, n, row)


# --------------------------------------------------------------------------- --prove


def test_prove_each_axis() -> None:
    out = run("shape max-pool --in 9x9 --kernel 4 --stride 4 --padding 2 --ceil-mode "
              "--prove").stdout
    assert out.count("T21 for") == 2 and out.count("proven") == 2
    data = as_json("shape max-pool --kernel 4 --stride 4 --padding 2 --ceil-mode --prove")
    assert [p["verdict"] for p in data["proofs"]] == [True]
    assert data["proofs"][0]["period"] == 4


def test_failed_proof_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    from symconv.sizes import proof as sizeproof

    def wrong(layer: Any, ndim: int) -> Any:
        plain_ceil = lambda n: -(-(n - 1) // 2) + 1  # noqa: E731 - the wrong ceil rule
        return (sizeproof.prove_output_size(layer.at(1), closed_form=plain_ceil),)

    monkeypatch.setattr(sizeproof, "prove_all_axes", wrong)
    out = run("shape max-pool --in 32 --kernel 1 --stride 2 --ceil-mode --prove", code=1).stdout
    assert "FALSE" in out


# --------------------------------------------------------------------------- bad input

BAD = [
    ("shape conv --in 0 --kernel 3", "input size=0 must be a positive integer"),
    ("shape conv --in abc --kernel 3", "--in='abc' must be sizes"),
    ("shape conv --in 5 --kernel -1", "kernel=-1 must be a positive integer"),
    ("shape conv --in 5 --kernel 3 --stride 0", "stride=0 must be a positive integer"),
    ("shape foo --in 5 --kernel 3", "'foo' is not one of"),
    ("shape conv --in 10 --kernel 3 --stride 2 --padding same",
     "padding='same' must be used with stride 1 under convention torch"),
    ("shape conv --in 3 --kernel 5", "kernel=5 must not exceed the padded input size 3"),
    ("shape conv --in 5", "--kernel must be given for conv"),
    ("shape conv --kernel 3", "--in must be given"),
    ("shape conv --in 5 --kernel 3 --bogus", "No such option"),
    ("shape conv --in 5 --kernel 3 --ceil-mode", "--ceil-mode must only be given for"),
    ("shape conv --in 5x5 --kernel 3x3x3", "--kernel=3x3x3 must have one entry per axis"),
    ("shape conv --in 5 --kernel 3 --padding 1:2:3", "--padding='1:2:3' must be"),
    ("shape conv --in 5 --kernel 3 --padding foo", "padding='foo' must be a number or one of"),
    ("shape conv --in 5 --kernel 3 --convention mxnet",
     "--convention='mxnet' must be one of torch, onnx, tensorflow, keras, jax or a framework API"),
    ("shape conv --in 5 --kernel 3 --groups abc", "--groups='abc' must be an integer"),
    ("shape conv --in 5 --kernel 3 --channels 3 --groups 2", "groups=2 must divide"),
    ("shape conv --in H --kernel 3", "need --symbolic"),
    ("shape conv --in 5 --kernel 3 --compare torch,foo",
     "--compare='torch,foo' must be a comma-separated list of torch, onnx, tensorflow, keras, "
     "jax or framework APIs such as tf.nn.conv2d ('foo' is neither"),
    ("shape conv --in 5 --kernel 3 --symbolic --target 3", "--target must not be combined"),
    ("shape conv --in 5 --kernel 3 --symbolic --compare torch", "--compare must not be"),
    ("shape max-pool --in 5 --kernel 3 --padding 1 --target 99",
     "target=99 must be a reachable output size"),
    ("shape conv-transpose --in 6 --kernel 3 --stride 2 --padding 1 --target 20",
     "target=20 must be an admissible output size 11..12"),
    ("shape conv-transpose --in 6 --kernel 3 --stride 2 --output-padding 2",
     "output_padding=2 must be smaller than stride=2 or dilation=1"),
    ("shape conv-transpose --in 6 --kernel 3 --stride 2 --padding SAME --convention tensorflow",
     "output_size=None must be given under convention tensorflow"),
    ("shape max-pool --in 5 --kernel 3 --padding 2", "padding=2 must be at most half"),
    ("shape max-pool --in 5 --kernel 3 --ceil-mode --convention keras --padding valid",
     "ceil_mode=True is only available"),
    ("shape avg-pool --in 5 --kernel 3 --count-include-pad --convention tensorflow "
     "--padding VALID", "count_include_pad=True is not available"),
    ("shape avg-pool --in 5 --kernel 3 --convention tensorflow --padding valid",
     "padding='valid' must be a number or one of 'SAME', 'VALID' (exactly as written) for "
     "tf.nn.avg_pool (convention tensorflow) (tf.nn.avg_pool refuses 'valid': write 'VALID')"),
    ("shape conv-transpose --in 3 --kernel 3 --stride 2 --padding valid --convention jax",
     "padding='valid' must be 'SAME', 'VALID' or pairs for jax.lax.conv_transpose at stride=2"),
    ("shape resize --in 5", "exactly one must be given"),
    ("shape resize --in 5 --scale abc", "--scale='abc' must be a number"),
    ("shape resize --in 5 --scale 0", "scale_factor=0 must be a positive finite number"),
    ("shape resize --in 5 --scale 2 --factor 2", "--factor must only be given for"),
    ("shape pixel-unshuffle --in 5 --factor 2", "must be divisible by factor=2"),
    ("shape pixel-shuffle --in 5", "--factor must be given"),
    ("shape max-unpool --in 3 --kernel 2 --size 9", "output_size=9 must be strictly between"),
    ("shape", "Missing argument 'LAYER'"),
    ("nosuchcommand", "No such command"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_is_one_line_exit_2(args: str, message: str) -> None:
    result = run(args, code=2)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("symconv: error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_input_in_a_real_process() -> None:
    proc = _subprocess(["shape", "conv", "--in", "5", "--kernel", "-1"])
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == "symconv: error: kernel=-1 must be a positive integer\n"


def test_every_command_of_the_group_gets_one_line_errors() -> None:
    @click.group(cls=SymconvGroup)
    def app() -> None:
        """A test group."""

    @app.command()
    def boom() -> None:
        raise InvalidSpecError("widget=3 must be even")

    assert isinstance(app.commands["boom"], SymconvCommand)
    result = CliRunner().invoke(app, ["boom"], prog_name="symconv")
    assert result.exit_code == 2
    assert result.stderr == "symconv: error: widget=3 must be even\n"


# --------------------------------------------------------------------------- help, determinism


def _epilog_examples() -> list[list[str]]:
    text = EPILOG.replace("\\\n", " ")
    return [shlex.split(line.strip())[1:] for line in text.splitlines()
            if line.strip().startswith("symconv shape")]


def test_help_lists_the_examples_and_each_one_runs() -> None:
    help_text = run("shape --help").stdout
    examples = _epilog_examples()
    assert len(examples) >= 6
    for argv in examples:
        assert argv[1] in help_text
        run(argv)
    assert "shape" in run("--help").stdout


def test_required_examples_are_in_help() -> None:
    joined = " ".join(" ".join(a) for a in _epilog_examples())
    for required in (TF_EXAMPLE, TRANSPOSE_EXAMPLE, POOL_EXAMPLE, "--symbolic",
                     f"--compare {ALL}", "--json", "--prove"):
        assert required in joined


@pytest.mark.parametrize("extra", ["", " --json", f" --compare {ALL}", " --symbolic"])
def test_deterministic_bytes(extra: str) -> None:
    first = run(TF_EXAMPLE + extra).stdout_bytes
    assert first == run(TF_EXAMPLE + extra).stdout_bytes
    assert first == _subprocess(shlex.split(TF_EXAMPLE + extra)).stdout.encode()


def test_json_keys_sorted_and_canonical() -> None:
    for extra in ("", f" --compare {ALL}", " --target 113"):
        text = run(TF_EXAMPLE + extra + " --json").stdout
        data = json.loads(text)
        assert list(data) == sorted(data)
        assert text == dump_json(data)  # the canonical form: re-encoding gives the same bytes
        assert text.isascii() and text.endswith("}\n")


def _subprocess(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run([sys.executable, "-m", "symconv", *argv], capture_output=True,
                          text=True, encoding="utf-8", env=env, cwd=ROOT, check=False)


def test_python_m_symconv_subprocess() -> None:
    proc = _subprocess(shlex.split(TF_EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    assert fields(proc.stdout)["output"] == "112x112"


# --------------------------------------------------------------------------- CLI == library


def _layer_name(spec: Any) -> str:
    return {"Conv": "conv", "MaxPool": "max-pool", "AvgPool": "avg-pool"}[type(spec).__name__]


def _axes(values: tuple[Any, ...]) -> str:
    return "x".join(":".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in values)


def _options(spec: Any) -> dict[str, Any]:
    """Click option values (strings, as typed) that describe ``spec``."""
    o: dict[str, Any] = {"kernel": _axes(spec.kernel), "stride": _axes(spec.stride),
                         "dilation": _axes(spec.dilation), "convention": spec.convention.value}
    if isinstance(spec.padding, str):  # a name, as the framework spells it (tf.nn: 'SAME')
        name = spec.padding.value
        o["padding"] = name.upper() if spec.convention is Convention.TENSORFLOW else name
    else:
        o["padding"] = _axes(spec.padding)
    if isinstance(spec, symconv.Conv):
        o["groups"] = spec.groups
        if spec.in_channels is not None:
            o["channels"], o["out_channels"] = spec.in_channels, spec.out_channels
    else:
        o["ceil_mode"] = spec.ceil_mode
        if isinstance(spec, symconv.AvgPool):
            o["count_include_pad"] = spec.count_include_pad
    return o


def _argv(spec: Any, sizes: tuple[int, ...]) -> list[str]:
    argv = ["shape", _layer_name(spec), "--in", "x".join(map(str, sizes)), "--json"]
    for key, value in _options(spec).items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is False:
            argv.append("--no-count-include-pad" if key == "count_include_pad" else "")
        else:
            argv += [flag, str(value)]
    return [a for a in argv if a]


@given(st.data())
def test_cli_agrees_with_resolve(data: st.DataObject) -> None:
    """For valid specs of every convention, the CLI reports exactly what resolve() computes."""
    ndim = data.draw(st.integers(1, 3))
    convention = data.draw(st.sampled_from(CONVENTIONS))
    kind = data.draw(st.sampled_from(["conv", "max", "avg"]))
    spec = data.draw(conv_specs(ndim, convention) if kind == "conv"
                     else pool_specs(ndim, convention, kind))
    sizes = data.draw(valid_input_sizes(spec))
    expected = symconv.resolve(spec, sizes)
    out = json.loads(run(_argv(spec, sizes)).stdout)
    assert out["output"] == list(expected.output)
    assert out["pads"] == [list(p) for p in expected.pads]
    assert out["layer"] == repr(spec)


# --------------------------------------------------------------------------- frameworks


@pytest.mark.torch
def test_examples_match_pytorch(requires: Any) -> None:
    torch = requires("torch")
    x = torch.zeros(1, 1, 9)
    assert torch.nn.functional.max_pool1d(x, 4, 4, 2, ceil_mode=True).shape[-1] == 3
    m = torch.nn.ConvTranspose1d(1, 1, 3, stride=2, padding=1)
    assert m(torch.zeros(1, 1, 6), output_size=[12]).shape[-1] == 12
    assert m(torch.zeros(1, 1, 6)).shape[-1] == 11
    assert torch.nn.ConvTranspose1d(1, 1, 3, 2, 1, output_padding=1)(
        torch.zeros(1, 1, 6)).shape[-1] == 12
    conv = torch.nn.Conv1d(1, 1, 3, stride=2, padding=1)
    assert conv(torch.zeros(1, 1, 5)).shape[-1] == conv(torch.zeros(1, 1, 6)).shape[-1] == 3


@pytest.mark.parametrize("args", [
    "shape conv --in {N} --kernel 3",
    "shape conv --in 5 --kernel 3 --channels {N}",
    "shape conv --in 5 --kernel 3 --padding {N}:1",
    "shape resize --in 5 --scale {N}",
    "matrix conv --in 5 --kernel 3 --max-nnz {N}",
    "coverage --layer 'conv k={N}' --in 5",
    "coverage --layer 'upsample-linear f={N}/3' --in 5",
    "shape conv --in 5 --kernel 9223372036854775808",
])
def test_huge_integers_are_one_cut_line(args: str) -> None:
    """Issue 15: a 5,000-digit value (Python refuses to convert more than 4,300 digits) or
    one beyond int64 is refused in one line that shows a cut value, not a traceback."""
    result = CliRunner().invoke(cli, shlex.split(args.replace("{N}", "9" * 5000)),
                                prog_name="symconv")
    out = result.output.strip()
    assert result.exit_code == 2, (result.exit_code, out[:300], result.exception)
    assert "\n" not in out and len(out) < 400 and out.startswith("symconv: error: "), out[:300]


def test_prove_with_huge_stride_is_refused_in_one_line() -> None:
    """Issue 15: the T21 proof's length follows the stride; it is estimated first."""
    p = subprocess.run([sys.executable, "-m", "symconv", "shape", "conv", "--kernel", "3",
                        "--stride", "1000000000", "--prove"], capture_output=True, text=True,
                       timeout=20)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symconv: error: stride=1000000000")
    assert "T21" in lines[0]
