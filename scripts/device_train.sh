#!/usr/bin/env bash
# Train the reader on a lent GPU machine (the `device` tool) from a training kit.
#
# The machine has torch and transformers but none of this project's other dependencies, and
# takes at most 64 MiB of working tree; what comes back is at most 8 files of 16 MB. So:
#
#   here:    .venv/bin/python -m qa.reader.train --save-kit kit ARGS...   # examples + fp16 base
#            scripts/device_train.sh --prepare      # PyStemmer's wheel in .whl/, the weights
#                                                   # kept out of the tree that travels
#   device:  run(command="bash scripts/device_train.sh kit --max-len 256 --stride 96 --batch 64
#                --lr 1e-4 --epochs 4 --max-minutes 7 --checkpoint-steps 2000 --eval-limit 2000",
#                carry=["kit", ".whl"], timeout_s=600)    # from the base; kit + tree ~59 MB
#   here:    scripts/device_train.sh --collect /work/.device/... OUT_DIR   # weights back, ONNX
#            scripts/device_train.sh --restore      # the weights tracked again
#
# Any further arguments go to python -m qa.reader.train (--kit, --device cuda, --no-onnx and
# the folders are set here).
set -euo pipefail
cd "$(dirname "$0")/.."
weights=(qa/reader/model/model.onnx qa/reader/model/model.safetensors)
marker="# device_train.sh: kept out of the tree that travels"

case "${1:-}" in
--prepare)
    # The shipped weights (~100 MB) would push the tree over the 64 MiB that travels: out of the
    # index and ignored until --restore (nothing is committed; the files stay on disk).
    git rm -q --cached "${weights[@]}"
    { echo "$marker"; printf '/%s\n' "${weights[@]}"; } >> .git/info/exclude  # kit/ and .whl/: .gitignore
    .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl "PyStemmer==$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("PyStemmer"))')"
    du -sh kit .whl 2>/dev/null || true
    exit 0 ;;
--restore)
    git reset -q -- "${weights[@]}"
    sed -i "/^$marker\$/,+${#weights[@]}d" .git/info/exclude
    git status --short -- qa/reader/model
    exit 0 ;;
--collect)
    from=$2 out=$3
    mkdir -p "$out"
    cat "$from"/model.safetensors.part* > "$out/model.safetensors"
    cp "$from"/reader.json "$from"/config.json "$out/"
    for f in kit/base/*; do  # the tokenizer files, as the training run saved them from the kit's base
        case "${f##*/}" in model.safetensors | config.json) ;; *) cp "$f" "$out/" ;; esac
    done
    want=$(.venv/bin/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["weights_sha256"])' "$out/reader.json")
    got=$(sha256sum "$out/model.safetensors" | cut -d' ' -f1)
    [ "$want" = "$got" ] || { echo "weights came back damaged: sha256 $got, reader.json says $want" >&2; exit 1; }
    .venv/bin/python -m qa.reader.export --model "$out"
    exit 0 ;;
esac

# On the device machine.
kit=$1
shift
if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site
fi
export PYTHONUNBUFFERED=1
: "${OUT:?run this through the device tool, which sets OUT}"
set -o pipefail
python3 -m qa.reader.train --kit "$kit" --out /tmp/reader --work /tmp/reader-work --device cuda --no-onnx \
    --threads "$(nproc)" "$@" 2>&1 | tee "$OUT/train.log"
# At most 16 MB a file comes back: the weights in parts.
split -b 15M -d /tmp/reader/model.safetensors "$OUT/model.safetensors.part"
cp /tmp/reader/reader.json /tmp/reader/config.json "$OUT/"
