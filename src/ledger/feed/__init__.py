"""The event feed: the log's events after a position, for integrators following it over HTTP.

``Feed`` pages the log for its followers (``ledger.feed.follow``); one tail per process
follows the log's end for all of them (``ledger.feed.tail``) and keeps the newest records in
a window (``ledger.feed.window``); a page is items and the position after them
(``ledger.feed.pages``). The HTTP route and its Server-Sent Events are ``ledger.http.events``.
"""

from ledger.feed.follow import Feed
from ledger.feed.pages import Item, Page

__all__ = ["Feed", "Item", "Page"]
