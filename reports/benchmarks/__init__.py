"""Benchmarks of the reports app, loaded by ``manage.py bench`` (see BENCH_MODULES)."""
