#!/usr/bin/env bash
# Smoke test of a built one-folder bundle, as a clean machine would run it.
#
#   bash packaging/bundle_smoke.sh [BUNDLE_DIR]      default: dist/bioimage-depositor
#
# Every check runs the bundle's own executable with an empty environment
# (env -i: only HOME, PATH=/usr/bin:/bin and QT_QPA_PLATFORM) from a scratch folder
# outside the checkout, so it cannot lean on the repository, a venv or PYTHONPATH.
# A Python with the program's dependencies is used only to *write* the input images
# beforehand (FIXTURE_PYTHON, default .venv-bundle/bin/python, else .venv/bin/python).
# SMOKE_RUNS (default 3) sets how many times the wizard is opened to time start-up.
# Exit status 0 when every check passed; each failure prints what the bundle printed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bundle=$(cd "${1:-$here/dist/bioimage-depositor}" 2>/dev/null && pwd) || { echo "no bundle folder: ${1:-dist/bioimage-depositor}" >&2; exit 2; }
exe="$bundle/bioimage-depositor"
[ -x "$exe" ] || { echo "no executable $exe; build it with: bash packaging/build_bundle.sh" >&2; exit 2; }
runs=${SMOKE_RUNS:-3}

fixture_python=${FIXTURE_PYTHON:-}
for candidate in "$here/.venv-bundle/bin/python" "$here/.venv/bin/python"; do
  [ -z "$fixture_python" ] && [ -x "$candidate" ] && fixture_python=$candidate
