# Shared set-up of the example-model bench scripts (sourced, not run): from the script's
# arguments `[board] [model...]` it sets BOARD (default pynq-z2) and MODELS (default every
# example model), builds the release binary, and sets OUT (default a fresh temporary directory
# named after TAG, which the sourcing script sets first).
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BOARD=${1:-pynq-z2}
shift || true
MODELS=("$@")
[ ${#MODELS[@]} -eq 0 ] && MODELS=(tfc_w1a1 cnv_w1a1 cnv_w2a2 resnet8 ds_cnn mobilenet_v1_025 ad_autoencoder)
cargo build --release -q
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/half-$TAG.XXXXXX")}
