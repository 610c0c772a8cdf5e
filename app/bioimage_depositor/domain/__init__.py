"""Pure-Python core: models, rules, drafts, vocabularies. Never imports Qt."""
