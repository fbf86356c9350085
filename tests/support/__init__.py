"""Helpers shared by the test folders: fault injection and event factories."""
