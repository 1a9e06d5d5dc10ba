#!/usr/bin/env bash
# `make package`: the frozen app (dist/coreography/), a .deb and a .tar.gz, on Linux.
#
# PyInstaller runs in its own venv (build/venv) where Coreography is installed from a
# wheel, not editable: the bundle then holds exactly the runtime dependencies, and
# coreography.resources sits where importlib.resources finds it in any install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=build/venv

bash packaging/install-system-deps.sh      # Qt's libraries, to run the icon renderer
bash packaging/linux/apt-ensure.sh binutils chrpath  # strip and chrpath, for finish-bundle.sh
$PYTHON packaging/check-python.py
[ -x $VENV/bin/python ] || $PYTHON -m venv $VENV
$VENV/bin/python -m pip install --quiet --upgrade pip
# The dask extra: the frozen app runs the dask-map and dask-submit models too.
$VENV/bin/python -m pip install --quiet '.[package,dask]'
# pip keeps an installed wheel of the same version: force this checkout's code in.
$VENV/bin/python -m pip install --quiet --no-deps --force-reinstall .

$VENV/bin/python packaging/render-icons.py build/icons
start=$(date +%s)
$VENV/bin/pyinstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/coreography.spec
echo "build: pyinstaller took $(( $(date +%s) - start )) s"
bash packaging/linux/finish-bundle.sh dist/coreography $VENV/bin/python

bash packaging/linux/make-deb.sh
version=$($VENV/bin/python -c 'import coreography; print(coreography.__version__)')
# The tarball: the app folder with what a desktop needs to list it (share/, laid out as
# under ~/.local/share), beside the README, LICENSE and notices finish-bundle.sh put in.
stage=build/tarball
rm -rf "$stage"; mkdir -p "$stage"
cp -al dist/coreography "$stage/coreography"  # hard links: no copy of 200 MB
cp -a build/deb-root/usr/share "$stage/coreography/share"
rm -rf "$stage/coreography/share/doc" "$stage/coreography/share/lintian"
tar -C "$stage" -czf "dist/coreography-$version-linux-$(uname -m).tar.gz" coreography
du -sh --apparent-size dist/coreography dist/*.deb dist/*.tar.gz
