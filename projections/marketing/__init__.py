"""The marketing read model: campaigns with their spend, leads and orders, and the sales funnel.

``tables`` copies facts one row each from the marketing area (campaigns, spend, leads and
their steps) and from the sales area (orders placed with a campaign, and their
cancellations); ``returns`` holds the one definition of a campaign's revenue, spend and ROAS
(``campaign_roas`` is the plan's objective); ``queries`` reads the campaigns list and the
funnel. Every join across streams happens in the queries, so any order of arrival gives the
same rows and one set of rows answers any ``as_of``.
"""

from __future__ import annotations

from projections.marketing.queries import DIMENSIONS, NO_CAMPAIGN, Campaign, Stage, campaigns, funnel
from projections.marketing.returns import Window, campaign_roas, roas
from projections.marketing.tables import Marketing

PROJECTION = Marketing()

__all__ = [
    "DIMENSIONS",
    "NO_CAMPAIGN",
    "PROJECTION",
    "Campaign",
    "Marketing",
    "Stage",
    "Window",
    "campaign_roas",
    "campaigns",
    "funnel",
    "roas",
]
