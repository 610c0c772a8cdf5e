"""The archives' own clients against the stand-ins: if these pass, the stand-ins speak the archives' API.

* EMPIAR: ``empiar-depositor`` 1.6b30 (the released client, installed from PyPI). It has no
  base-URL option (only ``dev``/``dev_local`` switches), so its endpoint attributes are set
  to the stand-in after construction; everything else is its own code: JSON create,
  thumbnail upload, data upload through ``ascp`` (a fake ``ascp`` executable that behaves
  like Aspera's and copies into the stand-in's upload area), rights, submission,
  re-deposition, and its handling of errors.
* BioStudies: ``biostudies-client`` 0.1.5 (PyPI, ebi-ait) for sign-in, user folders and
  files, synchronous submission, reading back and deleting. It has no call for file-list
  validation, asynchronous submission or request status, so those are driven with the
  exact requests of BioStudies' own Kotlin client (``bio-webclient``: ``SubmissionClient``,
  ``SubmitClient``, ``SubmissionRequestClient``) and of the submission tool (multipart
  ``fileLists/validate``).

Documents come from outside this program where possible: the upstream
``working_example.json``, the hand-written PageTab example of the reference notes
(``tests/standins/data/minimal.json``, ``file_list.tsv``), plus this program's own exports.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
import shutil
import stat
import sys
from pathlib import Path

import pytest
import requests
from tests.standins.biostudies import BioStudiesStandin
from tests.standins.empiar import EmpiarStandin
from tests.standins.scenario import STANDIN_DATA, write_thumbnail

biostudies_api = pytest.importorskip("biostudiesclient.api")
biostudies_auth = pytest.importorskip("biostudiesclient.auth")
biostudies_errors = pytest.importorskip("biostudiesclient.exceptions")
empiar_module = pytest.importorskip("empiar_depositor.empiar_depositor")

UPSTREAM_JSON = importlib.resources.files("empiar_depositor") / "tests" / "deposition_json" / "working_example.json"
UPSTREAM_THUMBNAIL = importlib.resources.files("empiar_depositor") / "tests" / "img" / "entry_thumbnail.gif"

#: BioStudies request statuses in processing order (bia.md §4, RequestStatus.kt).
DOCUMENTED_STATUSES = (
    "REQUESTED",
    "FILES_VALIDATED",
    "INDEXED",
    "LOADED",
    "INDEXED_CLEANED",
    "VALIDATED",
    "CLEANED",
    "FILES_COPIED",
    "CHECK_RELEASED",
    "PERSISTED",
    "PROCESSED",
    "POST_PROCESSED",
)

FAKE_ASCP = """\
#!{python}
# Stands in for IBM Aspera's ascp: the usage check (exit 112) and a copy to user@host:path.
import os, shutil, sys
args = sys.argv[1:]
if not args:
    print("Usage: ascp [-{{ATdpqv6}}] [-{{Q|QQ}}] [-l rate] ... SRC... [[user@]host:]DEST")
    sys.exit(112)
with open(os.environ["FAKE_ASCP_LOG"], "a") as log:
    log.write(" ".join(args) + "\\n")
source, destination = args[-2], args[-1]
login, _, remote = destination.partition(":")
if login != "emp_dep@hx-fasp-1.ebi.ac.uk" or not os.environ.get("ASPERA_SCP_PASS"):
    print("ascp: failed to authenticate")
    sys.exit(1)
assert remote.startswith("upload/"), remote
target = os.path.join(os.environ["FAKE_ASCP_ROOT"], remote[len("upload/"):], os.path.basename(source.rstrip("/")))
if os.path.isdir(source):
    shutil.copytree(source, target, dirs_exist_ok=True)
else:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(source, target)
print("Completed: 1 file(s) transferred")
"""


# ---------------------------------------------------------------- EMPIAR


@pytest.fixture
def empiar(tmp_path: Path):
    standin = EmpiarStandin(tmp_path / "empiar").start()
    yield standin
    standin.stop()


def point_at(depositor, api_root: str) -> None:
    """Aim an EmpiarDepositor at ``api_root`` (1.6b30 hard-codes its server in __init__)."""
    root = api_root.rstrip("/")
    depositor.deposition_url = f"{root}/deposit_entry/"
    depositor.redeposition_url = f"{root}/redeposit_entry/"
    depositor.thumbnail_url = f"{root}/image_upload/"
    depositor.submission_url = f"{root}/submit_entry/"
    depositor.grant_rights_url = f"{root}/grant_rights/"


@pytest.fixture
def fake_ascp(tmp_path: Path, empiar: EmpiarStandin, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bin" / "ascp"
    path.parent.mkdir()
    path.write_text(FAKE_ASCP.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("FAKE_ASCP_ROOT", str(empiar.storage / "upload"))
    monkeypatch.setenv("FAKE_ASCP_LOG", str(tmp_path / "ascp.log"))
    monkeypatch.setenv("EMPIAR_TRANSFER_PASS", "transfer-password")
    return path


def _micrographs(tmp_path: Path) -> Path:
    folder = tmp_path / "micrographs"
    folder.mkdir()
    for index in range(3):
        (folder / f"tilt_{index:02d}.mrc").write_bytes(bytes([index]) * 2048)
    return folder


def test_empiar_depositor_deposits_submits_and_grants(tmp_path, empiar, fake_ascp, capsys) -> None:
    token = empiar.add_user("jsmith")
    empiar.add_user("adoe")
    data = _micrographs(tmp_path)
    depositor = empiar_module.EmpiarDepositor(
        token,
        str(UPSTREAM_JSON),
        str(data),
        ascp=str(fake_ascp),
        entry_thumbnail=str(UPSTREAM_THUMBNAIL),
        grant_rights_usernames="adoe:3",
        grant_rights_emails="alan.doe@example.org:2",
    )
    point_at(depositor, empiar.url)

    assert depositor.deposit_data() == 0, capsys.readouterr().out
    output = capsys.readouterr().out
    entries = empiar.entries_of("jsmith")
    assert len(entries) == 1
    entry = entries[0]
    assert f"Your entry ID is {entry.entry_id} and unique data directory is {entry.directory}" in output
    assert f"The accession code that can be cited in paper is {entry.accession}" in output
    assert entry.submitted and entry.accession.startswith("EMPIAR-")
    assert entry.metadata == json.loads(UPSTREAM_JSON.read_text())
    assert entry.thumbnail == UPSTREAM_THUMBNAIL.read_bytes()
    assert entry.rights == {"u": {"adoe": "3"}, "e": {"alan.doe@example.org": "2"}}
    uploaded = empiar.upload_folder(entry) / "micrographs"
    assert sorted(p.name for p in uploaded.iterdir()) == sorted(p.name for p in data.iterdir())
    ascp_call = (tmp_path / "ascp.log").read_text()
    assert "-k3" in ascp_call and f"upload/{entry.directory}/data" in ascp_call


def test_empiar_depositor_accepts_the_programs_own_export(tmp_path, empiar, fake_ascp) -> None:
    """The deposition JSON this program exports passes the stand-in the official client talks to."""
    from tests.standins.scenario import clem_deposition

    from bioimage_depositor.domain.exports.package import context_for_draft, export_package

    deposition = clem_deposition(tmp_path / "data")
    package = export_package(deposition, tmp_path / "package", context_for_draft(dt.date(2026, 11, 25)))
    document = next(package.path.glob("empiar/*/deposition.json"))
    token = empiar.add_user("jsmith")
    depositor = empiar_module.EmpiarDepositor(token, str(document), str(_micrographs(tmp_path)), ascp=str(fake_ascp))
    point_at(depositor, empiar.url)
    assert depositor.deposit_data() == 0
    (entry,) = empiar.entries_of("jsmith")
    assert entry.metadata["experiment_type"] == 7 and entry.accession


def test_empiar_depositor_redeposit_replaces_metadata(tmp_path, empiar, capsys) -> None:
    token = empiar.add_user("jsmith")
    depositor = empiar_module.EmpiarDepositor(token, str(UPSTREAM_JSON), "")
    point_at(depositor, empiar.url)
    assert depositor.create_new_deposition() == 0
    entry_id, directory = depositor.entry_id, depositor.entry_directory
    changed = json.loads(UPSTREAM_JSON.read_text())
    changed["title"] = "A changed title for the re-deposition test"
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed))
    again = empiar_module.EmpiarDepositor(token, str(path), "", entry_id=entry_id, entry_directory=directory)
    point_at(again, empiar.url)
    assert again.redeposit() == 0
    assert "EMPIAR deposition was successfully updated" in capsys.readouterr().out
    (entry,) = empiar.entries_of("jsmith")
    assert entry.metadata["title"] == changed["title"] and entry.redepositions == 1


def test_empiar_depositor_sees_rejections_as_failures(tmp_path, empiar, capsys) -> None:
    token = empiar.add_user("jsmith")
    document = json.loads(UPSTREAM_JSON.read_text())
    document["corresponding_author"]["country"] = "UK"  # empiar.md §3.3: GB, never UK
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    depositor = empiar_module.EmpiarDepositor(token, str(bad), "")
    point_at(depositor, empiar.url)
    assert depositor.create_new_deposition() == 1
    output = capsys.readouterr().out
    assert "'UK' is not one of" in output and "Status code: 400" in output
    assert empiar.entries_of("jsmith") == []

    stranger = empiar_module.EmpiarDepositor("not-a-token", str(UPSTREAM_JSON), "")
    point_at(stranger, empiar.url)
    assert stranger.create_new_deposition() == 1
    assert "Status code: 401" in capsys.readouterr().out


def test_empiar_depositor_is_throttled_after_ten_rapid_creates(empiar, capsys) -> None:
    """The upstream request test expects HTTP 429 after 11 rapid POSTs to deposit_entry/."""
    token = empiar.add_user("jsmith")
    results = []
    for _ in range(11):
        depositor = empiar_module.EmpiarDepositor(token, str(UPSTREAM_JSON), "")
        point_at(depositor, empiar.url)
        results.append(depositor.create_new_deposition())
    assert results == [0] * 10 + [1]
    assert "Request was throttled" in capsys.readouterr().out
    throttled = empiar.server.requests("POST", "/deposit_entry/")[-1]
    assert throttled.status == 429


# ---------------------------------------------------------------- BioStudies


@pytest.fixture
def biostudies(tmp_path: Path):
    standin = BioStudiesStandin(tmp_path / "biostudies").start()
    standin.add_user("jane.doe@example.org", "s3cret-pass")
    yield standin
    standin.stop()


def _images(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    for name in ("cell_01.tif", "cell_02.tif"):
        (folder / name).write_bytes(name.encode() * 100)
    return folder


def test_biostudies_client_signs_in_uploads_and_submits(tmp_path, biostudies) -> None:
    auth = biostudies_auth.Auth(base_url=biostudies.url)
    answer = auth.login("jane.doe@example.org", "s3cret-pass")
    assert answer.status == 200 and answer.session_id
    api = biostudies_api.Api(auth)
    assert api.create_user_sub_folder("images").status == 200
    for path in sorted(_images(tmp_path).iterdir()):
        assert api.upload_file(str(path), "images").status == 200
    list_path = tmp_path / "file_list.tsv"
    shutil.copyfile(STANDIN_DATA / "file_list.tsv", list_path)
    assert api.upload_file(str(list_path)).status == 200
    listing = api.get_user_files("images").json
    assert {row["name"] for row in listing} == {"cell_01.tif", "cell_02.tif"}
    assert all(row["type"] == "FILE" for row in listing)

    submission = json.loads((STANDIN_DATA / "minimal.json").read_text())
    created = api.create_submission(submission).json
    accession = created["accno"]
    assert accession.startswith("S-BIAD")
    assert api.get_submission(accession).json["accno"] == accession
    user = biostudies.users["jane.doe@example.org"]
    assert set(biostudies.studies[accession].versions[0].files) == {
        "file_list.tsv",
        "images/cell_01.tif",
        "images/cell_02.tif",
    }
    assert api.delete_file("images/cell_02.tif").status == 200
    assert not (biostudies.user_folder(user) / "images" / "cell_02.tif").exists()
    api.delete_submission(accession)
    assert accession not in biostudies.studies


def test_biostudies_client_reports_the_servers_reasons(tmp_path, biostudies) -> None:
    auth = biostudies_auth.Auth(base_url=biostudies.url)
    with pytest.raises(biostudies_errors.RestErrorException) as refused:
        auth.login("jane.doe@example.org", "wrong")
    assert refused.value.message == "Invalid email address or password."
    auth.login("jane.doe@example.org", "s3cret-pass")
    api = biostudies_api.Api(auth)
    list_path = tmp_path / "file_list.tsv"
    shutil.copyfile(STANDIN_DATA / "file_list.tsv", list_path)
    api.upload_file(str(list_path))  # the list, but not the images it names
    submission = json.loads((STANDIN_DATA / "minimal.json").read_text())
    with pytest.raises(biostudies_errors.RestErrorException) as invalid:
        api.create_submission(submission)
    assert invalid.value.status_code == 400
    assert "File not found: images/cell_01.tif" in invalid.value.message
    assert biostudies.studies == {}


def _sign_in(biostudies: BioStudiesStandin) -> dict[str, str]:
    answer = requests.post(
        f"{biostudies.url}/auth/signin", json={"login": "jane.doe@example.org", "password": "s3cret-pass"}, timeout=10
    )
    answer.raise_for_status()
    profile = answer.json()
    assert profile["uploadType"] in ("ftp", "nfs") and profile["secret"].endswith("-a101")
    return {"X-SESSION-TOKEN": profile["sessid"]}


def test_biostudies_validation_and_async_submission_as_its_own_clients_send_them(tmp_path, biostudies) -> None:
    """Requests shaped exactly as bio-webclient (Kotlin) and the submission tool (browser) send them."""
    session = _sign_in(biostudies)
    user = biostudies.users["jane.doe@example.org"]
    folder = biostudies.user_folder(user)
    shutil.copyfile(STANDIN_DATA / "file_list.tsv", folder / "file_list.tsv")

    # SubmissionClient.validateFileList: form-urlencoded fileListName (+ rootPath, accNo).
    missing = requests.post(
        f"{biostudies.url}/submissions/fileLists/validate",
        data={"fileListName": "file_list.tsv"},
        headers=session,
        timeout=10,
    )
    assert missing.status_code == 500  # BioStudies reports validation failures as 500 with a log
    assert missing.json()["status"] == "FAIL"
    assert [n["message"] for n in missing.json()["log"]["subnodes"]] == [
        "File not found: images/cell_01.tif",
        "File not found: images/cell_02.tif",
    ]
    shutil.copytree(_images(tmp_path), folder / "images")
    # The submission tool's FileService: multipart FormData with accNo and fileListName.
    ok = requests.post(
        f"{biostudies.url}/submissions/fileLists/validate",
        files={"fileListName": (None, "file_list.tsv"), "accNo": (None, "")},
        headers=session,
        timeout=10,
    )
    assert ok.status_code == 200

    # SubmitClient.submitAsync: the PageTab as the body, Submission_Type and Accept headers.
    body = (STANDIN_DATA / "minimal.json").read_text()
    headers = {
        **session,
        "Content-Type": "application/json",
        "Accept": "application/json, application/json",
        "Submission_Type": "application/json",
    }
    accepted = requests.post(f"{biostudies.url}/submissions/async", data=body, headers=headers, timeout=10)
    assert accepted.status_code == 200
    submission_id = accepted.json()
    assert set(submission_id) == {"accNo", "version"} and submission_id["version"] == 1

    # SubmissionRequestClient: status is the RequestStatus enum as a JSON string.
    seen = []
    status_url = f"{biostudies.url}/submissions/requests/{submission_id['accNo']}/{submission_id['version']}"
    for _ in range(20):
        status = requests.get(f"{status_url}/status", headers=session, timeout=10).json()
        seen.append(status)
        if status in ("PROCESSED", "POST_PROCESSED", "INVALID"):
            break
    assert seen[-1] == "PROCESSED" and len(seen) > 1  # processed in the background, seen over several polls
    positions = [DOCUMENTED_STATUSES.index(status) for status in seen]
    assert positions == sorted(positions)
    assert requests.get(f"{status_url}/errors", headers=session, timeout=10).json() == []
    listed = requests.get(f"{biostudies.url}/submissions", headers=session, timeout=10).json()
    assert [row["accno"] for row in listed] == [submission_id["accNo"]]

    # A second version while none is processing is accepted; anonymous calls are not.
    document = json.loads(body)
    document["accno"] = submission_id["accNo"]
    again = requests.post(f"{biostudies.url}/submissions/async", json=document, headers=headers, timeout=10)
    assert again.json() == {"accNo": submission_id["accNo"], "version": 2}
    assert requests.get(f"{status_url}/status", timeout=10).status_code == 401


def test_biostudies_standin_refuses_malformed_pagetab(biostudies) -> None:
    session = _sign_in(biostudies)
    headers = {**session, "Submission_Type": "application/json"}
    broken = {"attributes": [{"name": "Title", "value": "x"}], "section": {"type": "Study", "accno": None}}
    answer = requests.post(f"{biostudies.url}/submissions/async", json=broken, headers=headers, timeout=10)
    assert answer.status_code == 400
    assert "accno must be text" in json.dumps(answer.json())
    tsv = requests.post(
        f"{biostudies.url}/submissions/async",
        data="Submission\n",
        headers={**session, "Submission_Type": "text/plain"},
        timeout=10,
    )
    assert tsv.status_code == 415


def test_thumbnail_minimum_size_is_enforced(tmp_path, empiar) -> None:
    token = empiar.add_user("jsmith")
    depositor = empiar_module.EmpiarDepositor(token, str(UPSTREAM_JSON), "")
    point_at(depositor, empiar.url)
    assert depositor.create_new_deposition() == 0
    small = write_thumbnail(tmp_path / "small.png", size=200)
    depositor.entry_thumbnail = str(small)
    assert depositor.thumbnail_upload() == 1
    depositor.entry_thumbnail = str(write_thumbnail(tmp_path / "big.png", size=400))
    assert depositor.thumbnail_upload() == 0
