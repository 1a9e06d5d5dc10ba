#!/usr/bin/env bash
# `make package-test`: build the installers, validate them, and run the app's self-test
# from the frozen directory and from the .deb (extracted into a temp root), under the
# offscreen platform and under a real X server (Xvfb), plus one soak of 60 s; lintian on
# the .deb; then the .deb installed by apt into a fresh minimal Debian (deb-chroot-test.sh).
# Every slimming cut in the spec is only as good as these runs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/package-test
rm -rf "$out"; mkdir -p "$out"

# Validators, the X server, the minimal-Debian builder, and GTK (the theme plugin's
# libraries, for check-bundle.sh to name their package); CI machines start without them.
bash packaging/linux/apt-ensure.sh xvfb xauth desktop-file-utils appstream binutils file \
  lintian mmdebstrap zstd libgtk-3-0

start=$(date +%s)
bash packaging/build.sh
echo "package-test: build took $(( $(date +%s) - start )) s"

deb=$(ls dist/coreography_*.deb)
echo "== validation"
desktop-file-validate packaging/linux/io.github.coreography.Coreography.desktop
dpkg-deb -x "$deb" "$out/root"
appstreamcli validate --no-net "$out"/root/usr/share/metainfo/*.metainfo.xml
dpkg-deb -I "$deb"
echo "dpkg-deb -c: $(dpkg-deb -c "$deb" | wc -l) entries, e.g.:"
dpkg-deb -c "$deb" | awk '$6 ~ /^\.\/(usr|opt\/coreography\/coreography$)/ && $6 !~ /\/$/ {
  printf "  %s %9s %s %s %s\n", $1, $3, $6, $7, $8 }' 
[ "$(readlink "$out/root/usr/bin/coreography")" = /opt/coreography/coreography ]
bash packaging/linux/check-bundle.sh dist/coreography "$deb"
tarball=$(ls dist/coreography-*-linux-*.tar.gz)
for f in LICENSE README.md THIRD_PARTY_NOTICES.txt share/applications/io.github.coreography.Coreography.desktop \
  share/icons/hicolor/scalable/apps/io.github.coreography.Coreography.svg \
  share/mime/packages/io.github.coreography.Coreography.xml; do
  tar -tzf "$tarball" "coreography/$f" > /dev/null
done
echo "tarball: $(tar -tzf "$tarball" | wc -l) entries, with the desktop entry, icons, MIME types, README, LICENSE, notices"
echo "== lintian"
# Errors fail the build; warnings are listed (overrides: packaging/linux/lintian-overrides).
lintian --fail-on error --tag-display-limit 0 "$deb" | tee "$out/lintian.txt"
echo "lintian: $(grep -c '^E:' "$out/lintian.txt" || true) errors, $(grep -c '^W:' "$out/lintian.txt" || true) warnings"

# One self-test; the entry log proves no helper process ran the app's main().
selftest() {  # NAME APP [ARGS...]
  local name=$1 app=$2; shift 2
  local entries="$out/$name.entries"
  echo "== self-test: $name"
  COREOGRAPHY_ENTRY_LOG="$entries" "$@" "$app" --self-test --screenshot "$out/$name.png" \
    ${SECONDS_ARG:-}
  [ "$(wc -l < "$entries")" -eq 1 ] || { echo "FAILED: $name: main() entered $(wc -l < "$entries") times"; cat "$entries"; exit 1; }
}
xvfb() { xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb "$@"; }
frozen=dist/coreography/coreography
installed="$out/root/opt/coreography/coreography"
selftest frozen-offscreen "$frozen" env QT_QPA_PLATFORM=offscreen
selftest frozen-xvfb "$frozen" xvfb
selftest deb-offscreen "$installed" env QT_QPA_PLATFORM=offscreen
selftest deb-xvfb "$installed" xvfb
SECONDS_ARG="--seconds 60" selftest deb-xvfb-soak "$installed" xvfb
# The GTK theme plugin, as a GNOME session loads it: the installed app must map it (with
# GTK from the system) while its self-test runs. (Qt's own plugin logging would say so,
# but logs at exit after the Python message handler is gone, and crashes.)
echo "== self-test: deb-xvfb-gtk3 (QT_QPA_PLATFORMTHEME=gtk3)"
QT_QPA_PLATFORMTHEME=gtk3 COREOGRAPHY_ENTRY_LOG="$out/gtk3.entries" \
  xvfb "$installed" --self-test > "$out/gtk3.txt" 2>&1 &
runner=$! loaded=""
while kill -0 "$runner" 2>/dev/null; do
  pid=$(head -1 "$out/gtk3.entries" 2>/dev/null | cut -d" " -f1 || true)
  if [ -n "$pid" ] && grep -q 'platformthemes/libqgtk3\.so' "/proc/$pid/maps" 2>/dev/null; then
    loaded=yes; break
  fi
  sleep 0.2
done
wait "$runner" || { tail "$out/gtk3.txt"; echo "FAILED: self-test with the GTK 3 theme"; exit 1; }
[ -n "$loaded" ] || { echo "FAILED: the GTK 3 theme plugin did not load"; exit 1; }
tail -1 "$out/gtk3.txt"
echo "gtk3 theme plugin: loaded"

# The command line from the installed copy: hashing (OpenSSL's libcrypto), gzip, the
# exporters: code the self-test does not reach, and that the slimming must not break.
echo "== command line: $installed"
"$installed" run --model process-pool --workers 2 --tasks 8 --task nogil:2ms \
  --start-method spawn --out "$out/run.coreo.json.gz" > "$out/run.txt"
"$installed" export "$out/run.coreo.json.gz" --chrome "$out/trace.json" --csv "$out/tasks.csv"
"$installed" --version

# On a machine without the .deb's dependencies: apt must fetch them (root only: chroot).
if [ "$(id -u)" -eq 0 ]; then
  bash packaging/linux/deb-chroot-test.sh "$deb" "$out"
else
  echo "package-test: not root, the fresh-Debian install test is skipped"
fi

# The packaging tests (entry counting, orphans) against this build.
COREOGRAPHY_FROZEN_APP="$frozen" QT_QPA_PLATFORM=offscreen \
  .venv/bin/python -m pytest -q -p no:cacheprovider tests/packaging
echo "package-test: passed in $(( $(date +%s) - start )) s; screenshots in $out/"
du -sh --apparent-size dist/coreography "$deb" dist/*.tar.gz
