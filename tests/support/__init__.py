"""Fixtures, scripts and DAGs that tests and benches share; no test module imports another."""
