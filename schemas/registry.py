"""The registry: every command by API name, every event by (type, schema_version), and upcasting.

The writer resolves `POST /v1/commands/{name}` through `COMMANDS` (the public commands only:
internal ones, such as issuing a token, are reached by their class); readers of the log resolve
an envelope's `type` and `schema_version` through `decode_event`, which first lifts old data
to the latest version with registered upcasters (one function per version step, run on read,
so stored events never change). `decode_event` trusts the log's data, validated when its
command was decided, and builds the event without validating it again (`schemas.trusted`);
`parse_event` validates every field, for `ledger verify` and data from outside the log.
`area_of_stream` names the topic a stream belongs to, `area_of_event` that of an event class.
"""

import copy
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from schemas import (
    access,
    catalog,
    customers,
    inventory,
    marketing,
    planning,
    purchasing,
    quality,
    sales,
    service,
)
from schemas.base import Command, Event
from schemas.decoding import loads
from schemas.trusted import Builder, builder

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the data of version n of an event type into the data of version n + 1."""

AREAS: Final = (
    "catalog",
    "sales",
    "inventory",
    "quality",
    "service",
    "planning",
    "access",
    "purchasing",
    "marketing",
    "customers",
)

_AREA_OF_CATEGORY: Final[Mapping[str, str]] = MappingProxyType(
    {
        "product": "catalog",
        "location": "catalog",
        "supplier": "catalog",
        "customer": "catalog",
        "team": "catalog",
        "stock": "inventory",
        "order": "sales",
        "target": "planning",
        "lot": "quality",
        "complaint": "service",
        "principal": "access",
        "po": "purchasing",
        "campaign": "marketing",
        "lead": "marketing",
        "followup": "customers",
        "objective": "planning",
    }
)

_MODULES: Final = (
    catalog,
    inventory,
    sales,
    planning,
    quality,
    service,
    access,
    purchasing,
    marketing,
    customers,
)


class UnknownEventType(ValueError):
    """No event class or upcaster chain for this type and schema version."""


class UnknownCommand(KeyError):
    """No command has this API name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown command"


def area_of_stream(stream: str) -> str:
    """The business area (and so the topic) of a stream id such as `stock:SKU-1@WH-A`."""
    category, colon, rest = stream.partition(":")
    if not colon or not rest:
        raise ValueError(f"not a stream id (category:id): {stream!r}")
    try:
        return _AREA_OF_CATEGORY[category]
    except KeyError:
        raise ValueError(f"unknown stream category {category!r} in {stream!r}") from None


def area_of_event(cls: type[Event]) -> str:
    """The area (and so the topic) of every event of a class.

    A class's streams all have one category (its `stream()` formats its own fields after a
    fixed `category:`), so the stream of a placeholder instance, built without validation,
    names it."""
    placeholder = cls.model_construct(None, **dict.fromkeys(cls.model_fields, "0"))
    return area_of_stream(placeholder.stream())


def event_type(cls: type[Event]) -> str:
    """The `type` tag of an event class (the default of its Literal `type` field)."""
    tag = cls.model_fields["type"].default
    if not isinstance(tag, str):
        raise TypeError(f"{cls.__name__} does not pin its type tag")
    return tag


def event_types(*classes: type[Event]) -> frozenset[str]:
    """The `type` tags of event classes (a projection's `event_types`)."""
    return frozenset(event_type(cls) for cls in classes)


