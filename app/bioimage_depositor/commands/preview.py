"""``bioimage-depositor preview FILE --out PNG``: write the picture the wizard shows for a file.

Uses the same code as the wizard: the smallest pyramid level that fills the
size, the central Z plane (or ``--z``), the first time point (or ``--t``), all
channels composited with their colours and auto-contrast. Exit 0 when the PNG
was written; 2, with one line saying why, when the file cannot be previewed.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from ..cli_errors import UsageError

EXIT_OK = 0
#: ``domain.images.preview``'s size limits, named in --help; spelled out here so --help does not import
#: numpy and the image readers (tests/test_cli_startup.py checks that the two agree).
MIN_SIZE, MAX_SIZE = 16, 4096


def _channels(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("give channel numbers separated by commas, e.g. 0,2") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``preview`` command."""
    parser = subparsers.add_parser(
        "preview",
        help="write a PNG preview of an image file, as the wizard shows it",
        description="Write the preview the wizard shows for an image file, reading only the part it needs.",
    )
    parser.add_argument("file", metavar="FILE", help="an image file or OME-Zarr folder")
    parser.add_argument("--out", required=True, metavar="PNG", help="the PNG file to write")
    parser.add_argument("--size", type=int, default=512, help=f"longer side in pixels ({MIN_SIZE}–{MAX_SIZE}, "
                        "default 512)")
    parser.add_argument("--series", type=int, default=0, help="which image of a multi-image file (default 0)")
    parser.add_argument("--z", type=int, default=None, help="Z plane, MRC section or stack frame (default: central)")
    parser.add_argument("--t", type=int, default=None, help="time point (default: first)")
    parser.add_argument("--channels", type=_channels, default=None, metavar="C,C",
                        help="channels to show (default: all, up to 6)")
    parser.add_argument("--json", action="store_true", help="print what was shown as JSON")
    parser.set_defaults(handler=cmd_preview)


def cmd_preview(args: argparse.Namespace) -> int:
    """Render and save the preview; unreadable files exit 2 with one line."""
    from ..domain.images import PreviewError, render_preview, save_png

    logging.captureWarnings(True)
    source = Path(args.file)
    if not source.exists():
        raise UsageError(f"{source}: no such file or folder.")
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"{out} is a folder; give the PNG file to write, e.g. {out / 'preview.png'}.")
    if not out.parent.exists():
        raise UsageError(f"{out.parent}: no such folder to write the preview into.")
    try:
        preview = render_preview(source, args.size, series=args.series, z=args.z, t=args.t, channels=args.channels)
    except PreviewError as error:
        raise UsageError(f"{source}: cannot preview: {error.message} [{error.code}]") from None
    save_png(preview, out)
    if args.json:
        print(json.dumps({"file": str(source), "out": str(out), **preview.describe()}, ensure_ascii=False, indent=2))
    else:
        shown = [f"{preview.width}×{preview.height}", f"series {preview.series}", f"level {preview.level}"]
        if preview.z is not None:
            shown.append(f"z {preview.z}/{preview.z_count}")
        if preview.t is not None:
            shown.append(f"t {preview.t}/{preview.t_count}")
        if preview.channels:
            shown.append("channels " + ", ".join(c.name or str(c.index) for c in preview.channels))
        print(f"Wrote {out} ({', '.join(shown)})")
        for note in preview.notes:
            print(f"  note: {note}")
    return EXIT_OK
