"""Models: monthly (see reports/models/__init__.py)."""
