"""The layer options are declared once (``symconv.cli._layer_options``): ``shape``, ``matrix``
and ``latex`` accept exactly the same layer options (names, types, defaults, order), parse their
values the same way (same one-line errors), and build the same layer (same output size)."""

from __future__ import annotations

import json
import shlex
from typing import Any

import click
import pytest
from click.testing import CliRunner

from symconv.cli import cli
from symconv.cli._layer_options import LAYER_OPTIONS, layer_options
from symconv.cli.latex import latex
from symconv.cli.matrix import matrix
from symconv.cli.shape import shape

COMMANDS = {"shape": shape, "matrix": matrix, "latex": latex}


def _invoke(args: str) -> Any:
    return CliRunner().invoke(cli, shlex.split(args), prog_name="symconv")


def _layer_params(command: click.Command) -> list[click.Parameter]:
    """The command's parameters that are layer options (matched by every spelling)."""
    spelled = {f"--{name}" for name in LAYER_OPTIONS} | {"--no-count-include-pad"}
    return [p for p in command.params if (set(p.opts) | set(p.secondary_opts)) & spelled]


def _signature(p: click.Parameter) -> tuple[Any, ...]:
    """Everything about an option that the user can type against (help text aside)."""
    assert isinstance(p, click.Option)
    kind = p.type
    choices = tuple(kind.choices) if isinstance(kind, click.Choice) else None
    return (p.name, tuple(p.opts), tuple(p.secondary_opts), type(kind).__name__, choices,
            getattr(kind, "case_sensitive", None), p.default, p.is_flag, p.multiple,
            p.metavar, p.show_default)


def test_shape_and_matrix_accept_exactly_the_same_layer_options() -> None:
    ours = {name: [_signature(p) for p in _layer_params(cmd)] for name, cmd in COMMANDS.items()}
    assert [s[1][0] for s in ours["shape"]] == [f"--{n}" for n in LAYER_OPTIONS]
    assert ours["matrix"] == ours["shape"]
    assert ours["latex"] == ours["shape"]


def test_only_latex_requires_in_and_no_option_is_declared_twice() -> None:
    for name, cmd in COMMANDS.items():
        opts = [o for p in cmd.params for o in (*p.opts, *p.secondary_opts)]
        assert len(opts) == len(set(opts)), name
        required = [p.name for p in _layer_params(cmd) if p.required]
        assert required == (["in_"] if name == "latex" else []), name


def test_layer_options_reject_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown layer options"):
        layer_options(["conv"], help_texts={"kernal": "typo"})
    with pytest.raises(ValueError, match="unknown layer options"):
        layer_options(["conv"], required={"weights"})


# Bad values of shared options: both commands must reject them with the same one line.  (1-D
# inputs: matrix pins the spec's rank to --in's, so 2-D messages show values per axis.)
BAD_VALUES = [
    ("conv", "--kernel 3x", "--kernel='3x' must be an integer"),
    ("conv", "--kernel 3 --stride two", "--stride='two' must be an integer"),
    ("conv", "--kernel 3 --padding 1:x", "--padding='1:x' must be a name such as same"),
    ("conv", "--kernel 3x3x3 --in 6x6",
     "--kernel=3x3x3 must have one entry per axis of --in (2)"),
    ("conv", "--kernel 3 --dilation 0", "dilation=0 must be"),
    ("conv-transpose", "--kernel 3 --stride 2 --output-padding 2",
     "output_padding=2 must be smaller than stride=2 or dilation=1"),
    ("avg-pool", "--kernel 2 --padding 2", "padding=2 must be at most half the kernel size"),
    ("conv", "--stride 2", "--kernel must be given for conv"),
    ("pixel-shuffle", "", "--factor must be given for pixel-shuffle"),
    ("resize", "--scale 2/x", "--scale='2/x' must be a number such as 2, 1.5 or 3/2"),
    ("conv", "--kernel 3 --factor 2", "--factor must only be given for pixel-shuffle"),
    ("conv", "--kernel 3 --convention caffe",
     "--convention='caffe' must be one of torch, onnx, tensorflow, keras, jax or a framework API"),
]


@pytest.mark.parametrize(("layer", "options", "message"), BAD_VALUES)
def test_shape_and_matrix_reject_bad_values_alike(layer: str, options: str, message: str) -> None:
    lines = []
    for command in ("shape", "matrix"):
        result = _invoke(f"{command} {layer} --in 6 {options}")
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
        lines.append(result.stderr.replace(f"symconv {command}", "symconv CMD"))
    assert lines[0] == lines[1]


