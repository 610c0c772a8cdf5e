"""Deposition packages: the files each archive takes, rendered from one Deposition.

Every renderer is a pure function ``render(deposition, context) -> Rendered``
that returns file contents keyed by their path inside its own folder of the
package; :mod:`.package` collects them, adds the summary and manifest, and
writes the folder atomically. Pure functions keep exports deterministic (the
same draft gives byte-identical files) and testable without touching disk.

The renderers also say where each exported value came from in the draft
(:mod:`.provenance`), so the archives' validators' messages on a written package
(:mod:`.package_checks`) can be shown at the draft's fields (:mod:`.check_locations`).
A correlative study's registration files are added to both archives' lists by
:mod:`.transform_files`.
"""
