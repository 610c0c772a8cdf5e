"""Image tests need the imaging libraries; skip the folder where they are not installed (the no-Qt venv)."""

from __future__ import annotations

import pytest

for _module in ("numpy", "tifffile", "mrcfile", "PIL", "ome_types"):
    pytest.importorskip(_module)
