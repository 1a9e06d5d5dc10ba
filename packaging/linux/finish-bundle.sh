#!/usr/bin/env bash
# After PyInstaller, on Linux: the frozen app folder (dist/coreography) made ready to ship.
#  - symbolic links left pointing at Qt libraries the spec pruned are removed;
#  - Python's own binaries (libpython, lib-dynload: built with this Python, nothing has
#    rewritten them) are stripped as Debian strips its libraries (--strip-unneeded), and
#    lose the RUNPATH to the build machine's Python prefix;
#  - the extension modules from wheels (numpy, psutil, PySide6, shiboken6) lose only their
#    debug info (--strip-debug): auditwheel rewrote them with patchelf, and a full strip
#    of such files (numpy.libs above all) corrupted numpy's OpenBLAS. numpy.libs and Qt's
#    libraries are left as their wheels ship them. The self-test's numpy check proves it;
#  - shared libraries lose the execute bit (PyInstaller copies them as 0755);
#  - LICENSE, README.md and THIRD_PARTY_NOTICES.txt (written from the build venv, so it
#    names exactly what is bundled, also over the package resource the About box reads).
# Usage: finish-bundle.sh APP_DIR PYTHON
set -euo pipefail
dir=$1 python=$2
cd "$(dirname "$0")/../.."

mapfile -t dangling < <(find "$dir" -xtype l)
for link in "${dangling[@]}"; do
  echo "finish-bundle: removing dangling link ${link#"$dir"/} -> $(readlink "$link")"
  rm "$link"
done

before=$(du -sk --apparent-size "$dir" | cut -f1)
mapfile -t python_own < <(find "$dir/_internal" -type f \( -name 'libpython3*.so*' \
  -o -path '*/lib-dynload/*.so' \))
mapfile -t from_wheels < <(find "$dir/_internal" -type f \( -name '*.cpython-*.so' \
  -o -name '*.abi3.so' \) -not -path '*/lib-dynload/*' -not -path '*/numpy.libs/*' \
  -not -path '*/PySide6/Qt/*')
strip --strip-unneeded --remove-section=.comment --remove-section=.note "${python_own[@]}"
for f in "${python_own[@]}"; do
  if chrpath -l "$f" > /dev/null 2>&1; then chrpath -d "$f" > /dev/null; fi
done
strip --strip-debug "${from_wheels[@]}"
after=$(du -sk --apparent-size "$dir" | cut -f1)
echo "finish-bundle: stripped ${#python_own[@]} files of Python (--strip-unneeded) and" \
  "${#from_wheels[@]} extension modules from wheels (--strip-debug):" \
  "$((before / 1024)) MiB -> $((after / 1024)) MiB"
find "$dir/_internal" -type f -name '*.so*' -perm /111 -exec chmod a-x {} +

cp LICENSE README.md "$dir/"
QT_QPA_PLATFORM=offscreen "$python" packaging/write-notices.py "$dir/THIRD_PARTY_NOTICES.txt"
resource=$(find "$dir/_internal" -path '*/coreography/resources/THIRD_PARTY_NOTICES.txt')
[ -n "$resource" ] || { echo "finish-bundle: the notices resource is missing" >&2; exit 1; }
cp "$dir/THIRD_PARTY_NOTICES.txt" "$resource"
