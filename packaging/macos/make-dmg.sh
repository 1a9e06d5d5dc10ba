#!/usr/bin/env bash
# macOS: dist/Coreography.app (built by packaging/coreography.spec) into a .dmg with an
# /Applications link, using only tools that ship with macOS (hdiutil). Unsigned: an
# unsigned app needs right-click → Open the first time (see README).
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(build/venv/bin/python -c 'import coreography; print(coreography.__version__)')
stage=build/dmg
rm -rf "$stage"; mkdir -p "$stage"
cp -R dist/Coreography.app "$stage/"
ln -s /Applications "$stage/Applications"
hdiutil create -volname Coreography -srcfolder "$stage" -ov -format UDZO \
  "dist/coreography-$version-macos-$(uname -m).dmg"
