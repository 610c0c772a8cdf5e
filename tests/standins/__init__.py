"""Local stand-ins of the archives' APIs (BioStudies/BIA, EMPIAR) and the helpers tests drive them with."""
