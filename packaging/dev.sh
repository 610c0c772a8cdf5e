#!/usr/bin/env bash
# One-command set-up for BioImage Depositor from a source checkout.
#
#   bash packaging/dev.sh run [ARGS...]   install (first time) and open the program
#   bash packaging/dev.sh test            install (first time) and run every check and test
#   bash packaging/dev.sh bundle          build the one-folder application bundle and smoke-test it
#
# It finds Python 3.11-3.13 (3.13 preferred, including pyenv's copies that are not on PATH),
# creates .venv beside this checkout, installs the project into it, and, on Debian/Ubuntu
# when run as root, installs the X11 libraries Qt needs to open a window.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

# shellcheck source=packaging/lib.sh
source "$here/packaging/lib.sh"

qt_system_libraries() {  # Qt's xcb platform plugin needs these on Debian/Ubuntu; desktops usually have them
  apt_install_missing "${QT_SYSTEM_PACKAGES[@]}"
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

check_tools() {  # the desktop-integration tests run the freedesktop validators
  apt_install_missing desktop-file-utils appstream
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
  bundle)
    exec bash packaging/build_bundle.sh "$@" ;;
  *)
    sed -n '2,10p' "$0"; exit 2 ;;
esac
