"""Data adapters that turn accepted inputs into batches for the engine."""
