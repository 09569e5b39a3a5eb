"""An upload handler that keeps files in memory and never on disk in clear.

Django writes uploads larger than 2.5 MB to a plain temporary file; for evidence that would put
a reporter's file on disk unencrypted. This handler keeps every upload in memory up to the
evidence size limit, and drops a larger file as it streams in (without stopping the rest of the
form), noting its name so the page can say it was too big.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class BoundedMemoryUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
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
