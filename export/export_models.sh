#!/usr/bin/env bash
# Exports VolumeIGN and DC-IGN as TF Serving SavedModels: BASE/volume_ign/N/ and BASE/dcign/N/
# (N = next free version), then checks every signature of each against the Keras model.
#
# Usage: export/export_models.sh [VOLUME_CHECKPOINT [DCIGN_CHECKPOINT]]
#   A checkpoint is a .keras file or a `tf-ivg train --workdir` folder. A model given no checkpoint
#   is exported UNTRAINED from its smoke config (32x32 -> 32^3 VolumeIGN, 32x32 DC-IGN): enough to
#   check a deployment end to end, not to get useful reconstructions.
# Env: BASE_DIR (default export/models), TF_IVG (default: tf-ivg, else .venv/bin/tf-ivg).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_DIR=${BASE_DIR:-export/models}
if [ -z "${TF_IVG:-}" ]; then
  if command -v tf-ivg >/dev/null; then TF_IVG=tf-ivg; else TF_IVG=.venv/bin/tf-ivg; fi
fi

if [ -n "${1:-}" ]; then volume_source=(--checkpoint "$1"); else volume_source=(--config faces_volume --variant smoke); fi
if [ -n "${2:-}" ]; then dcign_source=(--checkpoint "$2"); else dcign_source=(--config dcign_faces --variant smoke); fi

"$TF_IVG" export "${volume_source[@]}" --model-name volume_ign --base-dir "$BASE_DIR" --verify
"$TF_IVG" export "${dcign_source[@]}" --model-name dcign --base-dir "$BASE_DIR" --verify
echo "exported to $BASE_DIR; serve with: $TF_IVG serve --model-base-path $BASE_DIR --port 8500"
