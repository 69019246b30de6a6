"""The troll classifier: dataset checks, MLflow-tracked training with a quality gate,
and the BentoML service that serves the champion model. CLI: `python -m model_service`."""
