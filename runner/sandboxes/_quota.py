"""Disk quotas and neutral mounts: file systems of their own for what a sandbox sees, made on the host.

A quota folder is a loop-mounted ext4 image (sparse, sized to the quota, mounted with `discard` so freed blocks go
back to the host): a write past the quota fails inside the sandbox with ENOSPC, and the host never holds more
than the quota for it. It bounds disk, not memory (a tmpfs would count against the trial's memory limit instead),
works the same for every backend (bubblewrap and docker bind the same host folder), and needs root; without root
the folder is a plain one and a warning says the quota is not enforced.

A staged folder is a read-only overlay of a host folder, mounted from a name relative to its staging folder: the
sandbox's /proc/self/mountinfo then shows the overlay's root, `/`, and the neutral name, never the host path of
the data cache or the runs folder (a bind mount shows its source's path).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

from ._files import move_tree_out

STAGING_ROOT = Path(tempfile.gettempdir()) / "benchsmith-staging"
_IMAGE_SUFFIX = ".quota.img"
_OWNER_SUFFIX = ".quota.owner"
_MIN_QUOTA_BYTES = 8 * 1024**2  # ext4's own metadata needs a few MB
_RESERVE = ".benchsmith-reserve"
_MOUNT_OPTIONS = "loop,discard,nosuid,nodev"  # discard: blocks freed inside are given back to the host


class QuotaWarning(UserWarning):
    """A workspace quota cannot be enforced here (not root, no loop devices): writes are bounded only by the disk."""


def _run(argv: list[str], cwd: Path | None = None) -> str | None:
    """None when the command succeeded, else its error message."""
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    return None if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


def _unmount(folder: Path) -> None:
    if os.path.ismount(folder) and _run(["umount", str(folder)]) is not None:
        _run(["umount", "--lazy", str(folder)])  # still busy (a process of a killed runner): detach it anyway


def image_of(folder: Path) -> Path:
    """The image file behind a quota folder."""
    return folder.with_name(folder.name + _IMAGE_SUFFIX)


def _owner_of(folder: Path) -> Path:
    """Names the pid of the runner that mounted the quota folder, so a later runner can tell a dead one's mount."""
    return folder.with_name(folder.name + _OWNER_SUFFIX)


def _alive(pid_text: str) -> bool:
    if not pid_text.strip().isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mount_quota(folder: Path, quota_bytes: int, headroom_bytes: int = 0) -> bool:
    """Make `folder` an empty file system of `quota_bytes` (plus `headroom_bytes` for what the runner puts there
    before `fit_quota`); False (with a QuotaWarning) when it cannot be done here.

    Whatever an earlier, killed runner left at `folder` (a mount, an image, files) is removed first."""
    _unmount(folder)
    image = image_of(folder)
    image.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if os.geteuid() != 0:
        warnings.warn(
            f"the workspace disk quota is not enforced: mounting a file system of its own needs root (running as uid "
            f"{os.geteuid()}); the agent can fill the disk holding {folder}",
            QuotaWarning,
            stacklevel=2,
        )
        return False
    with image.open("wb") as handle:
        handle.truncate(max(quota_bytes, _MIN_QUOTA_BYTES) + headroom_bytes)  # sparse: holds what is written
    # No journal (a trial cut short is re-run, not recovered), no reserved blocks: the agent gets the whole quota.
    error = _run(["mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal", "-E", "nodiscard", str(image)])
    if error is None:
        error = _run(["mount", "-o", _MOUNT_OPTIONS, str(image), str(folder)])
    if error is None:
        _owner_of(folder).write_text(str(os.getpid()))
    else:
        image.unlink(missing_ok=True)
        warnings.warn(
            f"the workspace disk quota is not enforced: cannot mount a file system for {folder} ({error})",
            QuotaWarning,
            stacklevel=2,
        )
        return False
    return True


