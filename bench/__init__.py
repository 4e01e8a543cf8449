"""Benchmarks: figures printed as a table and written as JSON (see ``python -m bench --help``)."""
