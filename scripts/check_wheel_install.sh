#!/usr/bin/env bash
# Builds tf_ivg's wheel, installs it (not editable) into a fresh venv and uses it from outside the repo,
# as `pip install git+URL` users do. Fails if a module or package-data file of the source tree is missing
# from the install, or if `tf-ivg --help`, an import of every subpackage, `tf-ivg reconstruct` on a
# generated PNG or `python -m tf_ivg.demo --quick` fails.
#   PYTHON=python3.11 scripts/check_wheel_install.sh
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "== building the wheel"
# From a copy without build outputs: setuptools' build/ folder could carry modules deleted since.
mkdir "$WORK/src"
tar -C "$REPO" --exclude=./.venv --exclude=./build --exclude=./dist --exclude='*.egg-info' --exclude=./runs \
  --exclude=./.git -cf - . | tar -C "$WORK/src" -xf -
"$PYTHON" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$WORK/dist" "$WORK/src"
WHEEL=$(ls "$WORK"/dist/tf_ivg-*.whl)
echo "== installing $(basename "$WHEEL") into a fresh venv"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL"

cd "$WORK"  # outside the repo: nothing can be imported from the checkout
export TF_CPP_MIN_LOG_LEVEL=2
echo "== every source file is installed"
"$WORK/venv/bin/python" - "$REPO" <<'PY'
import importlib, pathlib, sys
import tf_ivg, tf_ivg_datasets
repo = pathlib.Path(sys.argv[1])
missing, modules = [], []
for source, installed_pkg in ((repo / "tf_ivg", tf_ivg), (repo / "datasets", tf_ivg_datasets)):
    installed = pathlib.Path(installed_pkg.__file__).parent
    assert repo not in installed.parents, f"{installed_pkg.__name__} imported from the checkout ({installed})"
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_dir() or "__pycache__" in rel.parts or path.suffix == ".pyc":
            continue
        if not (installed / rel).is_file():
            missing.append(f"{installed_pkg.__name__}/{rel}")
        if path.name == "__init__.py":
            modules.append(".".join((installed_pkg.__name__, *rel.parent.parts)))
if missing:
    sys.exit(f"missing from the installed wheel: {missing}")
for name in modules:
    importlib.import_module(name)
print(f"{len(modules)} packages import; no file missing")
PY
echo "== tf-ivg --help"
"$WORK/venv/bin/tf-ivg" --help > /dev/null
echo "== tf-ivg reconstruct on a generated face"
"$WORK/venv/bin/python" -c "
from PIL import Image
from tf_ivg.data import make_volume_pairs
images, _, _ = make_volume_pairs(1, image_size=32, volume_size=8, seed=3)
Image.fromarray((images[0] * 255).round().astype('uint8')).save('face.png')"
"$WORK/venv/bin/tf-ivg" reconstruct face.png -o face.glb
test -s face.glb
echo "== python -m tf_ivg.demo --quick"
"$WORK/venv/bin/python" -m tf_ivg.demo --quick --workdir "$WORK/demo" > "$WORK/demo.log" 2>&1 \
  || { tail -40 "$WORK/demo.log"; exit 1; }
test -s "$WORK/demo/summary.json"
echo "wheel install check passed"
