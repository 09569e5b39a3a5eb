"""An upload handler that keeps files in memory and never on disk in clear.

Django writes uploads larger than 2.5 MB to a plain temporary file; for evidence that would put
a reporter's file on disk unencrypted. This handler keeps every upload in memory up to the
evidence size limit, and drops a larger file as it streams in (without stopping the rest of the
form), noting its name so the page can say it was too big.

It also enforces the number of files itself, so that a request over either limit comes back as
the same form with its error, never as Django's bare "Bad Request" (which would lose the
answers): at the first file over ``MAX_FILES`` it stops reading (the form's other fields come
before its file input, so they are all kept) and notes that there were too many.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# Evidence files a request may carry (a report, or one addition on follow-up).
MAX_FILES = 5


class BoundedMemoryUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        count = getattr(self.request, "upload_count", 0) + 1
        self.request.upload_count = count  # type: ignore[union-attr]
        if count > MAX_FILES:
            self.request.too_many_uploads = True  # type: ignore[union-attr]
            raise StopUpload(connection_reset=False)
        self.buffer: io.BytesIO | None = io.BytesIO()
        self.limit = int(settings.SPEAKUP_EVIDENCE_MAX_BYTES)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.buffer is None:
            return None
        if self.buffer.tell() + len(raw_data) > self.limit:
            self.buffer = None  # drop what was held: the file is refused
            oversized = getattr(self.request, "oversized_uploads", [])
            oversized.append(str(self.file_name or "file")[:100])
            self.request.oversized_uploads = oversized  # type: ignore[union-attr]
            return None
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile | None:
        if self.buffer is None:
            return None
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def upload_problem(request: Any) -> str | None:
    """Why the files of this request cannot be taken as they are, in words for the reporter,
    or ``None``. Reads the request (and so parses the upload) first."""
    from django.utils.translation import gettext as _

    request.POST  # noqa: B018  (parsing the body is what notes the problems)
    if getattr(request, "too_many_uploads", False):
        return _("You can add up to %(n)d files at a time. Choose fewer files.") % {"n": MAX_FILES}
    oversized = getattr(request, "oversized_uploads", [])
    if oversized:
        return _("%(name)s is too big: files can be up to %(mb)d MB.") % {
            "name": oversized[0],
            "mb": settings.SPEAKUP_EVIDENCE_MAX_BYTES // 1_000_000,
        }
    return None
