"""Training: dataset checks, the held-out split, embedding, the SVM, evaluation, the quality
gate, promotion and MLflow tracking of runs. Not in the serving image."""
