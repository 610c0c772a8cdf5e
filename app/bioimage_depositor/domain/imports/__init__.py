"""Reading existing submissions into new drafts (today: BioStudies PageTab, see :mod:`.pagetab_import`)."""
