"""Reusable chart-testing harness: chart discovery, helm, schemas and workload invariants."""
