"""The base every persisted model derives from: strict keys, with `x-*` extension keys allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

EXTENSION_PREFIX = "x-"


def _allow_extension_keys(schema: dict[str, Any]) -> None:
    schema["patternProperties"] = {"^x-": {"description": "Free-form extension data, ignored by benchsmith."}}


def require_unique(what: str, names: list[str]) -> None:
    """Raise ValueError naming every value of `names` that occurs more than once."""
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{what} repeat: {', '.join(repeated)}")


def key_discriminator(prefix: str, *keys: str) -> Callable[[Any], str | None]:
    """Tell union members apart by which one of `keys` a mapping has (exactly one must be present).

    The tag is `<prefix>:<key>`: the colon keeps tags apart from field names in error locations.
    """

    def kind(value: Any) -> str | None:
        if isinstance(value, dict):
            present = [key for key in keys if key in value]
            return f"{prefix}:{present[0]}" if len(present) == 1 else None
        return next((f"{prefix}:{key}" for key in keys if hasattr(value, key)), None)

    return kind


class StrictModel(BaseModel):
    """A model whose unknown keys are errors, except extension keys that start with `x-`.

    Extension keys let authors and tools annotate a manifest without a schema change; they are kept in
    `extensions` (and written back by `model_dump(by_alias=True)` consumers that ask for them) but never
    interpreted.
    """

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        use_attribute_docstrings=False,
        json_schema_extra=_allow_extension_keys,
        validate_default=True,
        allow_inf_nan=False,
    )

    _extensions: dict[str, Any] = PrivateAttr(default_factory=dict)
    extension_prefix: ClassVar[str] = EXTENSION_PREFIX

    @model_validator(mode="wrap")
    @classmethod
    def _split_extension_keys(cls, data: Any, handler: Any) -> Any:
        # Runs for every nested model of every record read (a report reads thousands): the common case, no `x-`
        # key, is one pass over the keys without building anything.
        if not isinstance(data, dict):
            return handler(data)
        for key in data:
            if isinstance(key, str) and key.startswith(EXTENSION_PREFIX):
                break
        else:
            return handler(data)
        extensions = {k: v for k, v in data.items() if isinstance(k, str) and k.startswith(EXTENSION_PREFIX)}
        model = handler({k: v for k, v in data.items() if k not in extensions})
        if isinstance(model, StrictModel):
            model._extensions = extensions
        return model

    @model_serializer(mode="wrap")
    def _keep_extension_keys(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Dumped models carry their x-* keys back out, so loading and saving a manifest loses nothing.
        data = handler(self)
        if self._extensions and isinstance(data, dict):
            data.update(self._extensions)
        return data

    @property
    def extensions(self) -> dict[str, Any]:
        """The `x-*` keys given on this object, verbatim."""
        return dict(self._extensions)
