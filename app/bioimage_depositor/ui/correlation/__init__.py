"""The Correlation page's parts: datasets, coordinate systems, and the three ways to make a transform.

:mod:`..correlation_page` assembles them; each module here has one job (a landmark view, the
overlay, the pairs table, the typed-matrix, file and landmark tabs, and the Qt-free pieces
:mod:`.pairs` and :mod:`.transform_build`).
"""
