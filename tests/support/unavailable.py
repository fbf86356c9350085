"""A real part a test needs cannot be had: under CI that fails the test, elsewhere it skips it."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(what: str, error: BaseException) -> NoReturn:
    message = f"{what} unavailable: {error!r}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
