"""`runner generate FOLDER --no-llm` on a folder of WAV files with a labels table (here: real espeak-ng speech)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from runner.datasets import export_audio_folder
from spec import DeclarativePrepare, FileSource, load_task
from tests.conftest import require

REPO = Path(__file__).resolve().parents[2]


def _runner(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from runner.cli import main; main()", *arguments]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=900, check=False)


def test_a_folder_of_spoken_commands_becomes_a_task_that_passes_execution_validation(tmp_path: Path) -> None:
    require(
        None if shutil.which("espeak-ng") else "espeak-ng is not installed",
        "the folder's clips are synthesised by it; .ci/run installs it (apt-get install espeak-ng)",
    )
    folder = tmp_path / "commands"
    assert export_audio_folder("espeak:commands", folder, readme="Ten spoken commands.") == 280
    out, cache = tmp_path / "tasks", tmp_path / "cache"
    made = _runner("generate", str(folder), "--no-llm", "--out", str(out), "--cache-dir", str(cache))
    assert made.returncode == 0, made.stdout + made.stderr
    assert "accepted 1" in made.stdout
    [manifest_path] = sorted(out.glob("*.yaml"))
    assert manifest_path.stem == "commands-word"
    manifest = load_task(manifest_path).manifest
    assert manifest is not None and manifest.tags.modality == "audio" and manifest.tags.problem == "multiclass"
    assert isinstance(manifest.prepare, DeclarativePrepare) and manifest.prepare.split.audio is not None
    assert all(isinstance(source, FileSource) for source in manifest.sources)
    with zipfile.ZipFile(out / "commands-word" / "audio.zip") as archive:
        assert len(archive.namelist()) == 280
    assert "Ten spoken commands." in (out / "commands-word" / "description.md").read_text(encoding="utf-8")
    reference = manifest.baselines["reference"].score
    assert reference is not None and 0.5 < reference < 1.0
    # Accepted means the static and execution checks (the audio leak check among them) passed in the generator.


def test_a_folder_of_audio_needs_the_no_llm_generator(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "a.wav").write_bytes(b"RIFF")
    (folder / "labels.csv").write_text("file,label\na.wav,x\n", encoding="utf-8")
    done = _runner("generate", str(folder), "--out", str(tmp_path / "out"), "--model", "m")
    assert done.returncode != 0
    assert "a folder of images or audio is generated from with --no-llm only" in done.stdout + done.stderr
