#!/usr/bin/env bash
# The .deb on a machine that has none of its dependencies: a fresh minimal Debian
# (mmdebstrap, variant apt: essential packages and apt only) where apt must fetch every
# package the .deb declares, then the self-test (offscreen), the command line, the
# recordings' MIME types as xdg-mime sees them, and a clean removal.
# Usage (as root): deb-chroot-test.sh DEB OUT_DIR
# The minimal system is cached as build/debian-chroot/SUITE.tar.zst, and the .debs apt
# downloads in build/debian-chroot/archives, so reruns neither rebuild nor re-download.
set -euo pipefail
deb=$(readlink -f "$1") out=$2
cd "$(dirname "$0")/../.."
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=build/debian-chroot
tarball=$cache/$suite.tar.zst
root=$out/chroot
if [ "$(id -u)" -ne 0 ]; then echo "deb-chroot-test: needs root (chroot, mounts)" >&2; exit 1; fi

mkdir -p "$cache/archives/partial"
if [ ! -f "$tarball" ] || [ ! -s "$tarball" ]; then
  start=$(date +%s)
  rm -rf "$tarball" "$cache/$suite.part.tar.zst"
  # mmdebstrap picks its output format from the name's ending: keep .tar.zst last.
  mmdebstrap --quiet --variant=apt --format=tar "$suite" "$cache/$suite.part.tar.zst" "$mirror"
  mv "$cache/$suite.part.tar.zst" "$tarball"
  echo "deb-chroot-test: built $tarball in $(( $(date +%s) - start )) s"
fi
rm -rf "$root"; mkdir -p "$root"
tar -C "$root" --zstd -xf "$tarball"

# /dev (with /dev/shm: the workers' shared memory), /proc and /sys for psutil, and the
# apt cache; each a slave mount, so that unmounting never reaches the host's.
mounted=()
bind() {  # SOURCE TARGET
  mkdir -p "$2"; mount --rbind "$1" "$2"; mount --make-rslave "$2"; mounted=("$2" "${mounted[@]}")
}
cleanup() { for m in "${mounted[@]}"; do umount -R "$m" 2>/dev/null || umount -lR "$m" || true; done; }
trap cleanup EXIT
bind /dev "$root/dev"; bind /proc "$root/proc"; bind /sys "$root/sys"
bind "$(readlink -f "$cache/archives")" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/coreography.deb"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
# Keep the downloaded packages for the next run (the minimal system deletes them).
rm -f "$root/etc/apt/apt.conf.d/docker-clean"
echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > "$root/etc/apt/apt.conf.d/keep-cache"

start=$(date +%s)
in_root apt-get update -qq
before=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  /tmp/coreography.deb > "$out/chroot-apt.log"
after=$(in_root dpkg-query -W -f='${Package}\n' | wc -l)
echo "deb-chroot-test: apt installed the .deb and $(( after - before - 1 )) packages it" \
  "depends on in $(( $(date +%s) - start )) s"

echo "== self-test in a fresh Debian $suite"
in_root env QT_QPA_PLATFORM=offscreen coreography --self-test --screenshot /tmp/selftest.png
cp "$root/tmp/selftest.png" "$out/chroot-selftest.png"
mkdir -p "$root/tmp/files"
in_root coreography run --model pool-map --workers 2 --tasks 6 --task nogil:2ms \
  --out /tmp/files/run.coreo.json.gz > "$out/chroot-run.txt" 2>&1 || { cat "$out/chroot-run.txt"; exit 1; }
in_root coreography export /tmp/files/run.coreo.json.gz --chrome /tmp/files/trace.json
gzip -dc "$root/tmp/files/run.coreo.json.gz" > "$root/tmp/files/run.coreo.json"
echo '{"name": "some-project", "version": "1.0.0"}' > "$root/tmp/files/package.json"

echo "== MIME types (xdg-mime, as GNOME sees them)"
# What a desktop brings; each package's trigger indexes the .deb's MIME and desktop files.
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  xdg-utils shared-mime-info desktop-file-utils libglib2.0-bin > "$out/chroot-apt-desktop.log"
desktop=io.github.coreography.Coreography.desktop
mime() { in_root env XDG_CURRENT_DESKTOP=GNOME xdg-mime "$@"; }
expect() {  # WHAT GOT WANTED
  if [ "$2" = "$3" ]; then echo "  $1: $2"; else echo "FAILED: $1: '$2', expected '$3'" >&2; exit 1; fi
}
expect "run.coreo.json" "$(mime query filetype /tmp/files/run.coreo.json)" \
  application/x-coreography-recording
expect "run.coreo.json.gz" "$(mime query filetype /tmp/files/run.coreo.json.gz)" \
  application/x-coreography-recording+gzip
expect "package.json" "$(mime query filetype /tmp/files/package.json)" application/json
expect "trace.json" "$(mime query filetype /tmp/files/trace.json)" application/json
expect "opens .coreo.json" "$(mime query default application/x-coreography-recording)" "$desktop"
expect "opens .coreo.json.gz" \
  "$(mime query default application/x-coreography-recording+gzip)" "$desktop"
json_opener=$(mime query default application/json)
[ "$json_opener" != "$desktop" ] || { echo "FAILED: Coreography opens package.json" >&2; exit 1; }
echo "  opens package.json: ${json_opener:-nothing}"

echo "== removal"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq coreography > /dev/null
left=$(in_root dpkg -S /opt/coreography 2>/dev/null || true)
[ ! -e "$root/opt/coreography" ] && [ -z "$left" ] || { echo "FAILED: /opt/coreography left" >&2; exit 1; }
[ "$(mime query default application/x-coreography-recording)" = "" ] ||
  { echo "FAILED: the association outlives the package" >&2; exit 1; }
echo "deb-chroot-test: passed in $(( $(date +%s) - start )) s"
