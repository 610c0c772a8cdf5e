"""Deposition packages: the files each archive takes, rendered from one Deposition.

Every renderer is a pure function ``render(deposition, context) -> Rendered``
that returns file contents keyed by their path inside its own folder of the
package; :mod:`.package` collects them, adds the summary and manifest, and
writes the folder atomically. Pure functions keep exports deterministic (the
same draft gives byte-identical files) and testable without touching disk.
"""
