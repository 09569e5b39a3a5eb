"""Domain errors raised by services and selectors; views turn them into HTTP answers.

Every message here is safe to show to the person who caused it: none names a case, a
reporter or any content.
"""


class SpeakUpError(Exception):
    """Base of every domain error. ``message`` is safe to show to a user."""

    message = "Something went wrong."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class CaseNotFound(SpeakUpError):
    """The one answer for missing, forbidden, malformed and wrong: it confirms nothing."""

    message = "No case was found."


class HistoryBypassError(SpeakUpError):
    """A bulk write would change a history-tracked model without recording history."""

    message = "Bulk writes are refused on history-tracked models; save each row instead."


class AuditRecordImmutable(SpeakUpError):
    message = "Audit events are append-only: they cannot be changed or deleted."


class UnknownAuditEvent(SpeakUpError):
    message = "This audit event code is not registered."


class CryptoError(SpeakUpError):
    message = "Case data could not be decrypted."


class CaseDataUnreadable(CryptoError):
    """A ciphertext failed authentication: tampered, moved from elsewhere, or corrupt."""

    message = (
        "Part of this case's data failed its integrity check and is not shown. "
        "The failure has been recorded; tell your administrator."
    )


class CaseKeyDestroyed(CryptoError):
    """The case's data key was deleted (crypto-shredding): its content is gone for good."""

    message = "This case's content has been permanently deleted."


class MasterKeyMismatch(CryptoError):
    """A data key cannot be unwrapped by the configured master key."""

    message = (
        "The configured master key cannot unwrap the case data keys. "
        "Check SPEAKUP_MASTER_KEYS: it must hold the key that wrapped them."
    )


class NotAllowed(SpeakUpError):
    """The person reaches the case but their role does not allow this (a predicate in
    ``permissions/predicates.py`` said no). Not-found stays the answer for a case they do
    not reach at all."""

    message = "Your role does not allow this."


class InvalidTransition(SpeakUpError):
    message = "That step is not possible for this case at its current stage."


class CheckinClosed(SpeakUpError):
    """The check-in after closure is not asked of this case (not closed, not yet due, not
    asked for its type) or was answered already: nothing is recorded."""

    message = "This question has already been answered, or is not open."


class LinkRefused(SpeakUpError):
    """Two cases could not be linked, or a link removed (``cases/links.py``,
    ``permissions/links.py``). ``field`` is the form field the message is about. No message
    names a case the person cannot see."""

    message = "The cases could not be linked."

    def __init__(self, message: str | None = None, *, field: str = "reference") -> None:
        super().__init__(message)
        self.field = field
