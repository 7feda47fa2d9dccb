"""Docker images for sandboxes: a Debian base made with debootstrap, and one task image per Python environment.

No image is pulled: the base is `debootstrap --variant=minbase` imported into docker, and task images add a venv
built offline from the host's wheelhouse. Every image is tagged by a hash of what went into it, so an unchanged
recipe is never rebuilt.
"""

from ._build import (
    BASE_REPOSITORY,
    LABEL,
    TASK_REPOSITORY,
    ImageError,
    ImageInfo,
    base_image_tag,
    docker_client,
    ensure_base_image,
    ensure_task_image,
    list_images,
    prune_debootstrap_cache,
    prune_images,
    task_image_tag,
)

__all__ = [
    "BASE_REPOSITORY",
    "LABEL",
    "TASK_REPOSITORY",
    "ImageError",
    "ImageInfo",
    "base_image_tag",
    "docker_client",
    "ensure_base_image",
    "ensure_task_image",
    "list_images",
    "prune_debootstrap_cache",
    "prune_images",
    "task_image_tag",
]
