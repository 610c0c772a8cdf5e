#!/usr/bin/env bash
# One-command set-up for BioImage Depositor from a source checkout.
#
#   bash packaging/dev.sh run [ARGS...]   install (first time) and open the program
#   bash packaging/dev.sh test            install (first time) and run every check and test
#
# It finds Python 3.11-3.13 (3.13 preferred, including pyenv's copies that are not on PATH),
# creates .venv beside this checkout, installs the project into it, and, on Debian/Ubuntu
# when run as root, installs the X11 libraries Qt needs to open a window.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

find_python() {
  local candidates=()
  [ -n "${BIOIMAGE_PYTHON:-}" ] && candidates+=("$BIOIMAGE_PYTHON")
  candidates+=(python3.13)
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=($(ls -d "$(pyenv root)"/versions/3.13*/bin/python3 2>/dev/null | sort -V | tail -1))
  fi
  candidates+=("$HOME"/.pyenv/versions/3.13*/bin/python3 python3.12 python3.11 python3)
  for py in "${candidates[@]}"; do
    if command -v "$py" >/dev/null 2>&1 || [ -x "$py" ]; then
      if "$py" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))' 2>/dev/null; then
        echo "$py"; return 0
      fi
    fi
  done
  echo "BioImage Depositor needs Python 3.11, 3.12 or 3.13; none was found. Set BIOIMAGE_PYTHON=/path/to/python3." >&2
  return 1
}

qt_system_libraries() {
  # Qt's xcb platform plugin needs these on Debian/Ubuntu; a desktop usually has them already.
  local pkgs=(libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
              libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 libdbus-1-3)
  command -v dpkg >/dev/null 2>&1 || return 0
  local missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Qt needs these system packages to open a window: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  fi
}

pip_install() {  # $1 venv dir, then pip install arguments; quiet unless it fails
  local venv=$1; shift
  local log="$venv/pip-install.log"
  if ! "$venv/bin/python" -m pip install --disable-pip-version-check "$@" >"$log" 2>&1; then
    tail -30 "$log" >&2; echo "pip install $* failed; full log: $log" >&2; return 1
  fi
}

make_venv() {  # $1 venv dir, then pip install arguments
  local venv=$1; shift
  if [ ! -x "$venv/bin/python" ]; then
    "$(find_python)" -m venv "$venv"
  fi
  pip_install "$venv" "$@"
}

node_test_servers() {
  # The tus tests run the npm @tus/server on 127.0.0.1; install Node from Debian when it is missing.
  if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  if command -v npm >/dev/null 2>&1 && [ -f tests/servers/tus/package.json ]; then
    (cd tests/servers/tus && npm ci --no-audit --no-fund --silent >/dev/null)
  fi
}

check_tools() {
  # The desktop-integration tests run the freedesktop validators; install them from Debian when root.
  command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] || return 0
  local missing=()
  command -v desktop-file-validate >/dev/null 2>&1 || missing+=(desktop-file-utils)
  command -v appstreamcli >/dev/null 2>&1 || missing+=(appstream)
  [ ${#missing[@]} -eq 0 ] && return 0
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

cmd=${1:-run}; shift || true
case "$cmd" in
  run)
    qt_system_libraries
    make_venv .venv -e .
    exec .venv/bin/bioimage-depositor "$@" ;;
  test)
    qt_system_libraries
    make_venv .venv -e '.[test]'
    node_test_servers
    check_tools
    echo "== ruff"; .venv/bin/ruff check app tests benchmarks packaging examples
    echo "== mypy"; .venv/bin/mypy
    echo "== pytest (everything, with Qt offscreen)"
    QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q "$@"
    echo "== pytest (domain/ with PySide6 not installed)"
    # every runtime dependency except the Qt ones, so the whole domain layer is exercised without Qt
    make_venv .venv-noqt pydantic platformdirs requests keyring numpy tifffile ome-types mrcfile Pillow \
      jsonschema imagecodecs 'zarr>=3' 'globus-sdk>=4,<5' empiar-depositor==1.6b30 pyftpdlib responses pandas pytest hypothesis
    pip_install .venv-noqt --no-deps -e .
    if .venv-noqt/bin/python -c 'import PySide6' 2>/dev/null; then echo "PySide6 must not be installed in .venv-noqt" >&2; exit 1; fi
    .venv-noqt/bin/python -m pytest -q -p no:cacheprovider tests/domain tests/test_architecture.py ;;
  *)
    sed -n '2,9p' "$0"; exit 2 ;;
esac
