"""Loading a logged model. MLflow copies a registry model into a temp folder of its own
and never removes it, one copy per load; load_context reads every part into memory (the
ONNX session, the tokenizer, the SVM), so the copy goes as soon as the model is loaded."""

import tempfile


def load_logged_model(uri: str):
    """The pyfunc at `uri` (models:/..., runs:/... or a local folder), leaving no copy."""
    import mlflow

    with tempfile.TemporaryDirectory(prefix="troll-model-") as download:
        return mlflow.pyfunc.load_model(uri, dst_path=download)
