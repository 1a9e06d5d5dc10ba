#!/usr/bin/env bash
# What a frozen app directory needs from the system it runs on.
#   check-bundle.sh --glibc DIR      the highest GLIBC_x.y symbol version any file needs
#                                    (the oldest glibc, hence the oldest distribution)
#   check-bundle.sh DIR [DEB]        that report, every shared library loaded from the
#                                    system with its Debian package, and (given the .deb)
#                                    a failure if one of those packages is not in Depends
#                                    (Recommends, for what only the optional theme plugins
#                                    load: GTK); a failure on any dangling symbolic link
set -euo pipefail
mode=report
case "${1:-}" in
  --glibc) mode=glibc; shift ;;
  --theme-packages) mode=theme; shift ;;  # the packages of what only theme plugins load
esac
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

package_of() {  # LIBRARY NAME -> the Debian package of the system's copy, or nothing
  local path real pkg
  # awk reads to the end (no early exit): under pipefail an early exit would end
  # ldconfig with SIGPIPE and fail the script.
  path=$(ldconfig -p | awk -v l="$1" '$1 == l && /x86-64|64bit|AArch64/ && !found {print $NF; found = 1}')
  [ -n "$path" ] || return 0
  real=$(readlink -f "$path")
  pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)
  echo "${pkg%%:*}"
}

if [ $mode = theme ]; then
  for lib in $(find "$dir" -path '*/plugins/platformthemes/*.so' -exec objdump -p {} + |
      awk '/NEEDED/ {print $2}' | sort -u); do
    [ -n "$(find "$dir" -name "$lib" -print -quit)" ] || package_of "$lib"
  done | sort -u
  exit 0
fi

top=$(highest_glibc)
echo "glibc: the bundle needs GLIBC_$top at most (oldest distribution it runs on), for:"
elf_files | while read -r f; do
  if objdump -T "$f" 2>/dev/null | grep "GLIBC_$top\b" >/dev/null; then echo "  ${f#"$dir"/}"; fi
done
# Libraries named as NEEDED that the bundle does not carry come from the system.
mapfile -t files < <(elf_files)
bundled=$(for f in "${files[@]}"; do basename "$f"; done | sort -u)
needed=$(objdump -p "${files[@]}" 2>/dev/null | awk '/NEEDED/ {print $2}' | sort -u)
mapfile -t core < <(printf '%s\n' "${files[@]}" | grep -v '/plugins/platformthemes/')
core_needed=$(objdump -p "${core[@]}" 2>/dev/null | awk '/NEEDED/ {print $2}' | sort -u)
system=$(comm -23 <(echo "$needed") <(echo "$bundled"))
depends="" recommends=""
field() { dpkg-deb -f "$deb" "$1" | tr ',' '\n' | sed 's/(.*//; s/ //g'; }
[ -n "$deb" ] && depends=$(field Depends) && recommends=$(field Recommends)
missing=0
mapfile -t dangling < <(find "$dir" -xtype l)
for link in "${dangling[@]}"; do
  echo "dangling link: ${link#"$dir"/} -> $(readlink "$link")"; missing=1
done
echo "system libraries (library: Debian package):"
for lib in $system; do
  pkg=$(package_of "$lib")
  note=""
  if [ -z "$pkg" ]; then note="  <- not installed here"; missing=1
  elif [ -n "$deb" ] && ! grep -qx "$pkg" <<<"$depends"; then
    if grep -qx "$lib" <<<"$core_needed"; then note="  <- not in Depends"; missing=1
    elif grep -qx "$pkg" <<<"$recommends"; then note="  (theme plugins only: Recommends)"
    else note="  <- theme plugins only, not in Recommends"; missing=1
    fi
  fi
  echo "  $lib: ${pkg:-?}$note"
done
exit $missing
