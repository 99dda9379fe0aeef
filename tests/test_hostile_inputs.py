"""Config bombs (issue #20 item 8): the config file and lint inputs are read with bounds. An alias bomb,
deep nesting, a self-referencing alias or non-UTF-8 bytes are one short error and exit 2; an error that
quotes a value quotes a short prefix. The bombs run in a child with a 1 GiB address-space limit, so the
code before the fix failed the test with MemoryError instead of taking the machine's memory."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from gitea_provider_monitoring import cli
from gitea_provider_monitoring.model import bounded_load
from gitea_provider_monitoring.model.config import load_config
from tests.conftest import REPO_ROOT


def alias_bomb(levels: int = 9, width: int = 10) -> str:
    """A ~450-byte flow sequence whose aliases expand to width**levels strings."""
    expr = '&b0 [' + ",".join(['"lol"'] * width) + ']'
    for i in range(1, levels):
        expr = f'&b{i} [{expr}, ' + ",".join([f"*b{i - 1}"] * (width - 1)) + ']'
    return expr


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gitea_provider_monitoring.cli", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, preexec_fn=_limited)


ATTACKS = {
    "alias bomb": alias_bomb().encode(),
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "self-referencing alias": b"&a [*a]",
    "non-UTF-8": b"'\xff\xfe0.2'",
}
WHY = {"alias bomb": "alias bomb", "deep nesting": "nested deeper than", "self-referencing alias": "contains it",
       "non-UTF-8": "not UTF-8"}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_config_bombs_are_one_short_error_with_exit_2(attack: str, tmp_path: Path) -> None:
    cfg = tmp_path / "bomb.yaml"
    cfg.write_bytes(b"thresholds:\n  reconcile_failure_ratio: " + ATTACKS[attack] + b"\n")
    out = run_cli("build", "--config", str(cfg), "--out", str(tmp_path / "out"))
    assert out.returncode == 2, out.stderr[-500:]
    assert len(out.stderr) < 400 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "bomb.yaml" in out.stderr and WHY[attack] in out.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_lint_bombs_are_one_short_error_with_exit_2(attack: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(b"groups:\n- name: g\n  rules: " + ATTACKS[attack] + b"\n")
    out = run_cli("lint", str(rules))
    assert out.returncode == 2, out.stderr[-500:]
    assert len(out.stderr) < 400 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "rules.yaml" in out.stderr


def test_deep_json_dashboard_is_one_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    dash = tmp_path / "dash.json"
    dash.write_text("[" * 100_000 + "]" * 100_000)
    assert cli.main(["lint", str(dash)]) == 2
    err = capsys.readouterr().err
    assert "dash.json" in err and "nested deeper than" in err and err.count("\n") == 1


def test_bomb_inside_a_configmap_value_is_one_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cm = tmp_path / "cm.yaml"
    cm.write_text("kind: ConfigMap\nmetadata: {name: rules}\ndata:\n  rules.yaml: |\n    groups: "
                  + alias_bomb() + "\n")
    assert cli.main(["lint", str(cm)]) == 2
    assert "alias bomb" in capsys.readouterr().err


def test_a_long_value_is_quoted_by_a_short_prefix(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cfg = tmp_path / "long.yaml"
    cfg.write_text("thresholds:\n  reconcile_failure_ratio: '" + "x" * 100_000 + "'\n")
    assert cli.main(["build", "--config", str(cfg), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "reconcile_failure_ratio" in err and len(err) < 500


def test_ordinary_anchors_and_merge_keys_still_load(tmp_path: Path) -> None:
    cfg = tmp_path / "anchors.yaml"
    cfg.write_text("provider:\n  controllers: &c [managed/repository, managed/user]\n"
                   "thresholds: &t\n  reconcile_failure_ratio: 0.2\n")
    assert load_config(cfg).provider.controllers == ("managed/repository", "managed/user")
    docs = bounded_load.load_yaml_all("base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  c: 3\n---\n- &c {a: 1}\n- *c\n",
                                      "t.yaml")
    assert docs == [{"base": {"a": 1, "b": 2}, "x": {"a": 1, "b": 2, "c": 3}}, [{"a": 1}, {"a": 1}]]


def test_alias_budget_is_counted_with_what_each_alias_stands_for() -> None:
    assert len(bounded_load.load_yaml(alias_bomb(levels=3), "ok.yaml")) == 10  # 1,000 strings: under budget
    with pytest.raises(bounded_load.InputTooLarge, match="alias bomb"):
        bounded_load.load_yaml(alias_bomb(levels=5), "bomb.yaml")  # 100,000


def test_size_and_depth_limits(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("x" * 2048)
    with pytest.raises(bounded_load.InputTooLarge, match="larger than 1024 bytes"):
        bounded_load.read_text(big, max_bytes=1024)
    assert bounded_load.load_json("[" * 100 + "]" * 100, "ok.json") is not None
    with pytest.raises(bounded_load.InputTooLarge, match="nested deeper than 100"):
        bounded_load.load_json("[" * 101 + "]" * 101, "deep.json")
    with pytest.raises(bounded_load.InputTooLarge, match="invalid JSON"):
        bounded_load.load_json("1" * 5000, "digits.json")


def test_excerpt_never_walks_a_whole_value() -> None:
    shared = ["x" * 50] * 10
    for _ in range(8):
        shared = [shared] * 10  # 10**9 strings if printed whole
    text = bounded_load.excerpt(shared)
    assert len(text) <= bounded_load.EXCERPT_CHARS
    recursive: list = []
    recursive.append(recursive)
    assert len(bounded_load.excerpt(recursive)) <= bounded_load.EXCERPT_CHARS
