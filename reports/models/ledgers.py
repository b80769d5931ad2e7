"""Models: ledgers (see reports/models/__init__.py)."""
