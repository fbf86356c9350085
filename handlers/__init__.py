"""The write side: pure ``decide(state, command) -> events`` and ``evolve(state, event) -> state``."""
