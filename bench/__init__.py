"""Benchmarks of the ledger against the raw limits of its parts and against a peer."""
