"""Access: which principal was given which rights, and when they were taken away.

Tokens live in the token store, which keeps only their hashes; the log records that a
principal was issued a token carrying some scopes (a first token or a rotation) or had it
revoked, so auditors can tell who held which rights when. Neither the token nor its hash
is ever part of an event. Who issued or revoked is the envelope's actor.

The two commands are internal: the token routes and the start-up issue them. They are not
in the public command API, so ``COMMANDS`` here is empty and ``INTERNAL_COMMANDS`` lists them.
Every event lives on ``principal:{principal}``.
"""

from typing import Annotated, ClassVar, Final, Literal, get_args

from pydantic import Field, StringConstraints

from schemas.base import Command, Event
from schemas.types import Identifier, whole_match

Scope = Literal[
    "catalog:write",
    "sales:write",
    "inventory:write",
    "quality:write",
    "service:write",
    "planning:write",
    "purchasing:write",
    "marketing:write",
    "customers:write",
    "read",
    "audit",
    "events",
    "admin",
]
SCOPES: Final[tuple[str, ...]] = get_args(Scope)
"""Every scope a token can carry (API.md, "Auth")."""

SCOPE_PATTERN: Final = r"^[a-z]+(:[a-z]+)?$"
RecordedScope = Annotated[
    str, StringConstraints(max_length=64, pattern=SCOPE_PATTERN), whole_match(SCOPE_PATTERN)
]
"""A scope as an event records it: any scope's shape, so a scope added later still reads."""


class IssueToken(Command):
    """Give ``principal`` a new token with ``scopes``; an earlier token of it stops working."""

    command_name: ClassVar[str] = "issue-token"
    area: ClassVar[str] = "access"

    principal: Identifier
    scopes: Annotated[tuple[Scope, ...], Field(min_length=1, max_length=len(SCOPES) * 4)]


class RevokeToken(Command):
    command_name: ClassVar[str] = "revoke-token"
    area: ClassVar[str] = "access"

    principal: Identifier


class TokenIssued(Event):
    """``principal`` holds a token with exactly ``scopes`` (sorted, each once) from now on."""

    type: Literal["TokenIssued"] = "TokenIssued"

    principal: Identifier
    scopes: Annotated[tuple[RecordedScope, ...], Field(min_length=1, max_length=64)]

    def stream(self) -> str:
        return f"principal:{self.principal}"


class TokenRevoked(Event):
    """``principal`` holds no token from now on."""

    type: Literal["TokenRevoked"] = "TokenRevoked"

    principal: Identifier

    def stream(self) -> str:
        return f"principal:{self.principal}"


COMMANDS: tuple[type[Command], ...] = ()
INTERNAL_COMMANDS: tuple[type[Command], ...] = (IssueToken, RevokeToken)
EVENTS: tuple[type[Event], ...] = (TokenIssued, TokenRevoked)
