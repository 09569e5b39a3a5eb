"""Cleaning a reporter's evidence, one module per format (``intake.files`` is the entry).

``common`` holds the kinds we accept, limits and messages; ``images`` JPEG and PNG (and the
GIF and BMP found inside documents); ``icc`` colour profiles; ``jpeg2000`` the JPEG 2000
pictures inside PDFs; ``pdf`` PDF documents; ``office`` Word, Excel and PowerPoint files.
"""
