"""The HTTP server's limits on a request's line and header fields, sized to what the API accepts.

aiohttp refuses a request line or a header field longer than 8190 bytes by default, while a
``min_position`` token of the largest configuration takes up to ``MAX_TOKEN_LENGTH``
characters. Whatever runs the app hands these to aiohttp's request handlers through its
runner: ``web.run_app(app, max_line_size=..., max_field_size=...)``, or ``HANDLER_ARGS`` to
``AppRunner(app, **HANDLER_ARGS)`` or ``TestServer(app).start_server(**HANDLER_ARGS)``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from ledger.log.position import MAX_TOKEN_LENGTH

_BESIDES_TOKEN: Final = 8190  # aiohttp's own default: room for the path and every other parameter
MAX_LINE_SIZE: Final = MAX_TOKEN_LENGTH + _BESIDES_TOKEN
MAX_FIELD_SIZE: Final = MAX_LINE_SIZE  # a header field may carry a whole token too

HANDLER_ARGS: Final = MappingProxyType({"max_line_size": MAX_LINE_SIZE, "max_field_size": MAX_FIELD_SIZE})
