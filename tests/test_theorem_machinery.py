"""The theorem machinery itself: verdict logic, derivation steps, loading, and `symconv prove`."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner

from symconv.cli import cli
from symconv.errors import ProofError
from symconv.theory.theorem import Check, Step, Theorem, check_step, load_theorems, run_theorem


def _theorem(check, expected=None, derivation=None) -> Theorem:  # type: ignore[no-untyped-def]
    return Theorem(id="T90", title="toy", statement="x", grid=lambda size: [{"x": v} for v in
                                                                            range(6)],
                   check=check, expected=expected, derivation=derivation)


def test_a_statement_that_holds_everywhere_is_proved() -> None:
    r = run_theorem(_theorem(lambda p: Check(True)))
    assert (r.verdict, r.instances, r.instances_holding, r.counterexamples) == ("proved", 6, 6, [])


def test_an_unexpected_failure_contradicts_and_is_reported() -> None:
    r = run_theorem(_theorem(lambda p: Check(p["x"] != 4, "x is 4")))
    assert r.verdict == "contradicted"
    assert r.counterexamples == [({"x": 4}, "x is 4")]
    assert r.contradictions[0][0] == {"x": 4}


def test_a_stated_failure_region_is_part_of_the_statement() -> None:
    # The identity fails exactly for x >= 3 and the theorem says so: proved.
    r = run_theorem(_theorem(lambda p: Check(p["x"] < 3), expected=lambda p: p["x"] < 3))
    assert r.verdict == "proved"
    assert [p["x"] for p, _ in r.counterexamples] == [3, 4, 5]
    # Claiming a wrong region is caught in both directions.
    r = run_theorem(_theorem(lambda p: Check(p["x"] < 3), expected=lambda p: p["x"] < 4))
    assert r.verdict == "contradicted" and r.contradictions[0][0] == {"x": 3}


def test_steps_are_proved_symbolically_and_checked_on_values() -> None:
    n = sympy.Symbol("n", integer=True, positive=True)
    s = sympy.Symbol("s", integer=True, positive=True)
    values = tuple({n: a, s: b} for a in range(1, 12) for b in range(1, 5))
    good = check_step(Step("division with remainder", s * sympy.floor(n / s) + sympy.Mod(n, s),
                           n, values))
    assert good.symbolic and good.evaluated == len(values) and good.ok
    bad = check_step(Step("wrong", sympy.floor(n / s), sympy.ceiling(n / s), values))
    assert not bad.symbolic and not bad.ok and bad.failed is not None
    assert bad.failed[n] % bad.failed[s] != 0  # the first value where floor != ceil


def test_a_failing_derivation_step_contradicts() -> None:
    n = sympy.Symbol("n", integer=True)
    r = run_theorem(_theorem(lambda p: Check(True),
                             derivation=lambda: [Step("bad", n, n + 1, ({n: 1},))]))
    assert r.verdict == "contradicted"


def _write(folder: Path, name: str, body: str) -> None:
    (folder / name).write_text(textwrap.dedent(body))


FALSE_THEOREM = """
    from symconv.theory.theorem import Check, Theorem
    THEOREM = Theorem(id="U1", title="all numbers are even", statement="2 | x",
                      grid=lambda size: [{"x": v} for v in range(4)],
                      check=lambda p: Check(p["x"] % 2 == 0, "odd"))
"""


def test_user_folder_false_theorem_exits_1(tmp_path: Path) -> None:
    _write(tmp_path, "u1.py", FALSE_THEOREM)
    result = CliRunner().invoke(cli, ["prove", "--proofs", str(tmp_path)])
    assert result.exit_code == 1
    assert "contradicted" in result.output and "CONTRADICTION x=1: statement says it holds" in (
        result.output)


def test_user_folder_json_and_list(tmp_path: Path) -> None:
    _write(tmp_path, "u1.py", FALSE_THEOREM)
    listed = CliRunner().invoke(cli, ["prove", "--proofs", str(tmp_path), "--list"])
    assert listed.exit_code == 0 and "all numbers are even" in listed.output
    result = CliRunner().invoke(cli, ["prove", "--proofs", str(tmp_path), "--json"])
    data = json.loads(result.stdout)
    assert data["all_proved"] is False
    assert data["theorems"][0]["counterexamples"][0]["params"] == {"x": 1}


def test_broken_module_and_duplicates_are_one_line_errors(tmp_path: Path) -> None:
    _write(tmp_path, "bad.py", "raise RuntimeError('boom')\n")
    result = CliRunner().invoke(cli, ["prove", "--proofs", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "symconv: error: proof module bad.py failed to import: RuntimeError: boom")
    (tmp_path / "bad.py").unlink()
    _write(tmp_path, "a.py", FALSE_THEOREM)
    _write(tmp_path, "b.py", FALSE_THEOREM)
    with pytest.raises(ProofError, match="repeated: U1"):
        load_theorems(tmp_path)


def test_unknown_id_is_rejected_with_the_catalogue() -> None:
    result = CliRunner().invoke(cli, ["prove", "T999"])
    assert result.exit_code == 2
    assert "ids=T999 must name theorems of the catalogue (T" in result.stderr


def test_catalogue_theorem_runs_from_the_cli() -> None:
    result = CliRunner().invoke(cli, ["prove", "T02"])
    assert result.exit_code == 0, result.output
    assert "T02" in result.stdout and "proved" in result.stdout


def test_explain_cites_theorems_of_the_catalogue() -> None:
    result = CliRunner().invoke(cli, ["explain", "upsampling"])
    assert result.exit_code == 0
    assert "[T09]" in result.stdout and "[T12]" in result.stdout
    known = {t.id for t in load_theorems()}
    from symconv.report.explain import UPSAMPLING_ANSWER, cited_ids

    # Every cited theorem exists in the catalogue.
    assert cited_ids(UPSAMPLING_ANSWER) <= known


def test_a_crashing_check_is_an_error_verdict_not_a_traceback() -> None:
    def boom(params):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("bug in the theorem module")

    r = run_theorem(_theorem(boom))
    assert r.verdict == "error"
    assert r.error == "the theorem's code raised ZeroDivisionError: bug in the theorem module"
