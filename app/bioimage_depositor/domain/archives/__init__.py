"""Talking to the archives: API clients, the persisted submission state machines and their orchestration.

* :mod:`.http` — one HTTP session per archive with timeouts, retries of 429/5xx
  (honouring ``Retry-After``) and secret-free errors;
* :mod:`.bia_client`, :mod:`.empiar_client` — the BioStudies submission API and the
  EMPIAR deposition API, one method per documented endpoint;
* :mod:`.state` — the submission record written atomically after every step;
* :mod:`.bia_submission`, :mod:`.empiar_submission` — the two state machines;
* :mod:`.orchestrator` — which machines run, in which order (correlative studies:
  BIA, then EMPIAR referencing the BIA study, then the BIA back-link).

The byte transfer itself is not here: the machines take a ``transfer`` callable
(:mod:`.uploads`), so the resumable transfer engine plugs in from outside.
"""