# The same layer options describe the same layer: the matrix's output shape is the size that
# ``symconv shape`` computes.
SAME_LAYER = [
    "conv --in 7x6 --kernel 3x2 --stride 2 --padding 1:0x0:1 --dilation 1x2",
    "conv --in 9 --kernel 3 --stride 2 --padding SAME --convention tensorflow",
    "conv --in 5x5 --kernel 3 --channels 4 --out-channels 6 --groups 2",
    "conv-transpose --in 3x4 --kernel 3 --stride 2 --padding 1 --output-padding 1x0",
    "conv-transpose --in 4 --kernel 4 --stride 3 --padding same_upper --convention onnx",
    "avg-pool --in 7 --kernel 3 --stride 2 --padding 1 --ceil-mode --no-count-include-pad",
    "resize --in 5x3 --scale 3/2 --mode linear --align-corners",
    "resize --in 4 --size 7 --mode nearest-exact",
    "pixel-shuffle --in 2x3 --factor 2 --channels 8",
    "pixel-unshuffle --in 4x6 --factor 2 --channels 3",
]


@pytest.mark.parametrize("args", SAME_LAYER)
def test_shape_and_matrix_build_the_same_layer(args: str) -> None:
    sized = _invoke(f"shape {args} --json")
    mapped = _invoke(f"matrix {args} --stats --json")
    assert sized.exit_code == 0 and mapped.exit_code == 0, (sized.output, mapped.output)
    output = json.loads(sized.stdout)["output"]
    assert json.loads(mapped.stdout)["output_shape"][1:] == output


# --------------------------------------------------------------------------- --seed

SEEDED = ["latex conv --in 4 --kernel 3", "prove T01", "report --no-pdf"]


@pytest.mark.parametrize("command", SEEDED, ids=lambda c: c.split()[0])
@pytest.mark.parametrize(("value", "shown"), [
    ("-1", "--seed=-1"), ("abc", "--seed='abc'"), ("1.5", "--seed='1.5'"), ("", "--seed=''"),
    ("9" * 5000, "--seed=" + "9" * 37 + "..."),
], ids=["negative", "word", "float", "empty", "huge"])
def test_seed_must_be_a_non_negative_integer(command: str, value: str, shown: str,
                                             tmp_path: Any) -> None:
    # issue 15: --seed -1 reached numpy's default_rng and ended in a traceback
    out = tmp_path / "report"
    extra = f" --out {out}" if command.startswith("report") else ""
    result = CliRunner().invoke(cli, [*shlex.split(command + extra), f"--seed={value}"],
                                prog_name="symconv")
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"symconv: error: {shown} must be a non-negative integer"), lines
    assert "Traceback" not in result.output and not out.exists()


def test_every_seed_option_is_checked() -> None:
    from symconv.cli._seed import SEED

    seeded = []
    for name in cli.list_commands(click.Context(cli)):
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        for p in command.params:
            if "--seed" in p.opts:
                assert p.type is SEED and p.default == 0, name
                seeded.append(name)
    assert sorted(seeded) == sorted(c.split()[0] for c in SEEDED)


def test_a_valid_seed_is_accepted() -> None:
    result = _invoke("latex conv --in 4 --kernel 3 --fragment --seed 7")
    assert result.exit_code == 0, result.output


def test_a_value_click_echoes_whole_is_cut_in_the_error_line() -> None:
    result = CliRunner().invoke(cli, ["latex", "3x" * 3000 + "3", "--in", "4"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 400, lines
    assert "(6003 characters)" in lines[0] and "is not one of 'conv'" in lines[0]


def test_a_path_the_system_refuses_is_one_line(tmp_path: Any) -> None:
    result = CliRunner().invoke(cli, ["prove", "--list", "--proofs", str(tmp_path / ("n" * 300))])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "File name too long" in lines[0] and "(3" in lines[0], lines


@pytest.mark.parametrize(("error", "text"), [
    (MemoryError, "ran out of memory although the estimate was within the budget"),
    (RecursionError, "nested too deeply"),
])
def test_last_resort_errors_are_one_line(monkeypatch: pytest.MonkeyPatch, error: type,
                                         text: str) -> None:
    """The budgets should make these impossible; if one slips through it is still one line
    (and tests/test_fuzz.py counts it as a failure)."""
    def boom(*args: Any, **kwargs: Any) -> None:
        raise error()

    monkeypatch.setattr("symconv.cli.shape.render_text", boom)
    result = CliRunner().invoke(cli, ["shape", "conv", "--in", "8", "--kernel", "3"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0], lines
