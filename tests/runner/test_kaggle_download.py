"""Kaggle downloads through the real `kaggle` client, against a loopback server that speaks its API.

The client is pointed at the server the way its own settings allow: `KAGGLE_API_ENVIRONMENT=LOCALHOST` makes it call
`http://localhost/api/v1/...`, and `HTTP_PROXY` (honoured by `requests`) sends those calls to the server's port. No
function is patched: `runner prepare` runs as a child process with that environment.
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow  # each test runs `runner prepare` in a child process

SLUG = "tiny-titanic"
USER, KEY = "benchsmith-test", "0123456789abcdef"
_DOWNLOAD = "/api/v1/competitions.CompetitionApiService/DownloadDataFiles"

_PREPARE = b"""import pandas as pd


def prepare(raw, public, private):
    table = pd.read_csv(raw / "train.csv")
    train, test = table.iloc[:30], table.iloc[30:]
    train.to_csv(public / "train.csv", index=False)
    test.drop(columns=["label"]).to_csv(public / "test.csv", index=False)
    test[["id", "label"]].to_csv(private / "answers.csv", index=False)
    test[["id"]].assign(label=0).to_csv(public / "sample_submission.csv", index=False)
"""

_MANIFEST = f"""schema_version: 1
id: {SLUG}
version: 1.0.0
kind: competition
title: A tiny Kaggle-sourced task
description: {SLUG}/description.md
tags: {{modality: tabular, problem: binary, domain: testing}}
license: CC0-1.0
sources:
  - name: raw
    kaggle: {SLUG}
prepare: {{script: {SLUG}/prepare.py}}
submission: {{id_column: id, columns: [label]}}
metric: {{name: accuracy, higher_is_better: true}}
resources: {{cpus: 1, memory_gb: 1, gpu: none, time_limit: 5m, network: false}}
provenance: {{origin: hand-written, by: tests}}
"""


def _served_zip() -> bytes:
    rows = "".join(f"{i},{i % 5},{i % 2}\n" for i in range(40))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("train.csv", "id,x,label\n" + rows)
    return buffer.getvalue()


@dataclass
class FakeKaggle:
    """What the server serves and what it was asked."""

    port: int
    archive: bytes = field(default_factory=_served_zip)
    rules_accepted: bool = True
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    """(method, path, basic-auth user) of every request."""


@pytest.fixture
def kaggle(tmp_path: Path) -> Iterator[FakeKaggle]:
    """A loopback server answering the calls the kaggle client makes to download a competition's files."""
    state = FakeKaggle(port=0)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _user(self) -> str:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return ""
            user, _, key = base64.b64decode(header[6:]).decode().partition(":")
            return user if key == KEY else f"{user} (wrong key)"

        def _json(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _answer(self) -> None:
            path = urlsplit(self.path).path  # through a proxy the request line holds the whole URL
            user = self._user()
            state.calls.append((self.command, path, user))
            if path == _DOWNLOAD and self.command == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                if user != USER:
                    self._json(401, {"code": 401, "message": "Unauthenticated"})
                elif request.get("competitionName") != SLUG:
                    self._json(404, {"code": 404, "message": "Competition not found"})
                elif not state.rules_accepted:
                    message = "You must accept this competition's rules before you'll be able to download files."
                    self._json(403, {"code": 403, "message": message})
                else:
                    self.send_response(302)
                    self.send_header("Location", f"http://localhost/files/{SLUG}.zip?token=signed")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
            elif path == f"/files/{SLUG}.zip" and self.command == "GET":
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(state.archive)))
                self.end_headers()
                self.wfile.write(state.archive)
            else:
                self._json(404, {"code": 404, "message": f"no route {path}"})

        do_GET = do_POST = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()


