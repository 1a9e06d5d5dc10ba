#!/usr/bin/env bash
# Wrap dist/coreography/ in a .deb with dpkg-deb (no debhelper: the app is already
# built). Layout: the app under /opt/coreography, /usr/bin/coreography a link to it,
# desktop entry, AppStream metainfo, the recordings' MIME types and hicolor icons where
# desktops look for them, the copyright file and changelog where Debian wants them.
set -euo pipefail
cd "$(dirname "$0")/../.."
APP_ID=io.github.coreography.Coreography
version=$(build/venv/bin/python -c 'import coreography; print(coreography.__version__)')
arch=$(dpkg --print-architecture)
root=build/deb-root
rm -rf "$root"
mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/share/applications" \
  "$root/usr/share/metainfo" "$root/usr/share/icons/hicolor/scalable/apps"

cp -a dist/coreography "$root/opt/coreography"
ln -s /opt/coreography/coreography "$root/usr/bin/coreography"
cp packaging/linux/$APP_ID.desktop "$root/usr/share/applications/"
# The release date is the commit's, so rebuilding the same commit gives the same file.
date=$(git log -1 --format=%cs 2>/dev/null || date +%F)
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date/" \
  packaging/linux/$APP_ID.metainfo.xml > "$root/usr/share/metainfo/$APP_ID.metainfo.xml"
cp resources/icons/coreography.svg "$root/usr/share/icons/hicolor/scalable/apps/$APP_ID.svg"
for png in build/icons/coreography-*.png; do
  size=$(basename "$png" .png); size=${size#coreography-}
  mkdir -p "$root/usr/share/icons/hicolor/${size}x${size}/apps"
  cp "$png" "$root/usr/share/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
# Recordings: the MIME types (shared-mime-info's trigger rebuilds its database) and their
# icon, named after each type as desktops look it up (application-x-…).
install -D -m 0644 packaging/linux/$APP_ID.mime.xml "$root/usr/share/mime/packages/$APP_ID.xml"
for type in application-x-coreography-recording application-x-coreography-recording+gzip; do
  install -D -m 0644 resources/icons/coreography-recording.svg \
    "$root/usr/share/icons/hicolor/scalable/mimetypes/$type.svg"
  for png in build/icons/recording/coreography-recording-*.png; do
    size=$(basename "$png" .png); size=${size#coreography-recording-}
    install -D -m 0644 "$png" "$root/usr/share/icons/hicolor/${size}x${size}/mimetypes/$type.png"
  done
done

# Debian's documentation: the machine-readable copyright file (with the PSF licence text
# taken from the bundled Python's own LICENSE) and a changelog.
doc="$root/usr/share/doc/coreography"
mkdir -p "$doc"
{
  cat packaging/linux/copyright
  build/venv/bin/python - <<'PY'
import sysconfig
from pathlib import Path

text = (Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt").read_text(encoding="utf-8")
start = text.index("PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2")
body = text[start : text.index("BEOPEN.COM LICENSE AGREEMENT")].split("\n", 2)[2].strip()
print("\n".join(" " + line if line.strip() else " ." for line in body.splitlines()))
PY
} > "$doc/copyright"
grep -q "PSF" "$doc/copyright"
when=$(git log -1 --format=%cD 2>/dev/null || date -R)
printf 'coreography (%s) unstable; urgency=medium\n\n  * Release %s: %s\n\n -- %s  %s\n' \
  "$version" "$version" "https://github.com/coreography/coreography/releases" \
  "Coreography developers <coreography@users.noreply.github.com>" "$when" |
  gzip -9n > "$doc/changelog.gz"
# What lintian says of any self-contained app, each a choice made on purpose (see
# packaging/linux/lintian-overrides for why).
install -D -m 0644 packaging/linux/lintian-overrides "$root/usr/share/lintian/overrides/coreography"

# What the bundle needs from the system: glibc (the version check-bundle.sh reports),
# the C++ runtime and OpenGL/EGL (never bundled), libxcb (PyInstaller never bundles it).
# The rest (fontconfig, D-Bus, the xcb and xkbcommon libraries of Qt's xcb plugin) is
# bundled, and declared too, so that the system's copies are there should a bundled one
# be left out later. check-bundle.sh fails the build if a library the bundle loads from
# the system belongs to no package listed here.
depends=(
  "libc6 (>= $(bash packaging/linux/check-bundle.sh --glibc dist/coreography))"
  libstdc++6 libgcc-s1
  libegl1 libgl1 libopengl0 libglx0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0
  libxkbcommon0 libxkbcommon-x11-0 libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0
  libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0
  libxcb-xkb1 libxcb-util1 libxcb-xinerama0 zlib1g fonts-dejavu-core
)
recommends=$(bash packaging/linux/check-bundle.sh --theme-packages dist/coreography |
  grep -vxF -f <(printf '%s\n' "${depends[@]}" | sed 's/ .*//') || true)
[ -n "$recommends" ] || { echo "make-deb: GTK is not installed here (libgtk-3-0)" >&2; exit 1; }
installed_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
{
  echo "Package: coreography"
  echo "Version: $version"
  echo "Architecture: $arch"
  echo "Maintainer: Coreography developers <coreography@users.noreply.github.com>"
  echo "Installed-Size: $installed_kb"
  echo "Depends: $(IFS=,; echo "${depends[*]}" | sed 's/,/, /g')"
  # The GTK theme plugin (dark preference, native dialogs) uses the desktop's GTK: the
  # packages of its libraries, named as on the build system (check-bundle.sh).
  echo "Recommends: $(echo $recommends | sed 's/ /, /g')"
  echo "Section: education"
  echo "Priority: optional"
  echo "Homepage: https://github.com/coreography/coreography"
  echo "Description: watch Python multiprocessing run"
  echo " Coreography runs a real multiprocessing experiment (Process, Pool,"
  echo " ProcessPoolExecutor, threads) and shows a timeline lane per worker, per-core"
  echo " CPU and the numbers that matter. A self-contained build with its own Python."
} > "$root/DEBIAN/control"
# Desktops pick up a new desktop entry and icons without a relogin.
cat > "$root/DEBIAN/postinst" <<'SH'
#!/bin/sh
set -e
command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
SH
cp "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"

mkdir -p dist
dpkg-deb --root-owner-group -Zxz --build "$root" "dist/coreography_${version}_${arch}.deb"
