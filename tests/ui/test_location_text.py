"""Problem locations are named in the wizard's words, with the form labels the pages show."""

from __future__ import annotations

import pytest

from bioimage_depositor.ui.location_text import describe_location


@pytest.mark.parametrize(
    ("location", "words"),
    [
        (("study", "title"), "Study › Title"),
        (("study", "contributors", 0, "orcid"), "Study › Contributors 1 › ORCID"),
        (("biosamples", 0, "biological_entity"), "Biosample 1 › Biological entity"),
        (("components", 1, "files"), "Study component 2 › Files"),
        (("components", 2, "files", 5, "md5"), "Study component 3 › Files 6 › MD5"),
        (("correlations", 0, "transforms", 0, "source_file"), "Image correlation 1 › Transforms 1 › Source file"),
        (("components", 0, "empiar", "image_sets", 1, "pixel_width"),
         "Study component 1 › EMPIAR › Image sets 2 › Pixel width"),
        (("correlative",), "Study type"),
        (("somewhere_new", 3), "Somewhere new 4"),
        ((), ""),
    ],
)
def test_locations_read_as_the_wizard_names_things(location, words):
    assert describe_location(location) == words


def test_a_field_label_comes_from_the_page_form():
    # forms/biosample.toml labels "organisms" as "Organism"; the fields of objects nested in it are not its fields
    assert describe_location(("biosamples", 0, "organisms", 0, "title")) == "Biosample 1 › Organism 1 › Title"
    assert describe_location(("biosamples", 1, "intrinsic_variables")) == "Biosample 2 › Intrinsic variables"