@pytest.fixture
def task(tmp_path: Path) -> Path:
    manifest = tmp_path / "tasks" / f"{SLUG}.yaml"
    folder = manifest.parent / SLUG
    folder.mkdir(parents=True)
    manifest.write_text(_MANIFEST)
    (folder / "description.md").write_text("# Tiny\nPredict `label`.\n")
    (folder / "prepare.py").write_bytes(_PREPARE)
    return manifest


def _prepare(
    tmp_path: Path, manifest: Path, *, port: int, credentials: bool = True, extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("KAGGLE_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"))
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        KAGGLE_API_ENVIRONMENT="LOCALHOST",
        HTTP_PROXY=f"http://127.0.0.1:{port}",
        http_proxy=f"http://127.0.0.1:{port}",
    )
    if credentials:
        env.update(KAGGLE_USERNAME=USER, KAGGLE_KEY=KEY)
    command = [sys.executable, "-m", "runner", "prepare", str(manifest), "--cache-dir", str(tmp_path / "cache")]
    return subprocess.run(
        [*command, *extra], capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False
    )


def _one_line_error(completed: subprocess.CompletedProcess[str]) -> str:
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    return lines[0]


def test_download_prepares_the_task_and_keeps_the_zip(tmp_path: Path, task: Path, kaggle: FakeKaggle) -> None:
    completed = _prepare(tmp_path, task, port=kaggle.port, extra=("--format", "json"))
    assert completed.returncode == 0, completed.stderr
    [row] = json.loads(completed.stdout)
    assert row["id"] == SLUG
    assert sorted(path.name for path in Path(row["public"]).iterdir()) == [
        "sample_submission.csv",
        "test.csv",
        "train.csv",
    ]
    assert (Path(row["private"]) / "answers.csv").read_text().startswith("id,label\n30,0\n")
    assert ("POST", _DOWNLOAD, USER) in kaggle.calls
    assert any(call[:2] == ("GET", f"/files/{SLUG}.zip") for call in kaggle.calls)  # the redirect was followed
    kept = tmp_path / "cache" / "kaggle" / SLUG / f"{SLUG}.zip"
    assert kept.read_bytes() == kaggle.archive
    # Prepared again from scratch, the kept zip is used: the server is not asked twice.
    calls = len(kaggle.calls)
    again = _prepare(tmp_path, task, port=kaggle.port, extra=("--force",))
    assert again.returncode == 0, again.stderr
    assert len(kaggle.calls) == calls


def test_rules_not_accepted_names_the_rules_page(tmp_path: Path, task: Path, kaggle: FakeKaggle) -> None:
    kaggle.rules_accepted = False
    line = _one_line_error(_prepare(tmp_path, task, port=kaggle.port))
    assert f"https://www.kaggle.com/competitions/{SLUG}/rules" in line
    assert "accept" in line


def test_rejected_credentials_say_how_to_make_new_ones(tmp_path: Path, task: Path, kaggle: FakeKaggle) -> None:
    # Credentials from the client's own file this time, with a key the server does not know.
    (tmp_path / "home" / ".kaggle").mkdir(parents=True)
    (tmp_path / "home" / ".kaggle" / "kaggle.json").write_text(json.dumps({"username": USER, "key": "wrong"}))
    line = _one_line_error(_prepare(tmp_path, task, port=kaggle.port, credentials=False))
    assert "HTTP 401" in line and "kaggle.json" in line
    assert kaggle.calls[0][2] == f"{USER} (wrong key)"


def test_without_credentials_says_what_to_do(tmp_path: Path, task: Path, kaggle: FakeKaggle) -> None:
    line = _one_line_error(_prepare(tmp_path, task, port=kaggle.port, credentials=False))
    assert "kaggle.json" in line and "--raw" in line
    assert kaggle.calls == []


def test_without_network_one_line_and_exit_1(tmp_path: Path, task: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on: every connection is refused
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    line = _one_line_error(_prepare(tmp_path, task, port=closed))
    assert "cannot reach Kaggle" in line and "--raw" in line
