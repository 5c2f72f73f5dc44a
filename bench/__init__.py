"""Benchmarks of DESIGN.md's performance targets: ``python -m bench [NAME ...] [--quick]``.

See README.rst here for each benchmark, its target and how to read its JSON.
"""
