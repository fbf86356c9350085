"""Settings that no one could use are refused before anything starts, in one line naming them.

An admin token set but empty used to fall through to a generated token nobody saw; one read
from a secret file kept its trailing newline and never matched a request. SLA clocks are
bounded so a due time stays representable from any business time.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from ledger.cli import main
from ledger.config import MAX_SLA_HOURS, Settings


@pytest.mark.parametrize(
    ("configured", "kept"),
    [
        ("s3cret-token-0123456789\n", "s3cret-token-0123456789"),
        ("  s3cret-token-0123456789 \r\n", "s3cret-token-0123456789"),
        ("0123456789abcdef", "0123456789abcdef"),
        ("a token with inner spaces", "a token with inner spaces"),
    ],
)
def test_a_configured_admin_token_is_trimmed(configured: str, kept: str) -> None:
    token = Settings(admin_token=configured).admin_token
    assert token is not None
    assert token.get_secret_value() == kept


@pytest.mark.parametrize(
    ("configured", "reason"),
    [
        ("", "set but empty"),
        (" \n", "set but empty"),
        ("0123456789abcde", "15 characters is too short"),
        ("0123456789\nabcdefgh", "control characters"),
    ],
)
def test_an_admin_token_no_one_could_use_is_refused(configured: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        Settings(admin_token=configured)


@pytest.mark.parametrize("command", ["serve", "project"])
@pytest.mark.parametrize(
    ("configured", "reason"), [("", "set but empty"), ("short", "5 characters is too short")]
)
def test_the_cli_refuses_to_start_with_one_line_and_a_non_zero_exit(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    configured: str,
    reason: str,
) -> None:
    monkeypatch.setenv("LEDGER_ADMIN_TOKEN", configured)
    assert main([command]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"ledger: bad setting LEDGER_ADMIN_TOKEN: {reason}")
    assert "Value error" not in line


def test_sla_hours_are_positive_and_at_most_ten_years() -> None:
    assert Settings(sla_hours={"low": (Decimal(1), MAX_SLA_HOURS)}).sla_hours["low"][1] == MAX_SLA_HOURS
    for hours in (Decimal(0), Decimal(-1), MAX_SLA_HOURS + Decimal("0.001"), Decimal("1e12")):
        with pytest.raises(ValidationError, match="at most 87660"):
            Settings(sla_hours={"critical": (Decimal(1), hours)})
