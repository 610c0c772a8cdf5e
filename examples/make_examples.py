"""Write the example drafts in this folder from Python, so they always match the current schema.

Run from the repository root: ``.venv/bin/python examples/make_examples.py``. The
identifiers are placeholders: 0000-0002-1825-0097 is ORCID's public test
identity, 10.5555 is Crossref's test DOI prefix, example.org addresses are
fictitious and S-BIAD/EMPIAR accessions of the CLEM example are placeholders.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bioimage_depositor.domain.correlation_model import AffineTransform, CoordinateSystem, zyx_axes
from bioimage_depositor.domain.deposition import Deposition, FileEntry, StudyComponent
from bioimage_depositor.domain.draft_file import DraftEnvelope, serialise_draft
from bioimage_depositor.domain.empiar_fields import EmpiarEntry, EmpiarImageSet
from bioimage_depositor.domain.rembi import (
    Affiliation,
    Biosample,
    Contributor,
    Funding,
    ImageAcquisition,
    ImageAnalysis,
    ImageCorrelation,
    OntologyTerm,
    Publication,
    RelatedLink,
    Specimen,
    Study,
)

HERE = Path(__file__).resolve().parent
STAMP = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
HUMAN = OntologyTerm(id="NCBITaxon:9606", label="Homo sapiens")


def _files(folder: str, names: list[str], size: int, **attributes: str) -> list[FileEntry]:
    return [FileEntry(path=f"{folder}/{name}", size_bytes=size, attributes=dict(attributes)) for name in names]


def light_microscopy() -> Deposition:
    """A BIA deposition: live-cell confocal imaging of HeLa cells, two conditions."""
    ebi = Affiliation(
        id="org-embl-ebi",
        name="European Molecular Biology Laboratory, European Bioinformatics Institute (EMBL-EBI)",
        address="Wellcome Genome Campus, Hinxton, Cambridge CB10 1SD",
        country="GB",
        ror="https://ror.org/02catss52",
    )
    study = Study(
        title="Live-cell confocal imaging of mitotic spindle assembly in HeLa cells expressing EGFP-tubulin",
        description=(
            "Time-lapse spinning-disk confocal images of HeLa cells stably expressing EGFP-alpha-tubulin and "
            "H2B-mCherry, recorded every 30 s from nuclear envelope breakdown to anaphase onset. Cells were "
            "imaged untreated and after 2 h in 50 nM nocodazole to compare spindle assembly times.\n\n"
            "Each file is one cell: a 4D stack (T, Z, Y, X) with two channels."
        ),
        keywords=["mitosis", "mitotic spindle", "microtubules", "live-cell imaging", "HeLa"],
        licence="CC BY 4.0",
        release_date=dt.date(2027, 3, 1),
        contributors=[
            Contributor(
                name="Josiah Carberry",
                orcid="0000-0002-1825-0097",
                email="j.carberry@example.org",
                roles=["corresponding author", "data acquisition"],
                affiliation_ids=[ebi.id],
            ),
            Contributor(
                name="Ana Souza",
                email="a.souza@example.org",
                roles=["data analyst"],
                affiliation_ids=[ebi.id],
            ),
        ],
        affiliations=[ebi],
        funding=[Funding(funder="Wellcome Trust", grant_id="226789/Z/22/Z")],
        publications=[
            Publication(
                title="Nocodazole delays spindle bipolarity in human cells",
                authors="Carberry J, Souza A",
                doi="https://doi.org/10.5555/spindle.2026.001",
                year=2026,
                preprint=True,
            )
        ],
        links=[RelatedLink(url="https://github.com/example-lab/spindle-analysis", description="Analysis code")],
    )
    hela = Biosample(
        id="biosample-hela",
        title="HeLa EGFP-tubulin H2B-mCherry",
        organisms=[HUMAN],
        biological_entity="HeLa cell line (cervical adenocarcinoma), stably expressing EGFP-alpha-tubulin and "
        "H2B-mCherry",
        intrinsic_variables=["EGFP-alpha-tubulin and H2B-mCherry transgenes"],
        experimental_variables=["nocodazole treatment (50 nM, 2 h)"],
    )
    untreated = Specimen(
        id="specimen-untreated",
        title="Live cells, untreated",
        sample_preparation_protocol="Cells seeded on 35 mm glass-bottom dishes 24 h before imaging in "
        "phenol-red-free DMEM with 10% FBS at 37 °C and 5% CO2.",
        growth_protocol="DMEM, 10% FBS, 1% penicillin/streptomycin; passaged every 3 days.",
    )
    nocodazole = Specimen(
        id="specimen-nocodazole",
        title="Live cells, 50 nM nocodazole",
        sample_preparation_protocol="As for untreated cells; nocodazole (50 nM final) added 2 h before imaging.",
        growth_protocol="DMEM, 10% FBS, 1% penicillin/streptomycin; passaged every 3 days.",
    )
    spinning_disk = ImageAcquisition(
        id="acquisition-spinning-disk",
        title="Spinning-disk confocal time-lapse",
        imaging_instrument="Nikon Ti2 with Yokogawa CSU-W1 spinning disk, 60x/1.40 NA oil objective, "
        "Photometrics Prime 95B sCMOS camera, Okolab incubation chamber",
        imaging_methods=[OntologyTerm(id="FBbi:00000253", label="spinning disk confocal microscopy")],
        image_acquisition_parameters="Pixel size 0.183 µm, 15 z-planes at 1 µm, 30 s interval for 60 min; "
        "488 nm (EGFP, 100 ms) and 561 nm (mCherry, 50 ms) excitation.",
    )
    tracking = ImageAnalysis(
        id="analysis-spindle",
        title="Spindle pole tracking",
        overview="Spindle poles were detected and tracked in 3D with TrackMate; bipolarity time is the first "
        "frame with pole distance above 8 µm.",
    )
    return Deposition(
        study=study,
        biosamples=[hela],
        specimens=[untreated, nocodazole],
        acquisitions=[spinning_disk],
        analyses=[tracking],
        components=[
            StudyComponent(
                id="component-untreated",
                name="Untreated HeLa cells",
                description="Time-lapse stacks of 24 untreated cells entering mitosis.",
                biosample_ids=[hela.id],
                specimen_ids=[untreated.id],
                acquisition_ids=[spinning_disk.id],
                analysis_ids=[tracking.id],
                files=_files("untreated", ["cell_01.ome.tif", "cell_02.ome.tif"], 412_337_664, treatment="none"),
            ),
            StudyComponent(
                id="component-nocodazole",
                name="Nocodazole-treated HeLa cells",
                description="Time-lapse stacks of 21 cells entering mitosis in 50 nM nocodazole.",
                biosample_ids=[hela.id],
                specimen_ids=[nocodazole.id],
                acquisition_ids=[spinning_disk.id],
                analysis_ids=[tracking.id],
                files=_files(
                    "nocodazole", ["cell_01.ome.tif", "cell_02.ome.tif"], 412_337_664, treatment="nocodazole 50 nM"
                ),
            ),
        ],
    )


def clem() -> Deposition:
    """A correlative study: confocal (to the BIA) and FIB-SEM (to EMPIAR) of the same HeLa cells."""
    institute = Affiliation(
        id="org-example-institute",
        name="Example Institute of Cell Biology",
        address="1 Example Road, Cambridge CB10 1SD",
        country="GB",
    )
    study = Study(
        title="Correlative light and FIB-SEM imaging of mitochondria-ER contacts in HeLa cells",
        description=(
            "Airyscan confocal volumes of HeLa cells labelled for mitochondria (MitoTracker Deep Red) and the "
            "ER (mEmerald-Sec61b), followed by FIB-SEM of the same cells after high-pressure freezing and "
            "freeze substitution. The light microscopy goes to the BioImage Archive, the FIB-SEM volumes to "
            "EMPIAR; a landmark-based affine transform maps each light volume onto its FIB-SEM volume."
        ),
        keywords=["CLEM", "FIB-SEM", "mitochondria", "endoplasmic reticulum", "membrane contact sites"],
        licence="CC0",
        release_date=dt.date(2027, 6, 1),
        contributors=[
            Contributor(
                name="Jane Smith",
                orcid="https://orcid.org/0000-0002-1825-0097",
                email="Jane Smith <jane.smith@example.org>",
                roles=["corresponding author"],
                affiliation_ids=[institute.id],
            ),
            Contributor(
                name="Alan Doe",
                email="alan.doe@example.org",
                roles=["principal investigator"],
                affiliation_ids=[institute.id],
            ),
        ],
        affiliations=[institute],
        publications=[Publication(title="Mitochondria-ER contacts resolved by CLEM", authors="Smith J, Doe A")],
    )
    hela = Biosample(
        id="biosample-hela",
        title="HeLa mEmerald-Sec61b",
        organisms=[HUMAN],
        biological_entity="HeLa cells transiently expressing mEmerald-Sec61b, stained with MitoTracker Deep Red",
    )
    sapphire = Specimen(
        id="specimen-hpf",
        title="Cells on gridded sapphire discs, high-pressure frozen",
        sample_preparation_protocol="Cells grown on carbon-coated gridded sapphire discs, imaged live by "
        "Airyscan, then high-pressure frozen, freeze-substituted (1% OsO4, 0.1% uranyl acetate in acetone) "
        "and embedded in Epon.",
    )
    airyscan = ImageAcquisition(
        id="acquisition-airyscan",
        title="Airyscan confocal volumes",
        imaging_instrument="Zeiss LSM 980 with Airyscan 2, 63x/1.40 NA oil objective",
        imaging_methods=[OntologyTerm(id="FBbi:00000251", label="confocal microscopy")],
        image_acquisition_parameters="Voxel 0.043 x 0.043 x 0.15 µm; 488 nm and 639 nm excitation.",
    )
    fibsem = ImageAcquisition(
        id="acquisition-fibsem",
        title="FIB-SEM volumes",
        imaging_instrument="Zeiss Crossbeam 550, in-lens secondary electron detector",
        imaging_methods=[
            OntologyTerm(id="FBbi:00050000", label="focussed ion beam scanning electron microscopy (FIB-SEM)")
        ],
        image_acquisition_parameters="5 nm isotropic voxels, 1.5 kV, 700 pA; 8 nm milling steps.",
    )
    correlation = ImageCorrelation(
        id="correlation-landmarks",
        title="Landmark-based affine registration of light to FIB-SEM volumes",
        spatial_temporal_alignment="Grid-square corners and lipid droplets picked in BigWarp in both modalities; "
        "an affine transform fitted by least squares (RMS residual 85 nm).",
        fiducials_used="Sapphire disc grid pattern and lipid droplets",
        transformation_matrix="BigWarp landmarks: correlation/landmarks.csv",
        coordinate_systems=[
            CoordinateSystem(name="lm_airyscan", component_id="component-lm", axes=zyx_axes("micrometer")),
            CoordinateSystem(name="em_fibsem", component_id="component-em", axes=zyx_axes("nanometer")),
        ],
        transforms=[
            # Light (µm) onto FIB-SEM (nm), rows and columns in z, y, x order: a 3° rotation about z,
            # scaled by 1000 for the unit change, then a translation in nm.
            AffineTransform(
                name="BigWarp affine landmark fit, 12 fiducials, RMS residual 85 nm",
                input="lm_airyscan",
                output="em_fibsem",
                matrix=[
                    [1000.0, 0.0, 0.0, 42.0],
                    [0.0, 998.63, -52.34, -310.5],
                    [0.0, 52.34, 998.63, 1520.0],
                ],
            )
        ],
    )
    lm = StudyComponent(
        id="component-lm",
        name="Airyscan volumes of HeLa cells",
        description="Confocal volumes of 3 cells, recorded before high-pressure freezing.",
        archive="BIA",
        biosample_ids=[hela.id],
        specimen_ids=[sapphire.id],
        acquisition_ids=[airyscan.id],
        correlation_ids=[correlation.id],
        files=_files("lm", ["cell1_airyscan.czi", "cell2_airyscan.czi", "cell3_airyscan.czi"], 1_284_000_000),
    )
    em = StudyComponent(
        id="component-em",
        name="FIB-SEM volumes of the same cells",
        description="FIB-SEM stacks of the 3 cells imaged by Airyscan, 5 nm voxels.",
        archive="EMPIAR",
        biosample_ids=[hela.id],
        specimen_ids=[sapphire.id],
        acquisition_ids=[fibsem.id],
        correlation_ids=[correlation.id],
        files=_files("fibsem_cell1", [f"slice_{i:04d}.tif" for i in range(3)], 3_145_728),
        empiar=EmpiarEntry(
            experiment_type=7,
            scale="3",
            release_policy="HP",
            image_sets=[
                EmpiarImageSet(
                    name="FIB-SEM volume of HeLa cell 1 (registered to LM via landmarks)",
                    directory="data/fibsem_cell1",
                    category="OT",
                    category_other="FIB-SEM slices",
                    header_format="T3",
                    data_format="T3",
                    voxel_type="T1",
                    num_images_or_tilt_series=1200,
                    frames_per_image=1,
                    image_width=2048,
                    image_height=1536,
                    pixel_width=50.0,
                    pixel_height=50.0,
                    details="Pixel size in ångström.",
                )
            ],
        ),
    )
    return Deposition(
        correlative=True,
        study=study,
        biosamples=[hela],
        specimens=[sapphire],
        acquisitions=[airyscan, fibsem],
        correlations=[correlation],
        components=[lm, em],
    )


EXAMPLES = {
    "light-microscopy-hela-spindle.draft.json": ("HeLa spindle live imaging (example)", light_microscopy),
    "clem-hela-mito-er.draft.json": ("HeLa mito-ER CLEM (example)", clem),
}


def main() -> None:
    """Write every example draft next to this script."""
    for file_name, (name, build) in EXAMPLES.items():
        envelope = DraftEnvelope(
            draft_id=f"example-{file_name.split('-')[0]}",
            name=name,
            created=STAMP,
            modified=STAMP,
            revision=1,
            app_version="example",
            current_page="study",
            deposition=build(),
        )
        (HERE / file_name).write_bytes(serialise_draft(envelope))
        print(f"wrote examples/{file_name}")


if __name__ == "__main__":
    main()
