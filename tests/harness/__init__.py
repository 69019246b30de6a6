"""Harness code only tests use: chart test cases, helm releases, readiness checks and
workload invariants. The development stack it drives lives in devstack/."""
