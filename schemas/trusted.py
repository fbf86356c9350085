"""Events built from data the ledger wrote itself, without validating it a second time.

An event is validated once, when its command is decided; the log holds its data hash-chained,
so readers of the log trust it (``ledger verify`` is where every byte is checked again).
Pydantic's ``model_construct`` is shallow (decimal strings stay strings, nested models stay
dicts) and slow, so each class gets a builder compiled from its fields: a decimal becomes a
``Decimal``, a nested model is built the same way, a JSON list becomes a tuple, an absent
field takes its default. Data that does not have the class's shape (an unknown or missing
field, a decimal that is not a string, anything a conversion refuses) raises, and the caller
validates instead, so a fault still reads as the same ValidationError it always did.
"""

import re
import types
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Final, Literal, TypeVar, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel

M = TypeVar("M", bound=BaseModel)
Convert = Callable[[Any], Any]
Builder = Callable[[Mapping[str, Any]], M]

_REQUIRED: Final = object()
_set = object.__setattr__


class Untrusted(ValueError):
    """The data does not have the shape of the class it claims: validate it instead."""


def builder(cls: type[M]) -> Builder[M]:
    """A function building ``cls`` from its stored JSON data, checking only its shape.

    The instance is what ``model_validate`` would answer for well-formed data: the same
    field values and types, and the data's keys as its set fields. Raises TypeError for a
    class whose fields this module cannot build (found when the registry is made).
    """
    if cls.__pydantic_post_init__ or cls.__pydantic_root_model__ or cls.model_config.get("extra") == "allow":
        raise TypeError(f"{cls.__name__}: only plain models are built without validation")
    if any(info.default_factory is not None for info in cls.model_fields.values()):
        raise TypeError(f"{cls.__name__}: a default factory would be shared by every instance")
    plan = tuple(
        (name, _converter(info.annotation, cls), _REQUIRED if info.is_required() else info.get_default())
        for name, info in cls.model_fields.items()
    )
    # An event's type tag travels in the envelope, never in its data: data naming one is
    # validated, so a tag that disagrees with the class is still refused.
    known = frozenset(cls.model_fields) - {"type"}
    new = cls.__new__

    def build(data: Mapping[str, Any]) -> M:
        if not known.issuperset(data):
            raise Untrusted(f"fields {sorted(set(data) - known)} are not {cls.__name__}'s")
        values: dict[str, Any] = {}
        for name, convert, default in plan:
            if name in data:
                value = data[name]
                values[name] = value if convert is None else convert(value)
            elif default is _REQUIRED:
                raise Untrusted(f"{cls.__name__}.{name} is missing")
            else:
                values[name] = default
        # As model_construct finishes an instance (pydantic.main), without its per-field work.
        model = new(cls)
        _set(model, "__dict__", values)
        _set(model, "__pydantic_fields_set__", set(data))
        _set(model, "__pydantic_extra__", None)
        _set(model, "__pydantic_private__", None)
        return model

    return build


def _decimal(value: object) -> Decimal:
    # Stored decimals are strings (the Quantity and Money serializers write them so); a number
    # here is not data this ledger wrote.
    if type(value) is not str:
        raise Untrusted(f"a stored decimal is a string, not {type(value).__name__}")
    return Decimal(value)


def _timestamp(value: object) -> datetime:
    # Stored times are RFC 3339 strings with a zone (pydantic writes them so).
    if type(value) is not str:
        raise Untrusted(f"a stored time is a string, not {type(value).__name__}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise Untrusted("a stored time has no zone")
    return parsed


_STORED_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value: object) -> date:
    # Stored dates are YYYY-MM-DD strings; date.fromisoformat alone would also read forms the
    # ledger never writes ("20261105", "2026-W45-1"), which validation refuses.
    if type(value) is not str or _STORED_DATE.fullmatch(value) is None:
        raise Untrusted(f"a stored date is YYYY-MM-DD, not {value!r}")
    return date.fromisoformat(value)


def _optional(inner: Convert) -> Convert:
    return lambda value: None if value is None else inner(value)


def _tuple_of(inner: Convert) -> Convert:
    return lambda value: tuple(map(inner, value))


def _converter(annotation: Any, owner: type[BaseModel]) -> Convert | None:
    """How a stored JSON value becomes the field's Python value; None when it already is one."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _converter(get_args(annotation)[0], owner)
    if origin is Union or origin is types.UnionType:
        options = [a for a in get_args(annotation) if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"{owner.__name__}: a union other than X | None: {annotation!r}")
        inner = _converter(options[0], owner)
        return None if inner is None else _optional(inner)
    if origin is tuple:
        args = get_args(annotation)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"{owner.__name__}: a tuple other than tuple[X, ...]: {annotation!r}")
        inner = _converter(args[0], owner)
        return tuple if inner is None else _tuple_of(inner)
    if origin is Literal or annotation in (str, int, bool):
        return None
    if annotation is Decimal:
        return _decimal
    if annotation in (AwareDatetime, datetime):
        return _timestamp
    if annotation is date:
        return _date
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return builder(annotation)
    raise TypeError(f"{owner.__name__}: no trusted conversion for {annotation!r}")


def replaced(model: M, **changes: Any) -> M:
    """``model.model_copy(update=changes)``, at a third of the cost: the new values are trusted.

    The writer stamps each command lacking a business time with the batch's; pydantic's copy
    does generic work (extra fields, private attributes) that a plain model has none of.
    """
    if model.__pydantic_extra__ or model.__pydantic_private__:
        return model.model_copy(update=changes)
    cls = type(model)
    copied = cls.__new__(cls)
    _set(copied, "__dict__", {**model.__dict__, **changes})
    _set(copied, "__pydantic_fields_set__", model.__pydantic_fields_set__ | changes.keys())
    _set(copied, "__pydantic_extra__", None)
    _set(copied, "__pydantic_private__", None)
    return copied
