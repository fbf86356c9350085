"""The typed keys under which the app keeps its resources."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from ledger.config import Settings
from ledger.feed import Feed
from ledger.log import EventLog
from ledger.metrics import Metrics
from ledger.projector import ProjectorRuntime
from ledger.readmodels import ReadModels
from ledger.writer import Writer

SETTINGS = web.AppKey("settings", Settings)
DSN = web.AppKey("dsn", str)
DB = web.AppKey("db", asyncpg.Pool)
READ_DB = web.AppKey("read_db", asyncpg.Pool)
"""API reads' own pool, with a statement timeout: slow reads wait for each other, never
for authentication, the writer's snapshots or the projectors, which keep ``DB``."""
LOG = web.AppKey("log", EventLog)
WRITER = web.AppKey("writer", Writer)
RUNTIME = web.AppKey("projectors", ProjectorRuntime)
"""Projectors running in this process (the combined app only): no route reaches for them."""
READ_MODELS = web.AppKey("read_models", ReadModels)
"""What every read route knows of the read models: live tables, positions, projector status,
all from PostgreSQL, wherever the projectors run."""
METRICS = web.AppKey("metrics", Metrics)
FEED = web.AppKey("feed", Feed)
"""The event feed of ``GET /v1/events``: its tail and readers of the log, opened with its first follower."""
