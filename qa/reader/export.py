"""Export the trained reader to ONNX, for ONNX Runtime at run time (no torch there).

    python -m qa.reader.export [--model qa/reader/model]

The graph is traced with torch's TorchScript exporter (``torch.onnx.export(dynamo=False)``:
transformers 5 models trace cleanly with it, and optimum's ONNX classes do not support
transformers 5), with dynamic batch and sequence axes. The weights are stored in fp16, as
in ``model.safetensors``, each behind a ``Cast`` to fp32 that ONNX Runtime folds away when
it loads the file: half the size on disk, fp32 arithmetic at run time. The file's sha256 is
recorded in ``reader.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import MODEL_DIR, sha256

__all__ = ["export_onnx", "ONNX_FILE"]

ONNX_FILE = "model.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUTS = ("start_logits", "end_logits")


def export_onnx(model_dir: str | Path = MODEL_DIR, *, opset: int = 17) -> Path:
    """Write ``model_dir/model.onnx`` from its safetensors weights; return its path."""
    import onnx
    import torch
    from onnx import TensorProto, helper, numpy_helper
    from transformers import AutoModelForQuestionAnswering

    model_dir = Path(model_dir)
    model = AutoModelForQuestionAnswering.from_pretrained(model_dir, dtype=torch.float32).eval()

    class _QA(torch.nn.Module):  # plain tensors out, named as ONNX Runtime returns them
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.start_logits, out.end_logits

    example = tuple(torch.ones((2, 16), dtype=torch.long) for _ in INPUTS)
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUTS + OUTPUTS}
    tmp = model_dir / (ONNX_FILE + ".tmp")
    with torch.inference_mode():
        torch.onnx.export(_QA(model), example, str(tmp), input_names=list(INPUTS), output_names=list(OUTPUTS),
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=MODEL_DIR)
    args = ap.parse_args(argv)
    path = export_onnx(args.model)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
