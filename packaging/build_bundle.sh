#!/usr/bin/env bash
# Build the one-folder application bundle and smoke-test it, in one command.
#
#   bash packaging/build_bundle.sh            build into dist/bioimage-depositor/, then run the smoke test
#   bash packaging/build_bundle.sh --no-test  build only
#
# It finds Python 3.11-3.13 the way packaging/dev.sh does (BIOIMAGE_PYTHON overrides),
# keeps a separate build venv (.venv-bundle) with the project installed *non-editable*
# (the bundle must carry what the wheel carries) plus PyInstaller from PyPI, renders the
# icons from the SVG source, runs PyInstaller on packaging/bioimage-depositor.spec, strips debug
# info from the libraries (packaging/bundle_strip.py), copies the freedesktop icon theme into the
# bundle and runs packaging/bundle_smoke.sh on it.
# On Debian/Ubuntu as root it installs the X11 libraries Qt needs and Xvfb (real-window check).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
venv=.venv-bundle
work=build/bundle
dist=dist
run_tests=1
[ "${1:-}" = "--no-test" ] && run_tests=0

# shellcheck source=packaging/lib.sh
source "$here/packaging/lib.sh"

system_packages() {
  # Qt's xcb plugin needs these to open a window (the bundle takes them from the system, like
  # every Qt application); xvfb lets the smoke test open a real X11 window without a display.
  apt_install_missing "${QT_SYSTEM_PACKAGES[@]}" xvfb xauth
}

system_packages
if [ ! -x "$venv/bin/python" ]; then
  echo "== creating the build venv $venv"
  "$(find_python --shared)" -m venv "$venv"
fi
echo "== installing the project (non-editable, with zarr) and PyInstaller into $venv"
pip_install "$venv" '.[zarr]' 'pyinstaller>=6.10'
# A source tree with an unchanged version number counts as "already installed": force this checkout in.
pip_install "$venv" --no-deps --force-reinstall .

echo "== rendering the icons"
mkdir -p "$work"
QT_QPA_PLATFORM=offscreen "$venv/bin/python" packaging/bundle_icons.py "$work/icons"

echo "== PyInstaller (log: $work/pyinstaller.log)"
start=$(date +%s)
if ! BIOIMAGE_DEPOSITOR_ICON_DIR="$here/$work/icons" "$venv/bin/python" -m PyInstaller --noconfirm --clean \
    --log-level WARN --distpath "$dist" --workpath "$work/pyinstaller" packaging/bioimage-depositor.spec \
    >"$work/pyinstaller.log" 2>&1; then
  tail -40 "$work/pyinstaller.log" >&2; echo "PyInstaller failed; full log: $work/pyinstaller.log" >&2; exit 1
fi
bundle="$dist/bioimage-depositor"
echo "built in $(( $(date +%s) - start )) s: $(du -sh "$bundle" | cut -f1)"
"$venv/bin/python" packaging/bundle_strip.py "$bundle"
# The freedesktop icon theme next to the executable, so a lab can copy share/ into a prefix
# (the desktop-integration command renders the same icons itself).
rm -rf "$bundle/share"
mkdir -p "$bundle/share/icons"
cp -r "$work/icons/hicolor" "$bundle/share/icons/"
echo "bundle: $bundle, $(du -sh "$bundle" | cut -f1)"

if [ "$run_tests" = 1 ]; then
  echo "== smoke test"
  FIXTURE_PYTHON="$here/$venv/bin/python" bash packaging/bundle_smoke.sh "$bundle"
fi
