"""``ledger demo``: a realistic, seeded company history, loaded through the command path.

``generate`` is pure: given ``now`` and a seed it answers the same ordered list of commands
(name and body, business time included) every time, so the history it describes is
reproducible. ``ledger.demo.runner`` submits such a list through a ``Writer``, exactly as
the HTTP API would, so the demo data obeys every rule that real data does.
"""

from ledger.demo.generator import MAX_DAYS, DemoCommand, generate

__all__ = ["MAX_DAYS", "DemoCommand", "generate"]
