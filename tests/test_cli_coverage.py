"""``symconv coverage``: the report, JSON, files written atomically and deterministically, exit
statuses (0, 1 with --check, 2 with the column of a bad layer text)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import networkx as nx
from click.testing import CliRunner

from symconv.cli import cli
from symconv.cli.coverage import EPILOG
from symconv.coverage import analyze
from symconv.report.coverage_text import render_text, to_dict
from symconv.spec.syntax import parse_layers

EXAMPLE = '--layer "conv-transpose k=3 s=2" --layer "conv-transpose k=4 s=2" --in 16x16'


def run(args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(cli, ["coverage", *shlex.split(args)], prog_name="symconv")
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def test_the_issue_example() -> None:
    out = run(EXAMPLE).stdout
    expected = render_text(analyze(parse_layers(["conv-transpose k=3 s=2",
                                                 "conv-transpose k=4 s=2"]), (16, 16)))
    assert out == expected + "\n"
    assert "layer 1: conv-transpose k=3 s=2  (16x16 -> 33x33)" in out
    assert "UNEVEN  1..4, ratio 4 (per axis 2 x 2), period 2x2, pattern [[4 2] [2 1]]" in out
    assert "fix       conv-transpose k=4 s=2 p=1 op=1  (same output 33x33)" in out
    assert "stack output: even, 9 paths per position (the layers' unevenness cancels)" in out


def test_json_is_the_analysis_and_deterministic() -> None:
    first = run(EXAMPLE + " --json").stdout
    assert first == run(EXAMPLE + " --json").stdout
    data = json.loads(first)
    assert data == json.loads(json.dumps(to_dict(analyze(
        parse_layers(["conv-transpose k=3 s=2", "conv-transpose k=4 s=2"]), (16, 16)))))
    layer = data["layers"][0]
    assert layer["forward"]["ratio"] == "4" and layer["forward"]["pattern"] == [[4, 2], [2, 1]]
    assert layer["suggestions"][0]["layer"] == "conv-transpose k=4 s=2 p=1 op=1"
    assert data["uniform"] is True and data["interaction"] == "cancels"
    assert len(data["stack"]["counts"]) == 68


def test_gradient_checkerboard_of_a_strided_conv() -> None:
    data = json.loads(run('--layer "conv k=3 s=2 p=1" --in 32x32 --json').stdout)
    assert data["gradient"]["pattern"] == [[1, 2], [2, 4]]
    assert data["layers"][0]["suggestions"][0]["layer"] == "conv k=4 s=2 p=1"


def test_check_flag() -> None:
    run('--layer "conv-transpose k=3 s=2" --in 8 --check', code=1)
    run('--layer "conv-transpose k=4 s=2 p=1" --in 8 --check', code=0)


def test_bad_layer_text_gives_the_column() -> None:
    result = run('--layer "conv k=3" --layer "conv-transpose k=3 s=2 q=1" --in 16', code=2)
    assert result.stderr.count("\n") == 1
    assert "symconv: error: layer 2: parameter q=1 (column 24 of layer " in result.stderr
    assert "Traceback" not in result.output
    bad_value = run('--layer "conv k=3x" --in 16', code=2).stderr
    assert "k=3x (column 8 of layer 'conv k=3x')" in bad_value
    rule = run('--layer "conv-transpose k=3 s=2 op=2" --in 16', code=2).stderr
    assert "output_padding=2 must be smaller than stride=2" in rule and "column 24" in rule


def test_other_bad_input_exits_2() -> None:
    assert "--in='abc'" in run('--layer "conv k=3" --in abc', code=2).stderr
    assert "kernel=9" in run('--layer "conv k=9" --in 4', code=2).stderr
    run("--in 4", code=2)


def test_files_are_written_atomically_and_deterministically(tmp_path: Path) -> None:
    paths = {ext: tmp_path / f"cov.{ext}" for ext in ("png", "graphml", "dot")}
    args = (f'--layer "conv-transpose k=3 s=2 p=1" --layer "conv k=2" --in 6 '
            f'--png {paths["png"]} --graphml {paths["graphml"]} --dot {paths["dot"]}')
    run(args)
    first = {k: p.read_bytes() for k, p in paths.items()}
    run(args)
    assert {k: p.read_bytes() for k, p in paths.items()} == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cov.dot", "cov.graphml", "cov.png"]
    assert first["png"][:8] == b"\x89PNG\r\n\x1a\n"
    umask = os.umask(0)
    os.umask(umask)
    assert all(p.stat().st_mode & 0o777 == 0o666 & ~umask for p in paths.values())
    G = nx.read_graphml(paths["graphml"])
    assert G.number_of_nodes() == 6 + 11 + 10
    assert first["dot"].decode().count(" -> ") == G.number_of_edges()


def test_unwritable_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "x.png"
    err = run(f'--layer "conv k=3" --in 8 --png {missing}', code=2).stderr
    assert err.startswith("symconv: error: --png=") and err.count("\n") == 1


def test_help_has_examples_and_the_syntax() -> None:
    out = run("--help").stdout
    for fragment in ("Examples:", "conv-transpose k=4 s=2 p=1 op=0 d=1", "upsample-nearest f=2",
                     "--png", "--graphml", "--dot", "--json", "--check", "Exit status"):
        assert fragment in out
    assert EPILOG.splitlines()[1].strip() in out


def test_console_script_runs_the_example() -> None:
    argv = [sys.executable, "-m", "symconv", "coverage", *shlex.split(EXAMPLE)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "stack output: even" in done.stdout


# --------------------------------------------------------------------------- budgets (issue 15)


def one_line_refusal(args: str) -> str:
    err = run(args, code=2).stderr
    assert err.startswith("symconv: error: ") and err.count("\n") == 1, err
    return err


def test_a_parameter_sized_output_is_refused_in_one_line() -> None:
    err = one_line_refusal('--layer "conv-transpose k=3 s=1000000000" --in 4')
    assert "3,000,000,0" in err and "layer 1 'conv-transpose k=3 s=1000000000'" in err
    assert "--max-nnz" in err and "GiB" in err


def test_max_nnz_is_the_budget_of_the_analysis() -> None:
    args = '--layer "conv-transpose k=3 s=2" --in 64x64'
    err = one_line_refusal(args + " --max-nnz 1000")
    assert err.startswith("symconv: error: max_nnz=1,000 must be at least the ")
    assert "stack output" in run(args + " --max-nnz 100000").stdout
    assert "must be a positive integer" in one_line_refusal(args + " --max-nnz 0")


def test_graph_exports_are_refused_before_writing(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    target.write_text("old\n")
    err = one_line_refusal(f'--layer "conv k=3" --in 64x64 --dot {target} --max-graph 1000')
    assert "max_graph=1,000 must be at least the 42,536 nodes and edges" in err
    assert "--max-graph" in err
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot"]
    run(f'--layer "conv k=3" --in 64x64 --dot {target} --max-graph 42536')
    assert target.read_text().count(" -> ") == 62 * 62 * 9


def test_the_issue_exports_end_cleanly(tmp_path: Path) -> None:
    # 2048x2048 (4.2 M positions, 38 M taps) is over the analysis budget: refused at once
    err = one_line_refusal(f'--layer "conv k=3" --in 2048x2048 --dot {tmp_path / "g.dot"}')
    assert "--max-nnz" in err
    err = one_line_refusal(f'--layer "conv k=3" --in 2048x2048 --max-nnz 100000000 '
                           f'--graphml {tmp_path / "g.graphml"}')
    assert "max_graph=3,000,000 must be at least" in err
    assert list(tmp_path.iterdir()) == []


def test_streamed_files_are_the_networkx_files(tmp_path: Path) -> None:
    from symconv.coverage import stack_coverage
    from symconv.coverage.graph import graph_from_maps, to_dot, to_graphml

    texts = ["conv-transpose k=3 s=2", "conv k=3 p=1 padding_mode=reflect"]
    run(" ".join(f'--layer "{t}"' for t in texts)
        + f' --in 5x4 --dot {tmp_path / "g.dot"} --graphml {tmp_path / "g.graphml"}')
    st = stack_coverage(parse_layers(texts), (5, 4))
    G = graph_from_maps(st.maps)
    assert (tmp_path / "g.graphml").read_bytes() == to_graphml(G, st.forward)
    assert (tmp_path / "g.dot").read_text() == to_dot(G, st.forward)


def test_an_interrupted_export_leaves_no_file(tmp_path: Path, monkeypatch: Any) -> None:
    import symconv.coverage.export as export

    def broken(maps: Any, values: Any = None) -> Any:
        yield "digraph coverage {\n"
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "iter_dot", broken)
    result = CliRunner().invoke(cli, ["coverage", "--layer", "conv k=3", "--in", "8",
                                      "--dot", str(tmp_path / "g.dot")])
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


def test_running_out_of_memory_is_one_line(monkeypatch: Any) -> None:
    import symconv.coverage as coverage_pkg

    def exhausted(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(coverage_pkg, "analyze", exhausted)
    err = one_line_refusal('--layer "conv k=3" --in 8')
    assert "ran out of memory" in err and "--max-nnz" in err


def test_huge_parameters_end_cleanly_under_the_issue_limits() -> None:
    cases = ['--layer "upsample-linear f=10000000" --in 4',
             '--layer "upsample-linear f=1000000000" --in 4x4',
             '--layer "conv k=3 d=1000000000" --in 8',
             '--layer "max-pool k=2 s=1000000000 d=1000000000" --in 8x8',
             '--layer "pixel-shuffle r=1000000" --in 4x4',
             '--layer "conv-transpose k=3 s=100000" --layer "conv-transpose k=3 s=100000" --in 4',
             '--layer "upsample-nearest f=1000" --layer "conv k=100000 s=3" --in 1000']
    for args in cases:
        argv = [sys.executable, "-c",
                "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30));"
                "from symconv.cli import main; sys.argv[0] = 'symconv'; main()",
                "coverage", *shlex.split(args)]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=20)
        assert done.returncode in (0, 2), (args, done.stderr[-500:])
        if done.returncode == 2:
            assert done.stderr.startswith("symconv: error: "), (args, done.stderr)
            assert done.stderr.count("\n") == 1, (args, done.stderr)


def test_figures_of_long_axes_and_huge_counts_are_cheap(tmp_path: Path) -> None:
    # 200,000 positions are drawn as 1,000 bins; 3**20 paths as a continuous colour scale
    # (one colour level per count would be 3.5 billion levels)
    run(f'--layer "conv k=3" --in 200000 --png {tmp_path / "a.png"}')
    layers = " ".join(['--layer "conv k=3 p=1"'] * 20)
    run(f'{layers} --in 50x50 --png {tmp_path / "b.png"}')
    assert all((tmp_path / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in ("a.png", "b.png"))
