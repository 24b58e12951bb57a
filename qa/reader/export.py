"""Export the trained reader to ONNX, for ONNX Runtime at run time (no torch there).

    python -m qa.reader.export [--model qa/reader/model]

The graph is traced with torch's TorchScript exporter (``torch.onnx.export(dynamo=False)``:
transformers 5 models trace cleanly with it, and optimum's ONNX classes do not support
transformers 5), with dynamic batch and sequence axes. The weights are stored in fp16, as
in ``model.safetensors``, each behind a ``Cast`` to fp32 that ONNX Runtime folds away when
it loads the file: half the size on disk, fp32 arithmetic at run time. Then, unless
``--no-int8``, the matrix multiplications are quantized to int8 (ONNX Runtime's dynamic
quantization of their weights): measured on 1,500 held-out answerable questions, F1 72.8 ->
72.0 and 58.5 -> 25.1 ms a question on 2 cores (the issue allowed int8 if F1 drops at most
1 point). One stays fp32 (:data:`FP32_MATMULS`): the first layer's feed-forward output,
whose input has the few huge activations BERT models are known for, so that one int8 scale
for the whole tensor (dynamic quantization's) crushes the rest. The file's sha256 is
recorded in ``reader.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import MODEL_DIR, sha256

__all__ = ["export_onnx", "quantize_onnx", "ONNX_FILE", "FP32_MATMULS"]

ONNX_FILE = "model.onnx"
FP32_MATMULS = ("/encoder/layer.0/output/dense/MatMul",)
"""Matrix multiplications (by the end of their node name) kept fp32 when quantizing. Asked
through the engine, 1,102 held-out answerable questions: F1 55.7 all int8, 57.1 with this
one fp32 (57.5 all fp32), for 6% more reading time (all fp32: 65% more); layers 0-2 fp32:
56.9 at 14% more."""
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUTS = ("start_logits", "end_logits")
HEAD_OUTPUT = "answerable_logits"
"""The answerability head's logit per window, a third output when the reader has one (:mod:`qa.reader.head`)."""


def export_onnx(model_dir: str | Path = MODEL_DIR, *, opset: int = 17) -> Path:
    """Write ``model_dir/model.onnx`` from its safetensors weights; return its path."""
    import onnx
    import torch
    from onnx import TensorProto, helper, numpy_helper

    from .head import forward, has_head, load_model

    model_dir = Path(model_dir)
    model = load_model(model_dir).eval()
    outputs = OUTPUTS + ((HEAD_OUTPUT,) if has_head(model) else ())

    class _QA(torch.nn.Module):  # plain tensors out, named as ONNX Runtime returns them
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return tuple(o for o in forward(self.inner, input_ids, token_type_ids, attention_mask) if o is not None)

    example = tuple(torch.ones((2, 16), dtype=torch.long) for _ in INPUTS)
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUTS + OUTPUTS} | {HEAD_OUTPUT: {0: "batch"}}
    axes = {name: axes[name] for name in INPUTS + outputs}
    tmp = model_dir / (ONNX_FILE + ".tmp")
    with torch.inference_mode():
        torch.onnx.export(_QA(model), example, str(tmp), input_names=list(INPUTS), output_names=list(outputs),
                          dynamic_axes=axes, opset_version=opset, dynamo=False, do_constant_folding=True)  # fmt: skip

    graph = onnx.load(str(tmp))
    casts, kept = [], []
    for init in graph.graph.initializer:
        if init.data_type == TensorProto.FLOAT and len(init.dims) >= 1 and numpy_helper.to_array(init).size >= 1024:
            half = numpy_helper.from_array(numpy_helper.to_array(init).astype("float16"), init.name + "__fp16")
            kept.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=init.name + "__cast"))
        else:
            kept.append(init)
    del graph.graph.initializer[:]
    graph.graph.initializer.extend(kept)
    nodes = casts + list(graph.graph.node)
    del graph.graph.node[:]
    graph.graph.node.extend(nodes)
    onnx.checker.check_model(graph)
    onnx.save(graph, str(tmp))
    out = model_dir / ONNX_FILE
    os.replace(tmp, out)
    record_path = model_dir / "reader.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["onnx_sha256"] = sha256(out)
    record["onnx"] = {"exporter": f"torch {torch.__version__} torch.onnx (TorchScript), opset {opset}",
                      "weights": "fp16 initializers cast to fp32 on load"}  # fmt: skip
    record_path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    return out


def quantize_onnx(model_dir: str | Path = MODEL_DIR) -> Path:
    """Quantize ``model_dir/model.onnx`` (as :func:`export_onnx` writes it) to int8 in place.

    The fp16 weights' ``Cast`` nodes are folded into fp32 initializers first, so that the
    quantizer sees the matrix multiplications' weights as constants."""
    import onnx
    import onnxruntime
    from onnx import helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model_dir = Path(model_dir)
    path = model_dir / ONNX_FILE
    graph = onnx.load(str(path))
    g = graph.graph
    inits = {i.name: i for i in g.initializer}
    nodes = []
    for node in g.node:
        if node.op_type == "Cast" and node.input[0] in inits:
            to = next(a.i for a in node.attribute if a.name == "to")
            folded = numpy_helper.to_array(inits[node.input[0]]).astype(helper.tensor_dtype_to_np_dtype(to))
            g.initializer.append(numpy_helper.from_array(folded, node.output[0]))
        else:
            nodes.append(node)
    del g.node[:]
    g.node.extend(nodes)
    used = {name for node in g.node for name in node.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    fp32, tmp = model_dir / (ONNX_FILE + ".fp32"), model_dir / (ONNX_FILE + ".tmp")
    onnx.save(graph, str(fp32))
    try:
        kept_fp32 = [n.name for n in g.node if n.op_type == "MatMul" and n.name.endswith(FP32_MATMULS)]
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                         nodes_to_exclude=kept_fp32)  # fmt: skip
    finally:
        fp32.unlink(missing_ok=True)
    os.replace(tmp, path)
    record_path = model_dir / "reader.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["onnx_sha256"] = sha256(path)
    record["onnx"] = dict(record.get("onnx", {}), weights="int8 matrix multiplications (dynamic quantization, "
                          f"onnxruntime {onnxruntime.__version__}) but {', '.join(kept_fp32)}; the rest fp32")  # fmt: skip
    record_path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=MODEL_DIR)
    ap.add_argument("--int8", action=argparse.BooleanOptionalAction, default=True,
                    help="quantize the matrix multiplications to int8 (default; --no-int8 keeps fp32)")  # fmt: skip
    args = ap.parse_args(argv)
    path = export_onnx(args.model)
    if args.int8:
        path = quantize_onnx(args.model)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
