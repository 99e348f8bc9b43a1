"""The jeras version, at the bottom of the import levels so that anything (the `.keras` metadata
included) can read it without importing the top-level package."""

__version__ = "0.1.0"
