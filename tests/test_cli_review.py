"""``symconv review``: the table, the JSON, exit statuses 0/1/2 and one-line errors."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from symconv.cli import cli
from symconv.network.model import load
from symconv.report.review_text import render_text
from symconv.review import review

EXAMPLES = Path(__file__).resolve().parent.parent / "symconv" / "network" / "examples"
UNET = str(EXAMPLES / "unet.yaml")
AE = str(EXAMPLES / "autoencoder.yaml")
DCGAN = str(EXAMPLES / "dcgan_generator.yaml")


def run(args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(cli, ["review", *shlex.split(args)], prog_name="symconv")
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def test_text_is_the_renderer_output() -> None:
    out = run(f"{UNET} --input 256x256").stdout
    assert out == render_text(review(load(UNET), (256, 256))) + "\n"
    assert "axis 0: H = 0 mod 16" in out
    assert "0 errors, 4 warnings" in out


def test_errors_exit_1() -> None:
    out = run(f"{UNET} --input 100x96", code=1).stdout
    assert "SC002 skip-mismatch" in out and "cat3" in out


def test_fail_on_warning() -> None:
    run(f"{DCGAN}")
    run(f"{UNET} --input 256x256")
    run(f"{UNET} --input 256x256 --fail-on warning", code=1)
    out = run(f"{UNET} --input 256x256 --fail-on warning --ignore SC208,sc301").stdout
    assert "0 errors, 0 warnings" in out
    assert "unknown" not in out


def test_json_is_deterministic_and_complete() -> None:
    a = run(f"{AE} --input 64x64 --json").stdout
    b = run(f"{AE} --input 64x64 --json").stdout
    assert a == b
    data = json.loads(a)
    assert data["schema"] == "symconv-review/1"
    assert data["input_size"] == [64, 64]
    assert {f["code"] for f in data["findings"]} >= {"SC101", "SC102", "SC207"}
    assert data["tensors"][-1]["value"] == [64, 64]
    schema = json.loads((EXAMPLES.parents[1] / "review" / "schema" / "review.schema.json").read_text())
    assert set(schema["required"]) <= set(data)


def test_symbolic_ignores_integer_sizes_in_the_file() -> None:
    data = json.loads(run(f"{DCGAN} --symbolic --json").stdout)
    assert data["input_size"] is None
    assert data["tensors"][-1]["value"] is None


@pytest.mark.parametrize(("args", "fragment"), [
    ("{tmp}/missing.yaml", "must be readable"),
    ("{tmp}/bad.yaml", "must be valid YAML"),
    ("{tmp}/tag.yaml", "must not contain YAML tags"),
    ("{tmp}/bad.json", "must be valid JSON"),
    ("{tmp}/bad.toml", "must be valid TOML"),
    ("{tmp}/cycle.yaml", "must not form a cycle"),
    ("{tmp}/dup_input.yaml", "inputs[1] (x): name='x' must be unique (already used in inputs[0])"),
    ("{tmp}/input_layer.yaml", "layers[0] (y): name='y' must be unique (already used in "
                               "inputs[1])"),
    ("{tmp}/net.txt", "must end in .yaml"),
    (f"{UNET} --input 256", "must have 2 axes"),
    (f"{UNET} --input abc", "--input='abc' must be sizes"),
    (f"{UNET} --input 8x8 --symbolic", "mutually exclusive"),
    (f"{UNET} --ignore SC999", "code='SC999' must be one of"),
    ("{tmp}/corrupt.onnx", "onnx"),
])
def test_bad_input_is_one_line_exit_2(tmp_path: Path, args: str, fragment: str) -> None:
    (tmp_path / "bad.yaml").write_text("inputs: [\n")
    (tmp_path / "tag.yaml").write_text("!!python/object/apply:os.system ['true']\n")
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "bad.toml").write_text("a = ")
    (tmp_path / "net.txt").write_text("")
    (tmp_path / "corrupt.onnx").write_bytes(b"\x08\x07garbage")
    (tmp_path / "cycle.yaml").write_text(
        "inputs: [{name: x, size: [8]}]\nlayers:\n  - {name: a, op: relu, inputs: [b]}\n"
        "  - {name: b, op: relu, inputs: [a]}\n")
    (tmp_path / "dup_input.yaml").write_text(  # issue 15: read as two inputs x, 8 and 16
        "inputs:\n  - {name: x, size: [8]}\n  - {name: x, size: [16]}\nlayers:\n"
        "  - {name: c, op: conv, kernel: 3}\n")
    (tmp_path / "input_layer.yaml").write_text(
        "inputs: [{name: x, size: [8]}, {name: y, size: [8]}]\nlayers:\n"
        "  - {name: y, op: add, inputs: [x, y]}\n")
    result = run(args.format(tmp=tmp_path), code=2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symconv: error: ")
    assert fragment.lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in result.output


def test_help_lists_examples_and_exit_codes() -> None:
    out = run("--help").stdout
    assert "symconv review symconv/network/examples/unet.yaml --symbolic" in out
    assert "Exit status" in out


@pytest.mark.parametrize("path", [UNET, AE, DCGAN])
def test_json_follows_its_schema(path: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((EXAMPLES.parents[1] / "review" / "schema" / "review.schema.json").read_text())
    for args in ("--symbolic --json", "--json"):
        result = CliRunner().invoke(cli, ["review", path, *args.split()], prog_name="symconv")
        jsonschema.validate(json.loads(result.stdout), schema)
