"""Export a sentence-transformers encoder to ONNX (training side: needs torch and onnx).

torch.onnx.export with the TorchScript exporter (dynamo=False): it works with the pinned
torch and transformers and needs no other package; the newer dynamo exporter needs
onnxscript, and optimum-onnx requires transformers < 4.58. int8 is ONNX Runtime's dynamic
quantisation with one scale per output channel: per-tensor scales moved embeddings far more
(see docs/model-service.md).
"""

import contextlib
import json
import logging
import warnings
from pathlib import Path

from model_service.model.pyfunc import (
    ENCODER_BACKENDS,
    ONNX_CONFIG,
    ONNX_FILE,
    TOKENIZER_FILE,
    OnnxEncoder,
)

log = logging.getLogger(__name__)
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


class ExportError(RuntimeError):
    pass


def export(st_model, folder: Path, backend: str) -> OnnxEncoder:
    """Write model.onnx, tokenizer.json and onnx_encoder.json into folder; return the
    encoder loaded from them."""
    if backend not in ENCODER_BACKENDS[1:]:
        raise ExportError(f"not an ONNX backend: {backend!r}")
    _check_layout(st_model)
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = st_model.tokenizer
    transformer = st_model[0].auto_model.eval()
    # Texts of different lengths on purpose: with no padding in the traced batch the
    # attention mask would be optimised away and padded batches would come out wrong.
    sample = tokenizer(
        ["a short sample", "a second, noticeably longer sample sentence for tracing"],
        padding=True,
        return_tensors="pt",
    )
    names = [n for n in INPUT_NAMES if n in sample]

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs):
            return self.transformer(**dict(zip(names, inputs, strict=True))).last_hidden_state

    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    fp32 = folder / ONNX_FILE
    with warnings.catch_warnings(), torch.no_grad():
        # The legacy exporter's deprecation notice and tracer notes about branches that
        # are constant for an encoder with a mask.
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=".*aten::index.*")
        torch.onnx.export(
            LastHiddenState(),
            tuple(sample[n] for n in names),
            str(fp32),
            dynamo=False,
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
        )
    if backend == "onnx-int8":
        _quantize(fp32)
    tokenizer.backend_tokenizer.save(str(folder / TOKENIZER_FILE))
    (folder / ONNX_CONFIG).write_text(
        json.dumps(
            {
                "backend": backend,
                "max_seq_length": int(st_model.max_seq_length),
                "pad_id": int(tokenizer.pad_token_id),
                "dimension": int(st_model.get_embedding_dimension()),
                "opset": OPSET,
            },
            indent=2,
        )
    )
    log.info("exported the encoder to %s (%s)", fp32, backend)
    return OnnxEncoder(folder)


def _quantize(model: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = model.with_suffix(".fp32.onnx")
    model.rename(fp32)
    # Its advice to pre-process first does not apply: symbolic shape inference cannot
    # complete on this graph, and the result is checked against the fp32 vectors in tests.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(fp32, model, weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
        with contextlib.suppress(FileNotFoundError):
            fp32.unlink()


def _check_layout(st_model) -> None:
    """Only what OnnxEncoder reproduces: transformer, mean pooling, optional normalise."""
    kinds = [type(module).__name__ for module in st_model]
    pooling = st_model[1].get_config_dict() if len(kinds) > 1 else {}
    if kinds[:2] != ["Transformer", "Pooling"] or pooling.get("pooling_mode") != "mean":
        raise ExportError(
            f"ONNX export supports transformer + mean pooling (+ normalize) models; this one "
            f"is {' -> '.join(kinds)} with pooling {pooling.get('pooling_mode')!r}"
        )
    if kinds[2:] not in ([], ["Normalize"]):
        raise ExportError(f"ONNX export cannot reproduce the modules after pooling: {kinds[2:]}")
