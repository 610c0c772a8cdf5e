"""The online organism lookup against a local stand-in of the OLS4 search endpoint on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from bioimage_depositor.domain import ols

DOCS = {
    "tardigrade": [
        {
            "iri": "http://purl.obolibrary.org/obo/NCBITaxon_232323",
            "label": "Hypsibius dujardini",
            "obo_id": "NCBITaxon:232323",
            "short_form": "NCBITaxon_232323",
            "ontology_name": "ncbitaxon",
        },
        {"iri": "http://example.org/not-a-taxon", "label": "junk", "obo_id": "FOO:1"},
    ]
}


class FakeOls(BaseHTTPRequestHandler):
    requests_seen: ClassVar[list[dict]] = []

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        FakeOls.requests_seen.append({"path": url.path, **{k: v[0] for k, v in query.items()}})
        if url.path != "/ols4/api/search":
            self.send_response(404)
            self.end_headers()
            return
        if query.get("q", [""])[0] == "broken":
            body = b"<html>maintenance</html>"
        else:
            docs = DOCS.get(query.get("q", [""])[0], [])
            body = json.dumps({"response": {"numFound": len(docs), "docs": docs}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_ols(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(ols.URL_ENV, f"http://127.0.0.1:{server.server_port}/ols4/api")
    monkeypatch.setenv(ols.OFFLINE_ENV, "0")
    FakeOls.requests_seen = []
    yield server
    server.shutdown()


def test_search_returns_taxa_and_skips_other_ontologies(fake_ols):
    terms = ols.search_organisms("tardigrade")
    assert [(t.id, t.label) for t in terms] == [("NCBITaxon:232323", "Hypsibius dujardini")]
    assert FakeOls.requests_seen[0]["ontology"] == "ncbitaxon"


def test_garbage_answers_and_dead_servers_give_no_results(fake_ols, monkeypatch):
    assert ols.search_organisms("broken") == []
    monkeypatch.setenv(ols.URL_ENV, "http://127.0.0.1:9/ols4/api")  # nothing listens on port 9
    assert ols.search_organisms("tardigrade", timeout=1) == []


def test_offline_mode_sends_nothing(fake_ols, monkeypatch):
    monkeypatch.setenv(ols.OFFLINE_ENV, "1")
    assert ols.search_organisms("tardigrade") == []
    assert FakeOls.requests_seen == []


def test_term_picker_offers_online_results_without_blocking(qtbot, fake_ols):
    from bioimage_depositor.ui.editors import TermListEditor

    editor = TermListEditor("organisms", "organism")
    qtbot.addWidget(editor)
    editor.show()
    editor.input.setFocus()
    qtbot.keyClicks(editor.input, "tardigrade")
    qtbot.waitUntil(lambda: any("OLS" in text for text in editor._suggestions.stringList()), timeout=5_000)
    chosen = next(text for text in editor._suggestions.stringList() if "OLS" in text)
    editor.completer.activated.emit(chosen)
    assert [(t.id, t.label) for t in editor.terms] == [("NCBITaxon:232323", "Hypsibius dujardini")]
