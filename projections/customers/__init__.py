"""The customers read model: what customers said when called back, who buys and comes back,
and each customer's standing.

``tables`` copies one row per fact (follow-ups, registrations, orders and their moves,
complaints and their turns); ``satisfaction``, ``retention`` and ``profile`` join and judge
them at query time. ``csat_avg``, ``nps`` and ``repeat_rate_pct`` are the one definition of
those KPIs, shared with the plan's scorecard.
"""

from __future__ import annotations

from projections.customers.profile import Profile, profile
from projections.customers.retention import Retention, previous_period, repeat_rate_pct, retention
from projections.customers.satisfaction import BUCKETS, Bucket, Satisfaction, csat_avg, nps, satisfaction
from projections.customers.tables import Customers

PROJECTION = Customers()

__all__ = [
    "BUCKETS",
    "PROJECTION",
    "Bucket",
    "Customers",
    "Profile",
    "Retention",
    "Satisfaction",
    "csat_avg",
    "nps",
    "previous_period",
    "profile",
    "repeat_rate_pct",
    "retention",
    "satisfaction",
]
