"""A correlative draft with real files and both stand-ins running: the setting of submission tests."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import random
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from bioimage_depositor.domain.deposition import Deposition
from bioimage_depositor.domain.drafts import DraftStore

from .biostudies import BioStudiesStandin, User
from .empiar import EmpiarStandin

ROOT = Path(__file__).resolve().parents[2]
#: Hand-written PageTab example (reference notes, examples/bia/pagetab): a study and its file list.
STANDIN_DATA = Path(__file__).resolve().parent / "data"
BIA_LOGIN = "jane.smith@example.org"
BIA_PASSWORD = "correct horse battery staple"
GLOBUS_IDENTITY = "jane@globusid.org"
GRANTEE = "alan.doe@example.org"


_EXAMPLES_LOCK = threading.Lock()


def _examples():
    name = "bioimage_depositor_examples"
    with _EXAMPLES_LOCK:
        return sys.modules.get(name) or _load_examples(name)


def _load_examples(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / "make_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module  # only once it is complete: other threads may be looking
    return module


def with_real_files(deposition: Deposition, data: Path, *, size: int = 3000, seed: int = 7) -> Deposition:
    """Give every listed file real bytes on disk: ``source``, size and MD5 filled in."""
    rng = random.Random(seed)
    for component in deposition.components:
        for entry in component.files:
            path = data / component.id / entry.path
            path.parent.mkdir(parents=True, exist_ok=True)
            payload = rng.randbytes(size + rng.randrange(500))
            path.write_bytes(payload)
            entry.source = str(path)
            entry.size_bytes = len(payload)
            entry.md5 = hashlib.md5(payload).hexdigest()
    return deposition


def clem_deposition(data: Path) -> Deposition:
    """The CLEM example (LM to the BIA, FIB-SEM to EMPIAR, one transform) with real files."""
    return with_real_files(_examples().clem(), data)


def light_deposition(data: Path) -> Deposition:
    return with_real_files(_examples().light_microscopy(), data)


def write_thumbnail(path: Path, size: int = 420) -> Path:
    from PIL import Image

    Image.new("RGB", (size, size), (30, 90, 160)).save(path, format="PNG")
    return path


@dataclass
class Scenario:
    """Stand-ins, accounts, a saved draft and the environment a submission needs."""

    root: Path
    bia: BioStudiesStandin
    empiar: EmpiarStandin
    bia_user: User
    empiar_user: str
    empiar_token: str
    draft_id: str
    deposition: Deposition
    thumbnail: Path
    upload_log: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    last_output: str = ""
    extra_args: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "BIOIMAGE_DEPOSITOR_BIA_PASSWORD": BIA_PASSWORD,
                "BIOIMAGE_DEPOSITOR_EMPIAR_TOKEN": self.empiar_token,
                "BIOIMAGE_DEPOSITOR_BIA_UPLOAD_URL": self.bia.upload_root,
                "BIOIMAGE_DEPOSITOR_EMPIAR_UPLOAD_URL": self.empiar.upload_root,
                "STANDIN_UPLOAD_LOG": str(self.upload_log),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
            }
        )
        env.update(self.extra_env)
        return env

    def argv(self, *extra: str, archive: str = "all") -> list[str]:
        return [
            "submit",
            self.draft_id,
            "--archive",
            archive,
            "--bia-api",
            self.bia.url,
            "--empiar-api",
            self.empiar.url,
            "--bia-login",
            BIA_LOGIN,
            "--empiar-thumbnail",
            str(self.thumbnail),
            "--empiar-grant",
            f"{GRANTEE}=3",
            "--globus-identity",
            GLOBUS_IDENTITY,
            "--poll-interval",
            "0.01",
            "--wait-timeout",
            "60",
            *self.extra_args,
            *extra,
        ]

    def stop(self) -> None:
        self.bia.stop()
        self.empiar.stop()


def make_scenario(root: Path, deposition: Deposition | None = None, **empiar_options: object) -> Scenario:
    """Start both stand-ins (EMPIAR in its newer, asynchronous flavour unless told otherwise) and save a draft."""
    root.mkdir(parents=True, exist_ok=True)
    options: dict[str, object] = {
        "async_create": True,
        "async_submit": True,
        "require_ack": True,
        "entry_listing": True,
    }
    options.update(empiar_options)
    bia = BioStudiesStandin(root / "biostudies").start()
    empiar = EmpiarStandin(root / "empiar", **options).start()  # type: ignore[arg-type]
    user = bia.add_user(BIA_LOGIN, BIA_PASSWORD)
    token = empiar.add_user("jsmith")
    empiar.add_user("adoe")
    deposition = deposition if deposition is not None else clem_deposition(root / "data")
    envelope = DraftStore().create("CLEM submission test", deposition)
    return Scenario(
        root=root,
        bia=bia,
        empiar=empiar,
        bia_user=user,
        empiar_user="jsmith",
        empiar_token=token,
        draft_id=envelope.draft_id,
        deposition=deposition,
        thumbnail=write_thumbnail(root / "thumb.png"),
        upload_log=root / "uploads.log",
    )
