"""The one error type the archive clients and submission machines raise.

It is a :class:`~bioimage_depositor.domain.transfer.transport.TransferError`, so
the transfer engine, the wizard and the command line treat a failed API call the
same way as a failed upload: branch on the stable ``code``, show ``str(error)``
(one sentence saying what happened and what to do), retry only when
``permanent`` is false. Messages never contain tokens, passwords, session ids
or the secret upload folder; :func:`redact` removes them from any server text
that is quoted.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..transfer.transport import TransferError

#: Placeholder written where a secret was removed from a message.
REDACTED = "***"


class ArchiveError(TransferError):
    """An archive API call or submission step failed.

    Parameters
    ----------
    code
        Stable dotted identifier, e.g. ``"auth.failed"``, ``"server.busy"``,
        ``"bia.file_list_invalid"``, ``"empiar.create_uncertain"``.
    message
        What happened and what the user can do, without any secret.
    permanent
        ``True`` when repeating the same call cannot help.
    status
        The HTTP status behind the error, when there was one.
    archive
        ``"BIA"`` or ``"EMPIAR"``.
    details
        Server messages (already redacted) for a "details" pane or ``--json``.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        permanent: bool = False,
        status: int | None = None,
        archive: str = "",
        details: Iterable[str] = (),
    ) -> None:
        super().__init__(code, message, permanent=permanent)
        self.status = status
        self.archive = archive
        self.details = tuple(details)

    def to_json(self) -> dict[str, object]:
        """A plain dict for ``--json`` output and the submission record."""
        return {
            "code": self.code,
            "message": str(self),
            "permanent": self.permanent,
            "status": self.status,
            "archive": self.archive,
            "details": list(self.details),
        }


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each non-trivial secret in ``text`` with :data:`REDACTED`.

    Parameters
    ----------
    text
        Text that may quote a server response or a URL.
    secrets
        Values that must never be shown; values shorter than 4 characters are
        ignored (they would blank out ordinary words).
    """
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