class EventRegistry:
    """Event classes by (type, schema_version) and the upcasters between versions."""

    def __init__(self, classes: Iterable[type[Event]]) -> None:
        table: dict[tuple[str, int], type[Event]] = {}
        for cls in classes:
            key = (event_type(cls), cls.schema_version)
            if key in table:
                raise ValueError(f"two classes for event {key[0]} v{key[1]}")
            table[key] = cls
        self.events: Mapping[tuple[str, int], type[Event]] = MappingProxyType(table)
        self._latest: dict[str, int] = {}
        for type_, version in table:
            self._latest[type_] = max(version, self._latest.get(type_, 0))
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        self._builders: dict[str, tuple[int, Builder[Event]]] = {
            type_: (version, builder(table[(type_, version)])) for type_, version in self._latest.items()
        }

    def latest_version(self, type_: str) -> int:
        try:
            return self._latest[type_]
        except KeyError:
            raise UnknownEventType(f"unknown event type {type_!r}") from None

    def register_upcaster(self, type_: str, from_version: int, fn: Upcaster) -> None:
        """Register `fn` to lift `type_` data from `from_version` to `from_version + 1`."""
        latest = self.latest_version(type_)
        if not 1 <= from_version < latest:
            raise ValueError(f"{type_} has no version {from_version} below its latest v{latest}")
        if (type_, from_version) in self._upcasters:
            raise ValueError(f"an upcaster for {type_} v{from_version} is already registered")
        self._upcasters[(type_, from_version)] = fn

    def upcast(self, type_: str, version: int, data: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """Apply the upcasters in sequence; answer the latest version and its data (a copy)."""
        latest = self.latest_version(type_)
        if not 1 <= version <= latest:
            raise UnknownEventType(f"unknown schema version {version} of {type_} (latest is v{latest})")
        if version == latest:
            return version, dict(data)
        current = copy.deepcopy(dict(data))
        for step in range(version, latest):
            fn = self._upcasters.get((type_, step))
            if fn is None:
                raise UnknownEventType(f"no upcaster for {type_} from v{step} to v{step + 1}")
            current = fn(current)
        return latest, current

    def parse(self, type_: str, version: int, data: Mapping[str, Any]) -> Event:
        """Validate, upcast, validate against the latest class; a ValidationError means bad data.

        Old data is first checked against the class of its own version when that class is still
        registered, so upcasters only ever see well-formed input and a fault names the version
        the event was written at.
        """
        stored = self.events.get((type_, version))
        if stored is not None and version != self.latest_version(type_):
            stored.model_validate(data)
        latest, current = self.upcast(type_, version, data)
        return self.events[(type_, latest)].model_validate(current)

    def decode(self, type_: str, version: int, data: Mapping[str, Any]) -> Event:
        """Upcast and build without validating: for data the ledger wrote (see the module
        docstring). Data that is not what the ledger writes is validated, so its fault
        raises exactly as `parse` raises it."""
        try:
            latest, build = self._builders[type_]
            if version == latest:
                return build(data)
            if 1 <= version < latest:
                return build(self.upcast(type_, version, data)[1])
        except Exception:  # validated below, which names what is wrong
            pass
        return self.parse(type_, version, data)


def _commands(classes: Iterable[type[Command]]) -> Mapping[str, type[Command]]:
    table: dict[str, type[Command]] = {}
    for cls in classes:
        if cls.command_name in table:
            raise ValueError(f"two classes for command {cls.command_name}")
        table[cls.command_name] = cls
    return MappingProxyType(table)


def _events() -> EventRegistry:
    registry = EventRegistry(cls for module in _MODULES for cls in module.EVENTS)
    for type_, from_version, fn in inventory.UPCASTERS:
        registry.register_upcaster(type_, from_version, fn)
    return registry


COMMANDS: Final = _commands(cls for module in _MODULES for cls in module.COMMANDS)
_EVENTS: Final = _events()
EVENTS: Final = _EVENTS.events


def latest_version(type_: str) -> int:
    return _EVENTS.latest_version(type_)


def register_upcaster(type_: str, from_version: int, fn: Upcaster) -> None:
    _EVENTS.register_upcaster(type_, from_version, fn)


def upcast(type_: str, version: int, data: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    return _EVENTS.upcast(type_, version, data)


def parse_event(type_: str, schema_version: int, data: Mapping[str, Any]) -> Event:
    """The event of an envelope's `type`, `schema_version` and `data`, every field validated."""
    return _EVENTS.parse(type_, schema_version, data)


def decode_event(type_: str, schema_version: int, data: Mapping[str, Any]) -> Event:
    """The event of an envelope read from the log: trusted, so built without validation."""
    return _EVENTS.decode(type_, schema_version, data)


def command_class(name: str) -> type[Command]:
    try:
        return COMMANDS[name]
    except KeyError:
        raise UnknownCommand(f"unknown command {name!r}") from None


def parse_command(name: str, body: object) -> Command:
    """Validate a decoded command body: UnknownCommand is a 404, a ValidationError a 422."""
    return command_class(name).model_validate(body)


def parse_command_json(name: str, raw: str | bytes) -> Command:
    """Like `parse_command`, from raw JSON decoded with exact decimals; MalformedJSON is a 400."""
    cls = command_class(name)
    return cls.model_validate(loads(raw))
