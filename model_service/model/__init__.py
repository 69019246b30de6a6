"""The model as MLflow logs it: the pyfunc with its encoders (pyfunc.py, which MLflow stores
with every model), how training saves it (saving.py), how every consumer loads it
(loading.py) and the ONNX export of the encoder."""