def fit_quota(folder: Path, quota_bytes: int) -> None:
    """Leave the agent `quota_bytes` free in a quota folder, whatever headroom `mount_quota` gave for what the runner
    put there first (starter code, a speedrun's data copy): the surplus is reserved by a preallocated file at the
    file system's root, which no sandbox mounts. Preallocated blocks are never written, so the host holds nothing
    for them."""
    if not os.path.ismount(folder):
        return
    stats = os.statvfs(folder)
    surplus = stats.f_bavail * stats.f_frsize - quota_bytes
    if surplus < min(1024**2, quota_bytes // 64):
        return
    fd = os.open(folder / _RESERVE, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.posix_fallocate(fd, 0, surplus)
    finally:
        os.close(fd)


def quota_exhausted(folder: Path) -> bool:
    """Whether the quota file system at `folder` is (all but) full: a write there now fails with ENOSPC."""
    if not os.path.ismount(folder):
        return False
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize < 1024**2


def release_quota(folder: Path, *, keep: bool) -> None:
    """Unmount a quota folder; with `keep`, what it held stays at `folder` as plain files (holes kept, special
    files dropped), else it is gone. A plain folder (no quota was mounted) is left as it is when kept."""
    image = image_of(folder)
    _owner_of(folder).unlink(missing_ok=True)
    if not os.path.ismount(folder):
        image.unlink(missing_ok=True)
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
        return
    kept = folder.with_name(folder.name + ".kept")
    shutil.rmtree(kept, ignore_errors=True)
    if keep:
        shutil.rmtree(folder / "lost+found", ignore_errors=True)
        (folder / _RESERVE).unlink(missing_ok=True)
        move_tree_out(folder, kept)
    _unmount(folder)
    image.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    if keep:
        kept.rename(folder)


class Staging:
    """Read-only overlays of host folders under a neutral staging folder, for one sandbox; `close` unmounts."""

    def __init__(self, label: str) -> None:
        digest = hashlib.sha256(f"{label}\0{time.time_ns()}".encode()).hexdigest()[:12]
        self.root = STAGING_ROOT / f"{os.getpid()}-{digest}"
        self.mounts: list[Path] = []

    def stage(self, name: str, source: Path) -> Path:
        """A read-only view of `source` whose mount names no host path; `source` itself where that needs root."""
        if os.geteuid() != 0:
            return source
        links, target, empty = self.root / "links", self.root / name, self.root / "links" / ".empty"
        empty.mkdir(parents=True, exist_ok=True)
        target.mkdir(parents=True, exist_ok=True)
        (links / name).unlink(missing_ok=True)
        (links / name).symlink_to(source.resolve())
        # Two lower layers and no upper one: a read-only overlay (one layer alone is refused).
        if _run(["mount", "-t", "overlay", "overlay", "-o", f"ro,lowerdir={name}:.empty", str(target)], links):
            return source
        self.mounts.append(target)
        return target

    def close(self) -> None:
        for mount in reversed(self.mounts):
            _unmount(mount)
        self.mounts.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def reap_staging() -> int:
    """Unmount and remove the staging folders of runners that are no longer alive; returns how many."""
    removed = 0
    if not STAGING_ROOT.is_dir():
        return 0
    for folder in STAGING_ROOT.iterdir():
        owner = folder.name.split("-", 1)[0]
        if owner.isdigit():
            try:
                os.kill(int(owner), 0)
                continue
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
        for mount in folder.iterdir():
            with contextlib.suppress(OSError):
                _unmount(mount)
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def reap_quotas() -> int:
    """Release the quota folders that runners no longer alive left mounted (what they held is kept as plain
    files); returns how many."""
    released = 0
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        fields = line.split(" ")
        if len(fields) < 5:
            continue
        folder = Path(re.sub(r"\\([0-7]{3})", lambda match: chr(int(match[1], 8)), fields[4]))  # \040: a space
        if folder == folder.parent:
            continue
        owner = _owner_of(folder)
        if not image_of(folder).is_file() or not owner.is_file():
            continue
        try:
            if _alive(owner.read_text()):
                continue
            release_quota(folder, keep=True)
        except OSError:
            continue
        released += 1
    return released
