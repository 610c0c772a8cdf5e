"""Resumable transfers: a persistent ledger, an engine, and one module per transport.

See :mod:`.transport` for the contract between the engine and the transports.
"""
