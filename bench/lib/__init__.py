"""Helpers of the Centralita SIPp benchmark (scripts/bench -> bench/run.py)."""
