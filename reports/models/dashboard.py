"""Models: dashboard (see reports/models/__init__.py)."""
