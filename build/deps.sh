#!/usr/bin/env bash
# Check that the build dependencies are present; install what is missing when
# running as root with apt, otherwise print the exact command and fail.
# Usage: build/deps.sh [build|test|valgrind|data|readme|report|fuzz|speech|train]...
# (train: optional, only for re-training the shipped recurrent models with
# scripts/train_fashion_rnn.py; nothing in build, test or demo asks for it)
set -euo pipefail
need=()
cc_has() { printf '#include <%s>\nint main(void){return 0;}\n' "$1" | ${CC:-cc} -x c -E - >/dev/null 2>&1; }
for what in "$@"; do
  case "$what" in
    build)
      cc_has openssl/evp.h || need+=(libssl-dev)
      cc_has omp.h || need+=(libgomp1)
      cc_has zlib.h || need+=(zlib1g-dev)
      cc_has protobuf-c/protobuf-c.h || need+=(libprotobuf-c-dev)
      command -v protoc-c >/dev/null 2>&1 || need+=(protobuf-c-compiler)
      [ -f /usr/include/onnx/onnx.proto ] || need+=(libonnx-dev)
      cc_has sndfile.h || need+=(libsndfile1-dev)
      cc_has fftw3.h || need+=(libfftw3-dev)
      ;;
    data)
      [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
      ;;
    test)
      cc_has openssl/evp.h || need+=(libssl-dev)
      { printf '#include <stdarg.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <setjmp.h>\n#include <cmocka.h>\n' | ${CC:-cc} -x c -E - >/dev/null 2>&1; } || need+=(libcmocka-dev)
      ;;
    canvas) # the counting canvases (scripts/make_canvases.py: numpy only)
      /usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
      ;;
    speech) # the synthesised keyword data set (scripts/speech_dataset.sh)
      command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
      command -v sox >/dev/null 2>&1 || need+=(sox)
      ;;
    train) # scripts/train_fashion_rnn.py (PyTorch), scripts/make_test_graphs.py
      /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need+=(python3-torch)
      /usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || need+=(python3-onnx)
      ;;
    valgrind)
      command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
      ;;
    readme)
      command -v python3 >/dev/null 2>&1 || need+=(python3)
      ;;
    report)
      command -v python3 >/dev/null 2>&1 || need+=(python3)
      command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)
      fc-list 2>/dev/null | grep -q DejaVuSans || need+=(fonts-dejavu-core)
      ;;
    fuzz)
      command -v clang >/dev/null 2>&1 || need+=(clang)
      printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; return (int)(n & 0); }\n' |
        clang -x c -fsanitize=fuzzer - -o /dev/null >/dev/null 2>&1 || need+=(libclang-rt-dev)
      printf '#include <omp.h>\n' | clang -fopenmp -x c -E - >/dev/null 2>&1 || need+=(libomp-dev)
      ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0
# de-duplicate
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi
echo "deps: missing packages. Run:" >&2
echo "  sudo apt-get install -y ${need[*]}" >&2
exit 1
