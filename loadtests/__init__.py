"""Locust load tests for the model service's inference path, and the runner that gates on them."""
