"""FRAMES module pipeline: Notion -> GitHub -> PostgreSQL."""

__version__ = "0.1.0"
