"""Auditors' tools: verify a history, take it away (export), bring it back (import), and
rebuild the read models from it (replay)."""
