"""Serving: the BentoML service, its batcher, API schema and errors, CPU budget and where the
model comes from. The serving image holds this package and what it imports, nothing else."""

# What `bentoml serve` runs (bentofile.yaml names it too).
SERVICE = "model_service.serving.service:TrollClassifier"
