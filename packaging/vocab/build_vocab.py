"""Build the offline vocabularies bundled under ``resources/vocab/``.

The deposition wizard must offer organism, imaging-method and licence pickers without a
network. This script derives three small, commit-ready files from public sources:

* ``imaging_methods.json``: FBbi ``FBbi:00000222`` ("imaging method") and all its
  non-obsolete ``is_a`` descendants: id, label, exact/related synonyms, parents.
  Definitions are deliberately left out (we write our own help text).
* ``organisms.tsv``: NCBI taxa from the Debian package ``r-bioc-genomeinfodbdata``
  (``specData.rda``): a hand-curated list of model / commonly imaged organisms with
  common names written for this project, then species-level binomials by a heuristic
  documented in the file header (and in :func:`fill_in_species`).
* ``licences.json``: the licence set the BIA data model accepts (``bia.md`` §7).

How to run (from the repository root, on a Debian/Ubuntu host with apt)::

    .venv/bin/pip install rdata      # build-time only, NOT a runtime dependency
    apt-get update                   # only if apt cannot find the package
    .venv/bin/python packaging/vocab/build_vocab.py

Options: ``--fbbi PATH`` (default ``../shared/reference/vocab/fbbi.obo``),
``--deb FILE`` (an already downloaded ``r-bioc-genomeinfodbdata_*.deb``),
``--spec-rda FILE`` (an already unpacked ``specData.rda``; its package folder must still hold
``DESCRIPTION``), ``--out DIR`` (default ``resources/vocab``), ``--target N`` (organism count,
default 5000). Without ``--deb``/``--spec-rda`` the script runs ``apt-get download`` into a
temporary folder and unpacks it with ``dpkg -x``. Reading the .rda takes about 1.5 minutes.

The output is deterministic: no build timestamps; the dates written are the source
snapshot dates, so running the script twice on the same inputs gives identical bytes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FBBI = REPO.parent / "shared" / "reference" / "vocab" / "fbbi.obo"
DEFAULT_OUT = REPO / "resources" / "vocab"
DEB_PACKAGE = "r-bioc-genomeinfodbdata"
RDA_IN_DEB = "usr/lib/R/site-library/GenomeInfoDbData/data/specData.rda"
CHANGELOG_IN_DEB = "usr/share/doc/r-bioc-genomeinfodbdata/changelog.Debian.gz"

FBBI_ROOT = "FBbi:00000222"

# ---------------------------------------------------------------------------------------------
# Curated organisms. Order matters: it is the tie-break order in the wizard's type-ahead.
# (tax_id, NCBI scientific name, common name written for this project,
#  synonyms that must exist as rows for that tax_id in specData,
#  search keywords written for this project).
# Abbreviations such as "E. coli" are derived automatically for binomials.
# ---------------------------------------------------------------------------------------------
Curated = tuple[int, str, str, tuple[str, ...], tuple[str, ...]]
CURATED: tuple[Curated, ...] = (
    (9606, "Homo sapiens", "human", (), ()),
    (10090, "Mus musculus", "house mouse", (), ("mouse",)),
    (10116, "Rattus norvegicus", "Norway rat", (), ("brown rat", "rat")),
    (7955, "Danio rerio", "zebrafish", ("Brachydanio rerio",), ()),
    (7227, "Drosophila melanogaster", "fruit fly", (), ()),
    (6239, "Caenorhabditis elegans", "nematode worm", (), ()),
    (4932, "Saccharomyces cerevisiae", "baker's yeast", (), ("budding yeast",)),
    (559292, "Saccharomyces cerevisiae S288C", "baker's yeast strain S288C", (), ()),
    (4896, "Schizosaccharomyces pombe", "fission yeast", (), ()),
    (284812, "Schizosaccharomyces pombe 972h-", "fission yeast strain 972h-", (), ()),
    (3702, "Arabidopsis thaliana", "thale cress", (), ()),
    (562, "Escherichia coli", "E. coli", (), ()),
    (83333, "Escherichia coli K-12", "E. coli strain K-12", (), ()),
    (
        511145,
        "Escherichia coli str. K-12 substr. MG1655",
        "E. coli strain MG1655",
        ("Escherichia coli MG1655",),
        (),
    ),
    (8355, "Xenopus laevis", "African clawed frog", (), ()),
    (8364, "Xenopus tropicalis", "western clawed frog", ("Silurana tropicalis",), ()),
    (9031, "Gallus gallus", "chicken", (), ()),
    (9913, "Bos taurus", "cattle", (), ("cow",)),
    (9823, "Sus scrofa", "pig", (), ()),
    (9544, "Macaca mulatta", "rhesus macaque", (), ()),
    (4530, "Oryza sativa", "rice", (), ()),
    (4577, "Zea mays", "maize", (), ("corn",)),
    (4100, "Nicotiana benthamiana", "Australian tobacco", (), ()),
    (44689, "Dictyostelium discoideum", "social amoeba", (), ()),
    (3055, "Chlamydomonas reinhardtii", "green alga", (), ()),
    (1423, "Bacillus subtilis", "hay bacillus", (), ()),
    (224308, "Bacillus subtilis subsp. subtilis str. 168", "hay bacillus strain 168", (), ()),
    (3218, "Physcomitrium patens", "spreading earthmoss", ("Physcomitrella patens",), ()),
    (3197, "Marchantia polymorpha", "common liverwort", (), ()),
    (45351, "Nematostella vectensis", "starlet sea anemone", (), ()),
    (6087, "Hydra vulgaris", "hydra", ("Hydra magnipapillata",), ()),
    (7719, "Ciona intestinalis", "vase tunicate", (), ()),
    (8090, "Oryzias latipes", "Japanese medaka", (), ("medaka",)),
    (5833, "Plasmodium falciparum", "malaria parasite", (), ()),
    (5811, "Toxoplasma gondii", "toxoplasmosis parasite", (), ()),
    (5691, "Trypanosoma brucei", "sleeping sickness parasite", (), ()),
    (5911, "Tetrahymena thermophila", "ciliate", (), ()),
    (1773, "Mycobacterium tuberculosis", "tubercle bacillus", (), ()),
    (83332, "Mycobacterium tuberculosis H37Rv", "tubercle bacillus strain H37Rv", (), ()),
    (5476, "Candida albicans", "thrush yeast", (), ()),
    (5141, "Neurospora crassa", "red bread mould", (), ()),
    (162425, "Aspergillus nidulans", "aspergillus mould", ("Emericella nidulans",), ()),
    (155892, "Caulobacter vibrioides", "stalked bacterium", ("Caulobacter crescentus",), ()),
    (666, "Vibrio cholerae", "cholera bacterium", (), ()),
    (287, "Pseudomonas aeruginosa", "blue pus bacterium", (), ()),
    (208964, "Pseudomonas aeruginosa PAO1", "blue pus bacterium strain PAO1", (), ()),
    (1280, "Staphylococcus aureus", "golden staph", (), ()),
    (2697049, "Severe acute respiratory syndrome coronavirus 2", "SARS-CoV-2", (), ()),
    (11676, "Human immunodeficiency virus 1", "HIV-1", (), ("HIV",)),
    (9615, "Canis lupus familiaris", "dog", ("Canis familiaris",), ()),
    (9685, "Felis catus", "domestic cat", (), ("cat",)),
    (9986, "Oryctolagus cuniculus", "rabbit", (), ()),
    (9940, "Ovis aries", "sheep", (), ()),
    (9796, "Equus caballus", "horse", (), ()),
    (6359, "Platynereis dumerilii", "Dumeril's clam worm", (), ()),
    (79327, "Schmidtea mediterranea", "planarian", (), ()),
    (7460, "Apis mellifera", "honey bee", (), ()),
    (7070, "Tribolium castaneum", "red flour beetle", (), ()),
    (7668, "Strongylocentrotus purpuratus", "purple sea urchin", (), ()),
    (10036, "Mesocricetus auratus", "golden hamster", (), ("Syrian hamster",)),
    (10029, "Cricetulus griseus", "Chinese hamster", (), ("CHO cells",)),
    (60711, "Chlorocebus sabaeus", "green monkey", (), ("Vero cells",)),
    (10181, "Heterocephalus glaber", "naked mole-rat", (), ()),
    (8296, "Ambystoma mexicanum", "axolotl", (), ()),
    # Further organisms often seen in imaging studies.
    (9598, "Pan troglodytes", "chimpanzee", (), ()),
    (9541, "Macaca fascicularis", "crab-eating macaque", (), ("cynomolgus monkey",)),
    (9483, "Callithrix jacchus", "common marmoset", (), ()),
    (10141, "Cavia porcellus", "guinea pig", (), ()),
    (9925, "Capra hircus", "goat", (), ()),
    (9669, "Mustela putorius furo", "ferret", ("Mustela furo",), ()),
    (13616, "Monodelphis domestica", "gray short-tailed opossum", (), ()),
    (59729, "Taeniopygia guttata", "zebra finch", (), ()),
    (8022, "Oncorhynchus mykiss", "rainbow trout", (), ()),
    (8030, "Salmo salar", "Atlantic salmon", (), ()),
    (31033, "Takifugu rubripes", "fugu", ("Fugu rubripes",), ()),
    (7994, "Astyanax mexicanus", "Mexican tetra", (), ("cavefish",)),
    (7757, "Petromyzon marinus", "sea lamprey", (), ()),
    (7739, "Branchiostoma floridae", "Florida lancelet", (), ("amphioxus",)),
    (7159, "Aedes aegypti", "yellow fever mosquito", (), ()),
    (7165, "Anopheles gambiae", "African malaria mosquito", (), ()),
    (7091, "Bombyx mori", "domestic silkworm", (), ()),
    (6669, "Daphnia pulex", "water flea", (), ()),
    (6500, "Aplysia californica", "California sea hare", (), ()),
    (6183, "Schistosoma mansoni", "blood fluke", (), ()),
    (27923, "Mnemiopsis leidyi", "warty comb jelly", (), ()),
    (3880, "Medicago truncatula", "barrel medic", (), ()),
    (4081, "Solanum lycopersicum", "tomato", ("Lycopersicon esculentum",), ()),
    (4097, "Nicotiana tabacum", "tobacco", (), ()),
    (4565, "Triticum aestivum", "bread wheat", (), ()),
    (4513, "Hordeum vulgare", "barley", (), ()),
    (15368, "Brachypodium distachyon", "purple false brome", (), ()),
    (3694, "Populus trichocarpa", "black cottonwood", (), ()),
    (3067, "Volvox carteri", "volvox alga", (), ()),
    (2850, "Phaeodactylum tricornutum", "pennate diatom", (), ()),
    (35128, "Thalassiosira pseudonana", "centric diatom", (), ()),
    (2903, "Emiliania huxleyi", "coccolithophore", (), ()),
    (4787, "Phytophthora infestans", "potato blight oomycete", (), ()),
    (5270, "Ustilago maydis", "corn smut fungus", (), ()),
    (318829, "Pyricularia oryzae", "rice blast fungus", ("Magnaporthe oryzae",), ()),
    (5664, "Leishmania major", "leishmania parasite", (), ()),
    (5741, "Giardia intestinalis", "giardia parasite", ("Giardia lamblia",), ()),
    (1148, "Synechocystis sp. PCC 6803", "cyanobacterium PCC 6803", (), ()),
    (1639, "Listeria monocytogenes", "listeria bacterium", (), ()),
    (28901, "Salmonella enterica", "salmonella bacterium", (), ()),
    (1313, "Streptococcus pneumoniae", "pneumococcus", (), ()),
    (11320, "Influenza A virus", "flu virus A", (), ()),
    (10245, "Vaccinia virus", "vaccinia", (), ()),
    (64320, "Zika virus", "Zika", (), ()),
    (12242, "Tobacco mosaic virus", "TMV", (), ()),
    (10710, "Lambdavirus lambda", "phage lambda", ("Bacteriophage lambda",), ()),
    (10665, "Tequatrovirus T4", "phage T4", (), ()),
)

# Words that mark a name as not a named species (placeholders, environmental samples,
# informal groupings). Checked against every word of the name, case-insensitively.
EXCLUDED_WORDS = frozenset(
    {
        "sp", "spp", "cf", "aff", "nr", "gen", "environmental", "uncultured", "unidentified",
        "unclassified", "unknown", "undetermined", "incertae", "sedis", "mixed", "sample",
        "metagenome", "clone", "isolate", "strain", "group", "complex", "hybrid", "bacterium",
        "archaeon", "symbiont", "endosymbiont", "virus", "phage", "eukaryote", "organism",
        "cyanobacterium", "proteobacterium", "fungus", "alga", "plant", "insect", "bacteria",
        "candidatus",
    }
)  # fmt: skip
GENUS_RE = re.compile(r"[A-Z][a-z]+")
EPITHET_RE = re.compile(r"[a-z]+(?:-[a-z]+)?")
# Markers of infraspecific names ("Treponema pallidum subsp. pertenue").
INFRASPECIFIC_RE = re.compile(
    r"^[a-z-]+ (?:subsp\.|ssp\.|var\.|f\.|forma|bv\.|biovar|pv\.|pathovar|serovar|ser\.|"
    r"morphovar|genomovar|str\.)\s"
)

HEURISTIC = (
    "specData holds NCBI scientific names and synonyms without the name class. A tax_id "
    "qualifies when it has a binomial row: genus = one capitalised Latin word that also "
    "exists as a genus-level row, epithet = one lower-case word (hyphen allowed), no "
    "placeholder/environmental/strain-like words (sp., cf., aff., uncultured, unidentified, "
    "environmental, bacterium, virus, ...). Tax_ids with an infraspecific row (subsp., var., "
    "serovar, ...) whose species part is another taxon's name are skipped (subspecies filed "
    "under a binomial synonym). When several binomials share one tax_id, the one that prefixes "
    "the most other taxa's names (strains, subspecies) is taken as the scientific name; "
    "ties or no evidence: skipped. Names that occur under more than one tax_id are skipped. "
    "Remaining taxa are taken in ascending tax_id order (low ids = long-established organisms) "
    "until the target count is reached."
)

# ---------------------------------------------------------------------------------------------
# Licences (bia.md §7): (PageTab id, label, long title, RO-Crate URL, SPDX id).
# ---------------------------------------------------------------------------------------------
CC = "https://creativecommons.org"
_CC_VERSIONS = ("1.0", "2.0", "2.5", "3.0", "4.0")
_CC_PORTING = {"1.0": "Generic", "2.0": "Generic", "2.5": "Generic", "3.0": "Unported",
               "4.0": "International"}  # fmt: skip
_CC_FAMILIES = (
    ("BY", "by", "Attribution"),
    ("BY-SA", "by-sa", "Attribution-ShareAlike"),
    ("BY-NC", "by-nc", "Attribution-NonCommercial"),
    ("BY-NC-SA", "by-nc-sa", "Attribution-NonCommercial-ShareAlike"),
)
WEB_FORM_LICENCES = ("CC0", "CC BY 4.0")


def licence_rows() -> list[dict[str, object]]:
    """Return the BIA licence list, CC0 first, in a stable order."""
    rows: list[tuple[str, str, str, str, str]] = [
        (
            "CC0",
            "CC0 1.0",
            "Creative Commons CC0 1.0 Universal (public domain dedication)",
            f"{CC}/publicdomain/zero/1.0/",
            "CC0-1.0",
        )
    ]
    for short, path, title in _CC_FAMILIES:
        for version in _CC_VERSIONS:
            rows.append(
                (
                    f"CC {short} {version}",
                    f"CC {short} {version}",
                    f"Creative Commons {title} {version} {_CC_PORTING[version]}",
                    f"{CC}/licenses/{path}/{version}/",
                    f"CC-{short}-{version}",
                )
            )
            if short == "BY-SA" and version == "2.0":
                rows.append(
                    (
                        "CC BY-SA 2.1 JP",
                        "CC BY-SA 2.1 JP",
                        "Creative Commons Attribution-ShareAlike 2.1 Japan",
                        f"{CC}/licenses/by-sa/2.1/jp/",
                        "CC-BY-SA-2.1-JP",
                    )
                )
    rows.append(
        (
            "CC BY-NC-ND 4.0",
            "CC BY-NC-ND 4.0",
            "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 International",
            f"{CC}/licenses/by-nc-nd/4.0/",
            "CC-BY-NC-ND-4.0",
        )
    )
    rows.append(("MIT", "MIT", "MIT License", "https://opensource.org/license/MIT", "MIT"))
    out: list[dict[str, object]] = []
    for ident, label, title, url, spdx in rows:
        # PageTab points at the legal text; MIT has no separate legal-code page.
        pagetab_url = url + "legalcode" if url.startswith(CC) else url
        out.append(
            {
                "id": ident,
                "label": label,
                "title": title,
                "url": url,
                "pagetab_url": pagetab_url,
                "spdx": spdx,
                "web_form": ident in WEB_FORM_LICENCES,
            }
        )
    return out


# ---------------------------------------------------------------------------------------------
# FBbi
# ---------------------------------------------------------------------------------------------
_SYNONYM_RE = re.compile(r'^"((?:[^"\\]|\\.)*)"\s+(EXACT|RELATED|BROAD|NARROW)\b')


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_obo(path: Path) -> tuple[dict[str, str], list[dict[str, object]]]:
    """Return the header tags and the ``[Term]`` stanzas of an OBO 1.2 file."""
    header: dict[str, str] = {}
    terms: list[dict[str, object]] = []
    current: dict[str, object] | None = None
    in_header = True
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("["):
            in_header = False
            current = {"exact": [], "related": [], "is_a": []} if line == "[Term]" else None
            if current is not None:
                terms.append(current)
            continue
        tag, _, value = line.partition(":")
        value = value.strip()
        if in_header:
            header.setdefault(tag, value)
            continue
        if current is None:
            continue
        if tag == "id":
            current["id"] = value
        elif tag == "name":
            current["name"] = _unescape(value)
        elif tag == "is_obsolete":
            current["obsolete"] = value == "true"
        elif tag == "is_a":
            parent = value.split("!", 1)[0].split("{", 1)[0].strip()
            current["is_a"].append(parent)  # type: ignore[union-attr]
        elif tag == "synonym":
            m = _SYNONYM_RE.match(value)
            if m and m.group(2) in ("EXACT", "RELATED"):
                current[m.group(2).lower()].append(_unescape(m.group(1)))  # type: ignore[union-attr]
    return header, terms


# Everyday names that FBbi does not list as synonyms, so that type-ahead finds the term a
# microscopist has in mind (our own wording; FBbi ids unchanged).
FBBI_SEARCH_NAMES: dict[str, list[str]] = {  # keyed by FBbi label
    "SPIM": [
        "light sheet fluorescence microscopy",
        "light-sheet microscopy",
        "LSFM",
        "selective plane illumination microscopy",
    ],
    "spinning disk confocal microscopy": ["spinning-disk confocal", "Nipkow disk confocal"],
    "confocal microscopy": ["laser scanning confocal microscopy", "LSCM", "CLSM", "Airyscan"],
    "two-photon laser scanning microscopy": ["two-photon microscopy", "2P microscopy"],
    "fluorescence microscopy": ["epifluorescence microscopy", "widefield fluorescence microscopy"],
    "bright-field microscopy": ["brightfield microscopy", "transmitted light microscopy"],
    "transmission electron microscopy (TEM)": ["TEM"],
    "scanning electron microscopy (SEM)": ["SEM"],
    "serial block face SEM (SBFSEM)": ["SBF-SEM", "serial block-face scanning electron microscopy"],
    "focussed ion beam scanning electron microscopy (FIB-SEM)": [
        "FIB-SEM",
        "focused ion beam scanning electron microscopy",
    ],
    "FLIM": ["fluorescence lifetime imaging microscopy"],
    "FRET": ["Förster resonance energy transfer", "fluorescence resonance energy transfer"],
    "FRAP": ["fluorescence recovery after photobleaching"],
    "FLIP": ["fluorescence loss in photobleaching"],
    "CARS": ["coherent anti-Stokes Raman scattering microscopy"],
    "OCT": ["optical coherence tomography"],
    "evanescent wave microscopy": ["TIRF", "total internal reflection fluorescence microscopy"],
    "time lapse microscopy": ["time-lapse imaging", "live imaging"],
    "electron microscopy": ["EM"],
    "light microscopy": ["optical microscopy"],
}


def imaging_methods(obo: Path) -> dict[str, object]:
    """Select the non-obsolete ``is_a`` descendants of FBbi:00000222 (root included)."""
    header, stanzas = parse_obo(obo)
    live = {t["id"]: t for t in stanzas if not t.get("obsolete") and "id" in t}
    children: dict[str, list[str]] = defaultdict(list)
    for tid, term in live.items():
        for parent in term["is_a"]:  # type: ignore[union-attr]
            children[parent].append(tid)  # type: ignore[arg-type]
    keep: set[str] = set()
    todo = [FBBI_ROOT]
    while todo:
        tid = todo.pop()
        if tid in keep or tid not in live:
            continue
        keep.add(tid)
        todo.extend(children.get(tid, ()))
    if FBBI_ROOT not in keep:
        sys.exit(f"{FBBI_ROOT} not found in {obo}")
    unknown = set(FBBI_SEARCH_NAMES) - {str(live[tid]["name"]) for tid in keep}
    if unknown:
        sys.exit(f"search names given for labels that are not imaging methods: {sorted(unknown)}")
    terms = []
    for tid in sorted(keep):
        term = live[tid]
        terms.append(
            {
                "id": tid,
                "label": term["name"],
                "exact_synonyms": sorted(set(term["exact"])),  # type: ignore[arg-type]
                "related_synonyms": sorted(set(term["related"])),  # type: ignore[arg-type]
                "search_names": FBBI_SEARCH_NAMES.get(str(term["name"]), []),
                # Parents outside the subtree (the FBbi root above "imaging method") are dropped.
                "parents": sorted(p for p in term["is_a"] if p in keep),  # type: ignore[union-attr]
            }
        )
    return {
        "source": "FBbi (Biological Imaging Methods Ontology), fbbi.obo from github.com/Imaging-semantics/fbbi",
        "data_version": header.get("data-version", ""),
        "root": FBBI_ROOT,
        "selection": f"{FBBI_ROOT} and all its is_a descendants, obsolete terms skipped; "
        "parents limited to that subtree; definitions intentionally not included",
        "terms": terms,
    }


def dump_json(data: dict[str, object], list_key: str) -> str:
    """Serialise with one list entry per line: compact, yet diff-friendly."""
    head = {k: v for k, v in data.items() if k != list_key}
    lines = ["{"]
    for key, value in head.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    lines.append(f'  "{list_key}": [')
    items = data[list_key]
    assert isinstance(items, list)
    for i, item in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append("    " + json.dumps(item, ensure_ascii=False) + comma)
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# NCBI taxonomy
# ---------------------------------------------------------------------------------------------
def fetch_rda(work: Path, deb: Path | None) -> tuple[Path, str]:
    """Unpack specData.rda from the Debian package; return it and the package version."""
    if deb is None:
        subprocess.run(["apt-get", "download", DEB_PACKAGE], cwd=work, check=True)
        debs = sorted(work.glob(f"{DEB_PACKAGE}_*.deb"))
        if not debs:
            sys.exit(f"apt-get download {DEB_PACKAGE} produced no .deb (try apt-get update)")
        deb = debs[-1]
    tree = work / "tree"
    subprocess.run(["dpkg", "-x", str(deb), str(tree)], check=True)
    return tree / RDA_IN_DEB, _debian_version(tree)


def _debian_version(tree: Path) -> str:
    changelog = tree / CHANGELOG_IN_DEB
    if not changelog.is_file():
        return "unknown"
    with gzip.open(changelog, "rt", encoding="utf-8") as fh:
        m = re.match(r"\S+ \(([^)]+)\)", fh.readline())
    return m.group(1) if m else "unknown"


def _description(rda: Path) -> dict[str, str]:
    desc = rda.parent.parent / "DESCRIPTION"
    out: dict[str, str] = {}
    if desc.is_file():
        for line in desc.read_text(encoding="utf-8").splitlines():
            if line and not line[0].isspace() and ":" in line:
                key, _, value = line.partition(":")
                out[key.strip()] = value.strip()
    return out


def read_spec_data(rda: Path) -> list[tuple[int, str, str | None]]:
    """Read ``specData`` as (tax_id, genus, rest-of-name or None) rows."""
    try:
        import rdata  # build-time only
    except ImportError:
        sys.exit("the build needs the PyPI package 'rdata': .venv/bin/pip install rdata")
    frame = rdata.read_rda(str(rda))["specData"]
    rows: list[tuple[int, str, str | None]] = []
    for tid, genus, species in zip(
        frame["tax_id"].tolist(), frame["genus"].tolist(), frame["species"].tolist(), strict=True
    ):
        if not isinstance(tid, int) or not isinstance(genus, str):
            continue
        rows.append((int(tid), genus, species if isinstance(species, str) else None))
    return rows


def _is_binomial(genus: str, epithet: str, genera: set[str]) -> bool:
    if not (GENUS_RE.fullmatch(genus) and EPITHET_RE.fullmatch(epithet)):
        return False
    if genus.lower() in EXCLUDED_WORDS or epithet in EXCLUDED_WORDS:
        return False
    return genus in genera


def fill_in_species(
    rows: list[tuple[int, str, str | None]], exclude_ids: set[int], exclude_names: set[str]
) -> Iterable[tuple[int, str]]:
    """Yield (tax_id, scientific name) of plausible species in ascending tax_id order.

    The heuristic is the ``HEURISTIC`` text written into the output header.
    """
    genera = {genus for _, genus, species in rows if species is None}
    names_by_id: dict[int, list[str]] = defaultdict(list)
    ids_by_binomial: dict[str, set[int]] = defaultdict(set)
    # Binomial "Genus epithet" -> tax_ids whose names extend it (strains, subspecies).
    extended_by: dict[str, set[int]] = defaultdict(set)
    for tid, genus, species in rows:
        if species is None:
            continue
        if " " in species:
            extended_by[f"{genus} {species.split(' ', 1)[0]}"].add(tid)
        elif _is_binomial(genus, species, genera):
            name = f"{genus} {species}"
            names_by_id[tid].append(name)
            ids_by_binomial[name].add(tid)
    infraspecific_bases: dict[int, set[str]] = defaultdict(set)
    for tid, genus, species in rows:
        if species is not None and INFRASPECIFIC_RE.match(species):
            infraspecific_bases[tid].add(f"{genus} {species.split(' ', 1)[0]}")
    for tid in sorted(names_by_id):
        if tid in exclude_ids:
            continue
        names = sorted(set(names_by_id[tid]))
        if any(
            base not in names and ids_by_binomial.get(base, set()) - {tid} for base in infraspecific_bases.get(tid, ())
        ):
            continue
        if len(names) == 1:
            pick = names[0]
        else:
            scored = sorted(((len(extended_by.get(n, set()) - {tid}), n) for n in names), reverse=True)
            if scored[0][0] == 0 or scored[0][0] == scored[1][0]:
                continue
            pick = scored[0][1]
        if len(ids_by_binomial[pick]) > 1 or pick in exclude_names:
            continue
        yield tid, pick


def _abbreviation(name: str) -> str | None:
    parts = name.split(" ")
    if len(parts) == 2 and GENUS_RE.fullmatch(parts[0]) and EPITHET_RE.fullmatch(parts[1]):
        return f"{parts[0][0]}. {parts[1]}"
    return None


def organisms_tsv(rows: list[tuple[int, str, str | None]], source: str, target: int) -> str:
    """Build organisms.tsv: curated organisms first, then the heuristic fill-in."""
    names_at: dict[int, set[str]] = defaultdict(set)
    for tid, genus, species in rows:
        names_at[tid].add(genus if species is None else f"{genus} {species}")
    lines: list[str] = []
    not_in_table: list[str] = []
    for tid, name, common, synonyms, keywords in CURATED:
        if tid in names_at:
            missing = [n for n in (name, *synonyms) if n not in names_at[tid]]
            if missing:
                sys.exit(f"curated taxon {tid}: {missing} not among its names in specData")
        else:
            not_in_table.append(str(tid))
        extra = list(synonyms)
        abbr = _abbreviation(name)
        if abbr and abbr != common:
            extra.append(abbr)
        extra.extend(keywords)
        lines.append("\t".join((str(tid), name, common, "1", "|".join(extra))))
    curated_ids = {c[0] for c in CURATED}
    if len(curated_ids) != len(CURATED):
        sys.exit("duplicate tax_id in CURATED")
    curated_names = {c[1] for c in CURATED}
    for tid, name in fill_in_species(rows, curated_ids, curated_names):
        if len(lines) >= target:
            break
        lines.append("\t".join((str(tid), name, "", "0", "")))
    header = [
        "# NCBI Taxonomy subset for the deposition wizard's offline organism picker.",
        f"# Source: {source}.",
        f"# Curated: {len(CURATED)} model and commonly imaged organisms first (hand-picked; ids "
        "and names verified against the source; common names and keywords written for this "
        "project)"
        + (f"; not in the source, added by hand: {', '.join(not_in_table)}" if not_in_table
           else "")
        + ".",
        f"# Fill-in heuristic ({len(lines) - len(CURATED)} rows): {HEURISTIC}",
        "# Columns: taxon_id, scientific_name, common_name, curated (1/0), synonyms "
        "('|'-separated alternative names and search keywords).",
        "# Built by packaging/vocab/build_vocab.py; do not edit by hand.",
        "taxon_id\tscientific_name\tcommon_name\tcurated\tsynonyms",
    ]  # fmt: skip
    return "\n".join(header + lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--fbbi", type=Path, default=DEFAULT_FBBI)
    parser.add_argument("--deb", type=Path, default=None)
    parser.add_argument("--spec-rda", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--target", type=int, default=5000)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    methods = imaging_methods(args.fbbi)
    (args.out / "imaging_methods.json").write_text(dump_json(methods, "terms"), encoding="utf-8", newline="\n")

    licences = {
        "source": "BioImage Archive accepted licences (bia.md section 7: bia-shared-datamodels "
        "Licence enum); 'url' is the RO-Crate form, 'pagetab_url' the PageTab URL qualifier",
        "web_form": list(WEB_FORM_LICENCES),
        "default": "CC0",
        "licences": licence_rows(),
    }
    (args.out / "licences.json").write_text(dump_json(licences, "licences"), encoding="utf-8", newline="\n")

    with tempfile.TemporaryDirectory(prefix="vocab-") as tmp:
        if args.spec_rda is not None:
            rda = args.spec_rda
            # An unpacked package tree still holds the Debian changelog next to usr/lib.
            tree = rda.parents[len(Path(RDA_IN_DEB).parts) - 1]
            deb_version = _debian_version(tree)
        else:
            rda, deb_version = fetch_rda(Path(tmp), args.deb)
        desc = _description(rda)
        digest = hashlib.sha256(rda.read_bytes()).hexdigest()
        source = (
            f"Debian package {DEB_PACKAGE} {deb_version} (GenomeInfoDbData "
            f"{desc.get('Version', '?')}, packaged {desc.get('Packaged', '?').split(' ')[0]}; "
            f"NCBI taxonomy names.dmp snapshot of 2022), file specData.rda sha256 {digest}"
        )
        rows = read_spec_data(rda)
    tsv = organisms_tsv(rows, source, args.target)
    (args.out / "organisms.tsv").write_text(tsv, encoding="utf-8", newline="\n")
    print(
        f"wrote {len(methods['terms'])} imaging methods, "  # type: ignore[arg-type]
        f"{len(licences['licences'])} licences, "
        f"{tsv.count(chr(10)) - 7} organisms to {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
