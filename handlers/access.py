"""Access: issuing and revoking tokens, decided so that the log records them.

Tokens and their hashes live in the token store, which is also what knows whether a
principal holds one; the write model keeps nothing, so these deciders only shape the facts
(the scopes sorted, each once). The caller appends the event before it changes the store,
so no token is ever usable without a trace in the log.
"""

from __future__ import annotations

from collections.abc import Mapping

from handlers.model import Decider, Evolver, WriteModel
from schemas.access import IssueToken, RevokeToken, TokenIssued, TokenRevoked
from schemas.base import Command, Event


def issue_token(state: WriteModel, command: IssueToken) -> list[Event]:
    return [TokenIssued(principal=command.principal, scopes=tuple(sorted(set(command.scopes))))]


def revoke_token(state: WriteModel, command: RevokeToken) -> list[Event]:
    return [TokenRevoked(principal=command.principal)]


def token_changed(state: WriteModel, event: TokenIssued | TokenRevoked) -> None:
    """No decision depends on who holds a token."""


DECIDERS: Mapping[type[Command], Decider] = {IssueToken: issue_token, RevokeToken: revoke_token}
EVOLVERS: Mapping[type[Event], Evolver] = {TokenIssued: token_changed, TokenRevoked: token_changed}
