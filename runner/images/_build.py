"""Build, list and prune the docker images that sandboxes run in.

`benchsmith/base:<recipe hash>` is Debian bookworm made by `debootstrap --variant=minbase` (the folder is cached
under the benchsmith cache) and `docker import`ed, since no registry can be reached. `benchsmith/task:<env key>`
adds `/opt/venv`, built offline from the host's wheelhouse (`runner.environments.ensure_wheelhouse`) in a first
build stage so the wheels never reach the final image, and a non-root user `agent` (uid 1000). Each image carries
a `benchsmith.recipe` label, a hash of everything that went into it: an existing tag with the same recipe is reused.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker  # type: ignore[import-untyped]
from docker.errors import APIError, BuildError, DockerException, ImageNotFound  # type: ignore[import-untyped]

from runner._errors import BenchsmithError
from runner.environments import EnvironmentError_, EnvironmentSpec, ensure_wheelhouse, run_checked

BASE_REPOSITORY = "benchsmith/base"
TASK_REPOSITORY = "benchsmith/task"
LABEL = "benchsmith"
AGENT_UID = 1000
VENV = "/opt/venv"
SUITE = "bookworm"
BASE_PACKAGES = ("python3", "python3-venv")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
_PATH = f"{VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_RECIPE_VERSION = "images-v1"
_TAIL = 3000
# Trimmed from the base: documentation and caches no sandbox needs.
_TRIM = ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info",
         "usr/share/locale", "usr/share/lintian")  # fmt: skip


class ImageError(BenchsmithError, RuntimeError):
    """An image could not be built or docker cannot be reached; the message says which step and why."""


@dataclass(frozen=True)
class ImageInfo:
    """One benchsmith image in the docker engine."""

    id: str
    tags: tuple[str, ...]
    kind: str  # "base", "task" or "intermediate" (an untagged build stage)
    size_bytes: int
    created: str
    in_use: bool


def docker_client() -> Any:
    """A client of the local docker engine (from `DOCKER_HOST` etc.); ImageError when it does not answer."""
    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except DockerException as error:
        raise ImageError(
            f"docker does not answer ({error}): install docker.io and start the daemon (`dockerd > /tmp/dockerd.log "
            "2>&1 &` or `systemctl start docker`)"
        ) from None
    return client


def cache_root() -> Path:
    """`$BENCHSMITH_CACHE_DIR`, else `~/.cache/benchsmith`."""
    configured = os.environ.get("BENCHSMITH_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "benchsmith"


def debian_mirror() -> str:
    """`$BENCHSMITH_DEBIAN_MIRROR`, else deb.debian.org (the mirror does not change the recipe's hash)."""
    return os.environ.get("BENCHSMITH_DEBIAN_MIRROR") or DEFAULT_MIRROR


def _base_changes(recipe: str) -> list[str]:
    return [
        f"LABEL {LABEL}=1 {LABEL}.kind=base {LABEL}.recipe={recipe}",
        "ENV LANG=C.UTF-8",
        'CMD ["sleep", "infinity"]',
    ]


def _base_recipe() -> str:
    text = json.dumps(
        {"version": _RECIPE_VERSION, "suite": SUITE, "variant": "minbase", "include": BASE_PACKAGES, "trim": _TRIM,
         "changes": _base_changes("")},
        sort_keys=True,
    )  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def base_image_tag() -> str:
    """The base image's tag: its recipe hash."""
    return f"{BASE_REPOSITORY}:{_base_recipe()}"


def task_image_tag(env_spec: EnvironmentSpec) -> str:
    """The task image's tag for an environment: its key."""
    return f"{TASK_REPOSITORY}:{env_spec.key}"


@contextlib.contextmanager
def _lock(name: str) -> Iterator[None]:
    """One builder at a time per image across processes on this machine."""
    folder = cache_root() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _existing(client: Any, tag: str, recipe: str) -> Any | None:
    try:
        image = client.images.get(tag)
    except ImageNotFound:
        return None
    return image if (image.labels or {}).get(f"{LABEL}.recipe") == recipe else None


def _debootstrap(recipe: str) -> Path:
    """The debootstrap folder for `recipe`, made once and kept under the cache."""
    folder = cache_root() / "debootstrap" / recipe
    if (folder / ".complete").is_file():
        return folder
    if os.geteuid() != 0:
        raise ImageError(f"building {BASE_REPOSITORY} needs root (debootstrap creates device files and owners)")
    if shutil.which("debootstrap") is None:
        raise ImageError("debootstrap is missing: `apt-get install debootstrap`")
    scratch = folder.with_name(f".tmp-{recipe}-{uuid.uuid4().hex[:8]}")
    scratch.parent.mkdir(parents=True, exist_ok=True)
    try:
        run_checked(
            ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", SUITE, str(scratch),
             debian_mirror()],
            f"debootstrap of Debian {SUITE} from {debian_mirror()}",
            ImageError,
        )  # fmt: skip
        for relative in _TRIM:
            target = scratch / relative
            if target.is_dir():
                for child in target.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        child.unlink(missing_ok=True)
        (scratch / ".complete").write_text(recipe)
        shutil.rmtree(folder, ignore_errors=True)
        scratch.rename(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


def ensure_base_image(client: Any | None = None) -> str:
    """`benchsmith/base:<recipe>`: Debian minbase with python3 and python3-venv; built once, returns the tag."""
    client = client or docker_client()
    recipe = _base_recipe()
    tag = f"{BASE_REPOSITORY}:{recipe}"
    if _existing(client, tag, recipe) is not None:
        return tag
    with _lock(f"base-{recipe}"):
        if _existing(client, tag, recipe) is not None:
            return tag
        folder = _debootstrap(recipe)
        with tempfile.TemporaryDirectory(prefix="benchsmith-base-", dir=folder.parent) as scratch:
            archive = Path(scratch) / "rootfs.tar"
            pack = ["tar", "-C", str(folder), "--numeric-owner", "--exclude=./.complete", "-cf", str(archive), "."]
            run_checked(pack, f"packing {folder}", ImageError)
            try:
                client.api.import_image(
                    src=str(archive), repository=BASE_REPOSITORY, tag=recipe, changes=_base_changes(recipe)
                )
            except DockerException as error:
                raise ImageError(f"docker import of {folder} failed: {error}") from None
    if _existing(client, tag, recipe) is None:
        raise ImageError(f"docker import did not leave {tag} with recipe {recipe}")
    return tag


def _dockerfile(base: str, env_spec: EnvironmentSpec, recipe: str) -> str:
    requirements = " ".join(shlex.quote(requirement) for requirement in env_spec.requirements)
    if env_spec.no_deps:  # only then: images without such packages keep their recipe
        no_deps = " ".join(shlex.quote(requirement) for requirement in sorted(env_spec.no_deps))
        install = f"{VENV}/bin/pip install --quiet --no-index --no-cache-dir --no-deps --find-links /wheels"
        requirements += f" \\\n && {install} {no_deps}"
    return f"""\
FROM {base} AS venv
COPY wheels /wheels
RUN python3 -m venv {VENV} \\
 && {VENV}/bin/pip install --quiet --no-index --no-cache-dir --disable-pip-version-check --find-links /wheels \\
    {requirements} \\
 && rm -rf /wheels

FROM {base}
COPY --from=venv {VENV} {VENV}
RUN echo 'agent:x:{AGENT_UID}:{AGENT_UID}:agent:/workspace/code:/bin/sh' >> /etc/passwd \\
 && echo 'agent:x:{AGENT_UID}:' >> /etc/group \\
 && mkdir -p /task /data /workspace/code /workspace/submission \\
 && chown {AGENT_UID}:{AGENT_UID} /workspace/code /workspace/submission
ENV PATH={_PATH} VIRTUAL_ENV={VENV} LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1
WORKDIR /workspace/code
LABEL {LABEL}=1 {LABEL}.kind=task {LABEL}.env={env_spec.key} {LABEL}.recipe={recipe}
CMD ["sleep", "infinity"]
"""


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def ensure_task_image(env_spec: EnvironmentSpec, client: Any | None = None, wheelhouse_root: Path | None = None) -> str:
    """`benchsmith/task:<env key>`: the base plus a venv of `env_spec`'s packages at /opt/venv; returns the tag.

    Built offline (network "none") from the host's wheelhouse; reused while its recipe (base, Dockerfile,
    requirements) is unchanged.
    """
    client = client or docker_client()
    base = ensure_base_image(client)
    tag = task_image_tag(env_spec)
    recipe = hashlib.sha256(_dockerfile(base, env_spec, "").encode()).hexdigest()[:16]
    if _existing(client, tag, recipe) is not None:
        return tag
    with _lock(f"task-{env_spec.key}"):
        if _existing(client, tag, recipe) is not None:
            return tag
        try:
            wheelhouse = ensure_wheelhouse(env_spec, wheelhouse_root)
        except EnvironmentError_ as error:
            raise ImageError(f"cannot download the wheels for {tag}: {error}") from None
        with tempfile.TemporaryDirectory(prefix="benchsmith-build-") as scratch:
            context = Path(scratch)
            (context / "wheels").mkdir()
            for wheel in wheelhouse.glob("*.whl"):
                _link_or_copy(wheel, context / "wheels" / wheel.name)
            (context / "Dockerfile").write_text(_dockerfile(base, env_spec, recipe))
            try:
                client.images.build(
                    path=str(context), tag=tag, network_mode="none", rm=True, forcerm=True, pull=False,
                    labels={LABEL: "1", f"{LABEL}.kind": "task", f"{LABEL}.env": env_spec.key,
                            f"{LABEL}.recipe": recipe},
                )  # fmt: skip
            except BuildError as error:
                log = "".join(str(part.get("stream", part.get("error", ""))) for part in error.build_log)
                raise ImageError(f"building {tag} failed: {error.msg}\n{log.strip()[-_TAIL:]}") from None
            except DockerException as error:
                raise ImageError(f"building {tag} failed: {error}") from None
    return tag


def _kind(image: Any) -> str:
    tags = tuple(image.tags)
    if any(tag.startswith(f"{TASK_REPOSITORY}:") for tag in tags):
        return "task"
    if any(tag.startswith(f"{BASE_REPOSITORY}:") for tag in tags):
        return "base"
    return "intermediate"


def _images_in_use(client: Any) -> set[str]:
    """Image ids of every container (any state: a stopped container also holds its image)."""
    return {container.attrs.get("Image", "") for container in client.containers.list(all=True)}


def list_images(client: Any | None = None) -> list[ImageInfo]:
    """Benchsmith images in the engine (labelled `benchsmith=1`), base first then tasks then intermediates."""
    client = client or docker_client()
    used = _images_in_use(client)
    infos = [
        ImageInfo(
            id=image.id,
            tags=tuple(sorted(image.tags)),
            kind=_kind(image),
            size_bytes=int(image.attrs.get("Size", 0)),
            created=str(image.attrs.get("Created", "")),
            in_use=image.id in used,
        )
        for image in client.images.list(filters={"label": f"{LABEL}=1"})
    ]
    order = {"base": 0, "task": 1, "intermediate": 2}
    return sorted(infos, key=lambda info: (order[info.kind], info.tags, info.id))


def prune_images(all: bool = False, client: Any | None = None) -> list[ImageInfo]:
    """Remove benchsmith images that no container uses: untagged build stages and task images, and with `all`
    the base images too. Returns what was removed."""
    client = client or docker_client()
    removed: list[ImageInfo] = []
    kinds = ("intermediate", "task", "base") if all else ("intermediate", "task")
    for kind in kinds:  # children before the base they are built on
        for info in list_images(client):
            if info.kind != kind or info.in_use:
                continue
            try:
                for tag in info.tags:
                    client.images.remove(tag, noprune=False)
                if not info.tags:
                    client.images.remove(info.id, noprune=False)
            except ImageNotFound:
                pass
            except APIError:  # still a parent of an image in use, or removed concurrently
                continue
            removed.append(info)
    return removed


def prune_debootstrap_cache(all: bool = False) -> list[Path]:
    """Remove cached debootstrap folders (and unfinished ones) other than the current recipe's; `all`: every one."""
    folder = cache_root() / "debootstrap"
    if not folder.is_dir():
        return []
    current = _base_recipe()
    removed = []
    for child in sorted(folder.iterdir()):
        if child.name == current and not all:
            continue
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
        removed.append(child)
    return removed
