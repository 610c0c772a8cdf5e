"""File lists: scanning dropped folders, the archives' naming rules and fixes, and checksums.

Everything here is plain Python (no Qt) and safe to call from a worker thread;
the long operations take a progress callback and a cancel event
(:mod:`.progress`).
"""
