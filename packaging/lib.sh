# Shell functions shared by packaging/dev.sh and packaging/build_bundle.sh (sourced, not run).

QT_SYSTEM_PACKAGES=(libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
                    libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libegl1 libgl1 libfontconfig1
                    libdbus-1-3)

find_python() {  # [--shared]: print a Python 3.11-3.13 (3.13 preferred); --shared also needs libpython.so
  local need_shared=0
  [ "${1:-}" = "--shared" ] && need_shared=1
  local candidates=()
  [ -n "${BIOIMAGE_PYTHON:-}" ] && candidates+=("$BIOIMAGE_PYTHON")
  candidates+=(python3.13)
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=($(ls -d "$(pyenv root)"/versions/3.13*/bin/python3 2>/dev/null | sort -V | tail -1))
  fi
  candidates+=("$HOME"/.pyenv/versions/3.13*/bin/python3 python3.12 python3.11 python3)
  for py in "${candidates[@]}"; do
    if command -v "$py" >/dev/null 2>&1 || [ -x "$py" ]; then
      if "$py" -c 'import sys, sysconfig; need = int(sys.argv[1]); sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)
                   and (not need or sys.platform != "linux" or sysconfig.get_config_var("Py_ENABLE_SHARED"))))' \
                   "$need_shared" 2>/dev/null; then
        echo "$py"; return 0
      fi
    fi
  done
  if [ "$need_shared" = 1 ]; then
    echo "The bundle needs Python 3.11, 3.12 or 3.13 built with a shared libpython; none was found." >&2
    echo "Set BIOIMAGE_PYTHON=/path/to/python3 (pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 3.13)." >&2
  else
    echo "BioImage Depositor needs Python 3.11, 3.12 or 3.13; none was found. Set BIOIMAGE_PYTHON=/path/to/python3." >&2
  fi
  return 1
}

apt_install_missing() {  # PACKAGE...: install the missing Debian packages when root, else say how
  command -v dpkg >/dev/null 2>&1 || return 0
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "These system packages are needed: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  fi
}

pip_install() {  # VENV ARGS...: pip install quietly into VENV; show the log's end if it fails
  local venv=$1; shift
  local log="$venv/pip-install.log"
  if ! "$venv/bin/python" -m pip install --disable-pip-version-check "$@" >"$log" 2>&1; then
    tail -30 "$log" >&2; echo "pip install $* failed; full log: $log" >&2; return 1
  fi
}
