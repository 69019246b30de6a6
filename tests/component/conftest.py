"""Component tier: real servers on loopback, started and stopped by the session
fixtures in tests/model_fixtures.py (shared with the load tier)."""
