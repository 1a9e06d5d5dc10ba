#!/usr/bin/env bash
# `make package-test`: build the installers, validate them, and run the app's self-test
# from the frozen directory and from the .deb (extracted into a temp root), under the
# offscreen platform and under a real X server (Xvfb), plus one soak of 60 s.
# Every slimming cut in the spec is only as good as these runs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/package-test
rm -rf "$out"; mkdir -p "$out"

# Validators and the X server; CI machines start without them.
bash packaging/linux/apt-ensure.sh xvfb xauth desktop-file-utils appstream binutils file

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

# The command line from the installed copy: hashing (OpenSSL's libcrypto), gzip, the
# exporters: code the self-test does not reach, and that the slimming must not break.
echo "== command line: $installed"
"$installed" run --model process-pool --workers 2 --tasks 8 --task nogil:2ms \
  --start-method spawn --out "$out/run.coreo.json.gz" > "$out/run.txt"
"$installed" export "$out/run.coreo.json.gz" --chrome "$out/trace.json" --csv "$out/tasks.csv"
"$installed" --version

# The packaging tests (entry counting, orphans) against this build.
COREOGRAPHY_FROZEN_APP="$frozen" QT_QPA_PLATFORM=offscreen \
  .venv/bin/python -m pytest -q -p no:cacheprovider tests/packaging
echo "package-test: passed in $(( $(date +%s) - start )) s; screenshots in $out/"
du -sh --apparent-size dist/coreography "$deb" dist/*.tar.gz
