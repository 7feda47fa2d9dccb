"""Download the FineWeb-10B GPT-2 token shards the NanoGPT record scripts read, and cut the validation slice.

public/fineweb10B/fineweb_train_*.bin   the training shards, as the record scripts expect them
public/fineweb10B/fineweb_val_000000.bin  a dev shard for the scripts' own validation loop: the `val_tokens` tokens
                                        that follow the evaluation slice in the published val shard (same header)
private/val_slice.bin                   the evaluation slice: the first `val_tokens` validation tokens, headerless
                                        uint16; never public, so a timed script cannot memorise it
private/fineweb-sha256.json             digests of the downloaded shards (trust on first use, see the json)

The 1-GPU chain trains on 1/64 of each record's tokens (at most about 51M, record 4), so one training shard of 100M
tokens is enough: NANOGPT_TRAIN_SHARDS defaults to 1 (about 0.3 GB of downloads). On a machine without a network,
set NANOGPT_FINEWEB_DIR to a folder holding the shards (fineweb_val_000000.bin, fineweb_train_000001.bin, ...,
as downloaded from the URLs in fineweb-files.json): they are copied from there instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
from pathlib import Path

HEADER_INTS = 256
MAGIC = 20240520


def _download(url: str, target: Path) -> str:
    digest = hashlib.sha256()
    partial = target.with_suffix(".part")
    local = os.environ.get("NANOGPT_FINEWEB_DIR")
    name = url.rsplit("/", 1)[1]
    if local and not (Path(local) / name).is_file():
        raise SystemExit(f"NANOGPT_FINEWEB_DIR={local} holds no {name}: download it from {url} first")
    opened = (Path(local) / name).open("rb") if local else urllib.request.urlopen(url, timeout=60)
    with opened as response, partial.open("wb") as out:
        while chunk := response.read(1 << 22):
            digest.update(chunk)
            out.write(chunk)
    partial.replace(target)
    return digest.hexdigest()


def prepare(raw: Path, public: Path, private: Path) -> None:
    files = json.loads((raw / "fineweb-files.json").read_text())
    shards = public / "fineweb10B"
    shards.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    train = files["train"][: int(os.environ.get("NANOGPT_TRAIN_SHARDS", 1))]
    digests = {}
    for url in train:
        name = url.rsplit("/", 1)[1]
        digests[name] = _download(url, shards / name)
    val_name = files["val"][0].rsplit("/", 1)[1]
    downloaded = private / val_name
    digests[val_name] = _download(files["val"][0], downloaded)
    (private / "fineweb-sha256.json").write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    tokens = files["val_tokens"]
    with downloaded.open("rb") as handle:
        header = bytearray(handle.read(HEADER_INTS * 4))
        if int.from_bytes(header[:4], "little") != MAGIC:
            raise ValueError(f"{val_name}: not a FineWeb token shard (bad magic number)")
        evaluation, dev = handle.read(tokens * 2), handle.read(tokens * 2)
    if len(dev) != tokens * 2:
        raise ValueError(f"{val_name} holds fewer than {2 * tokens} tokens (the evaluation slice and a dev shard)")
    (private / "val_slice.bin").write_bytes(evaluation)
    header[8:12] = tokens.to_bytes(4, "little")  # the header's token count
    (shards / val_name).write_bytes(bytes(header) + dev)
    downloaded.unlink()
