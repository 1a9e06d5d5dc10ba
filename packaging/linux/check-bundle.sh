#!/usr/bin/env bash
# What a frozen app directory needs from the system it runs on.
#   check-bundle.sh --glibc DIR      the highest GLIBC_x.y symbol version any file needs
#                                    (the oldest glibc, hence the oldest distribution)
#   check-bundle.sh DIR [DEB]        that report, every shared library loaded from the
#                                    system with its Debian package, and (given the .deb)
#                                    a failure if one of those packages is not in Depends
set -euo pipefail
mode=report
if [ "${1:-}" = "--glibc" ]; then mode=glibc; shift; fi
dir=$1 deb=${2:-}

elf_files() {  # every ELF file in the bundle (extensions, Qt libs, plugins, the program)
  find "$dir" -type f \( -name '*.so*' -o -perm -u+x \) -print0 |
    xargs -0 file -N --mime-type | awk -F': ' '$2 ~ /x-(sharedlib|executable|pie-executable)/ {print $1}'
}

highest_glibc() {
  elf_files | xargs objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' |
    sort -uV | tail -1
}

if [ $mode = glibc ]; then highest_glibc; exit 0; fi

top=$(highest_glibc)
echo "glibc: the bundle needs GLIBC_$top at most (oldest distribution it runs on), for:"
elf_files | while read -r f; do
  if objdump -T "$f" 2>/dev/null | grep "GLIBC_$top\b" >/dev/null; then echo "  ${f#"$dir"/}"; fi
done
# Libraries named as NEEDED that the bundle does not carry come from the system.
mapfile -t files < <(elf_files)
bundled=$(for f in "${files[@]}"; do basename "$f"; done | sort -u)
needed=$(objdump -p "${files[@]}" 2>/dev/null | awk '/NEEDED/ {print $2}' | sort -u)
system=$(comm -23 <(echo "$needed") <(echo "$bundled"))
depends=""
[ -n "$deb" ] && depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*//; s/ //g')
missing=0
echo "system libraries (library: Debian package):"
for lib in $system; do
  # awk reads to the end (no early exit): under pipefail an early exit would end
  # ldconfig with SIGPIPE and fail the script.
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|64bit|AArch64/ && !found {print $NF; found = 1}')
  pkg=""
  if [ -n "$path" ]; then
    real=$(readlink -f "$path")
    pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)
    pkg=${pkg%%:*}
  fi
  note=""
  if [ -z "$pkg" ]; then note="  <- not installed here"; missing=1
  elif [ -n "$deb" ] && ! grep -qx "$pkg" <<<"$depends"; then note="  <- not in Depends"; missing=1
  fi
  echo "  $lib: ${pkg:-?}$note"
done
exit $missing
