"""A large, valid deposition for responsiveness tests: 200 components, 500 contributors."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from bioimage_depositor.domain.deposition import Deposition
from bioimage_depositor.domain.rembi import Contributor

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _examples_module():
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_examples", module)
    spec.loader.exec_module(module)
    return module


def large_deposition(components: int = 200, contributors: int = 500) -> Deposition:
    dep = _examples_module().light_microscopy()
    organisation = dep.study.affiliations[0].id
    dep.study.contributors = [
        Contributor(name=f"Person {i}", email=f"person{i}@example.org", affiliation_ids=[organisation])
        for i in range(contributors)
    ]
    template = dep.components[0]
    dep.components = [
        template.model_copy(update={"id": f"component-{i}", "name": f"Component {i}"}, deep=True)
        for i in range(components)
    ]
    return dep