done
[ -n "$fixture_python" ] || { echo "set FIXTURE_PYTHON to a Python with tifffile, mrcfile and zarr" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bundle-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/work" "$tmp/examples"
cp "$here"/examples/*.draft.json "$tmp/examples/"
"$fixture_python" "$here/packaging/bundle_fixtures.py" "$tmp/fixtures" >/dev/null || { echo "could not write the test images" >&2; exit 2; }

passed=0; failed=0
out=$tmp/out; err=$tmp/err

# run_bundle [VAR=VALUE...] -- ARGS...: the bundle in an empty environment, from the scratch folder
run_bundle() {
  local extra=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do extra+=("$1"); shift; done
  shift
  (cd "$tmp/work" && timeout 180 env -i HOME="$tmp/home" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen \
    "${extra[@]}" "$exe" "$@") >"$out" 2>"$err"
}

ok() { passed=$((passed + 1)); echo "ok    $1"; }
fail() {
  failed=$((failed + 1)); echo "FAIL  $1"
  sed 's/^/      stdout: /' "$out" | head -40; sed 's/^/      stderr: /' "$err" | head -40
}
# expect NAME RC [GREP_PATTERN...]: exit code RC, no traceback, stdout+stderr matching every pattern
expect() {
  local name=$1 want=$2 rc; shift 2
  rc=$(cat "$tmp/rc")
  if [ "$rc" != "$want" ]; then fail "$name (exit $rc, expected $want)"; return; fi
  if grep -q "Traceback" "$out" "$err"; then fail "$name (a traceback reached the user)"; return; fi
  for pattern in "$@"; do
    if ! cat "$out" "$err" | grep -qF -- "$pattern"; then fail "$name (no '$pattern' in the output)"; return; fi
  done
  ok "$name"
}
run() { run_bundle "$@"; echo $? >"$tmp/rc"; }
png() { [ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

echo "bundle: $bundle ($(du -sh "$bundle" | cut -f1))"

# --version: also proves the package metadata is inside (without it: 0.0.0+unknown)
run -- --version
if grep -q "unknown" "$out"; then fail "--version reports no package metadata"; else expect "--version" 0 "bioimage-depositor 0."; fi

for example in "$tmp"/examples/*.draft.json; do
  run -- validate "$example"
  expect "validate $(basename "$example")" 0 "0 error(s)" "ready to export"
  run -- validate --json "$example"
  expect "validate --json $(basename "$example")" 0 '"valid": true'
done
run -- validate "$tmp/examples/missing.draft.json"
expect "validate of a missing file: one line, exit 2" 2 "no such file"

run -- export "$tmp/examples/clem-hela-mito-er.draft.json" --out "$tmp/pkg"
expect "export clem-hela-mito-er.draft.json" 0 "Exported" "SUMMARY.md"
missing=""
for f in SUMMARY.md MANIFEST.tsv bia/pagetab/submission.tsv bia/ro-crate/ro-crate-metadata.json \
         empiar/component-em/deposition.json correlation/correlation-landmarks.zarr/zarr.json; do
  [ -s "$tmp/pkg/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then ok "export wrote the package files"; else fail "export package lacks:$missing"; fi

# the OME-NGFF scene check needs jsonschema and its bundled schemas (resources/ngff)
run -- export "$tmp/examples/clem-hela-mito-er.draft.json" --out "$tmp/pkg-checked" --check --json
if [ "$(cat "$tmp/rc")" = 0 ] && grep -A4 '"name": "OME-NGFF scene' "$out" | grep -q '"ok": true'; then
  ok "export --check: OME-NGFF scene validated with jsonschema"
else
  fail "export --check: OME-NGFF scene validated with jsonschema"
fi

run -- probe "$tmp/fixtures/cells.ome.tif" "$tmp/fixtures/tomo.mrc" "$tmp/fixtures/cells.ome.zarr"
expect "probe OME-TIFF, MRC, OME-Zarr" 0 "OME-TIFF" "0: DAPI (ex 405 nm, em 461 nm, fluor DAPI)" "Zeiss LSM 880" \
  "x 0.2 µm" "compression     zstd" "MRC (MRC2014 volume)" "x 2.5 Å" "OME-Zarr (OME-NGFF 0.5, Zarr v3)"

run -- preview "$tmp/fixtures/cells.ome.tif" --out "$tmp/tiff.png"
if [ "$(cat "$tmp/rc")" = 0 ] && png "$tmp/tiff.png"; then ok "preview of a zstd OME-TIFF (imagecodecs)"; else fail "preview of a zstd OME-TIFF (imagecodecs)"; fi
run -- preview "$tmp/fixtures/cells.ome.zarr" --out "$tmp/zarr.png"
if [ "$(cat "$tmp/rc")" = 0 ] && png "$tmp/zarr.png"; then ok "preview of an OME-Zarr v3 (zarr, numcodecs)"; else fail "preview of an OME-Zarr v3 (zarr, numcodecs)"; fi

run -- desktop-integration install --prefix "$tmp/prefix"
desktop="$tmp/prefix/share/applications/org.bioimagedepositor.BioImageDepositor.desktop"
icon="$tmp/prefix/share/icons/hicolor/256x256/apps/org.bioimagedepositor.BioImageDepositor.png"
if [ "$(cat "$tmp/rc")" = 0 ] && grep -qF "Exec=\"$exe\" open %f" "$desktop" && png "$icon"; then
  ok "desktop-integration install (menu entry runs the bundle; SVG icon rendered by the bundled Qt)"
else
  fail "desktop-integration install"
fi

# The wizard: first painted window, then the bundle reports packages, keyring backends and icon, and quits.
core_packages="PySide6-Essentials pydantic tifffile ome-types numpy mrcfile imagecodecs zarr keyring requests globus-sdk"
check_window() {  # check_window NAME PLATFORM
  local name=$1 platform=$2 problems=""
  if [ "$(cat "$tmp/rc")" != 0 ]; then problems="exit $(cat "$tmp/rc")"; fi
  grep -q "^WINDOW SHOWN [0-9.]*" "$out" || problems="$problems; no WINDOW SHOWN"
  grep -qx "QT-PLATFORM $platform" "$out" || problems="$problems; not on the $platform platform"
  grep -qx "WINDOW-ICON rendered" "$out" || problems="$problems; window icon not rendered (SVG plugins)"
  grep -q "^WIZARD-PAGES [1-9]" "$out" || problems="$problems; the wizard's pages could not be built"
  for package in $core_packages; do
    grep -q "^PACKAGES.* $package=[0-9]" "$out" || grep -q "^PACKAGES $package=[0-9]" "$out" \
      || problems="$problems; no metadata for $package"
  done
  for backend in SecretService libsecret KWallet chainer; do
    grep -q "^KEYRING-BACKENDS loaded=.*$backend" "$out" || problems="$problems; keyring backend $backend not found"
  done
  grep -q "^KEYRING-BACKENDS .* failed=-$" "$out" || problems="$problems; a keyring backend failed to import"
  if grep -q "Traceback" "$out" "$err"; then problems="$problems; traceback"; fi
  if [ -z "$problems" ]; then ok "$name"; else fail "$name (${problems#; })"; fi
}

times=()
for i in $(seq 1 "$runs"); do
  run BIOIMAGE_DEPOSITOR_SMOKE_TEST=1 --
  check_window "wizard window on offscreen, run $i: $(grep '^WINDOW SHOWN' "$out" | cut -d' ' -f3) s" offscreen
  seconds=$(grep '^WINDOW SHOWN' "$out" | cut -d' ' -f3)
  [ -n "$seconds" ] && times+=("$seconds")
  [ "$i" = 1 ] && grep -E "^(KEYRING|PACKAGES)" "$out" | sed 's/^/      /'
done

# A real X11 window through the xcb plugin, when Xvfb is installed (apt-get install xvfb).
if command -v xvfb-run >/dev/null 2>&1; then
  (cd "$tmp/work" && timeout 180 xvfb-run -a sh -c 'exec env -i HOME="$1" PATH=/usr/bin:/bin DISPLAY="$DISPLAY" \
     XAUTHORITY="${XAUTHORITY:-}" QT_QPA_PLATFORM=xcb BIOIMAGE_DEPOSITOR_SMOKE_TEST=1 "$2"' sh "$tmp/home" "$exe") \
     >"$out" 2>"$err"
  echo $? >"$tmp/rc"
  check_window "wizard window on xcb (Xvfb): $(grep '^WINDOW SHOWN' "$out" | cut -d' ' -f3) s" xcb
else
  echo "skip  wizard window on xcb: xvfb-run is not installed (apt-get install xvfb)"
fi

if [ ${#times[@]} -gt 0 ]; then
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}')
  echo "start-up to first painted window (offscreen, seconds since process start): ${times[*]}; median $median"
fi
echo "bundle smoke test: $passed passed, $failed failed"
[ "$failed" = 0 ]
