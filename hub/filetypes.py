"""What a file is, judged by its first bytes (never by its name): uploads and evidence downloads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    """A recognised type: its MIME type, a file extension, and how to show it."""

    mime: str
    ext: str
    shown_as: str  # "image", "video", "audio" or "document"


JPEG = FileType("image/jpeg", "jpg", "image")
PNG = FileType("image/png", "png", "image")
WEBP = FileType("image/webp", "webp", "image")
GIF = FileType("image/gif", "gif", "image")
PDF = FileType("application/pdf", "pdf", "document")
MP4 = FileType("video/mp4", "mp4", "video")
WAV = FileType("audio/wav", "wav", "audio")
MP3 = FileType("audio/mpeg", "mp3", "audio")
OGG = FileType("audio/ogg", "ogg", "audio")
M4A = FileType("audio/mp4", "m4a", "audio")
TEXT = FileType("text/plain; charset=utf-8", "txt", "document")

PHOTO_TYPES = (JPEG, PNG, WEBP)
ATTACHMENT_TYPES = (JPEG, PNG, WEBP, GIF, PDF, MP4, WAV, MP3, OGG, M4A, TEXT)


def sniff(head: bytes) -> FileType | None:
    """The type of a file from its first 64 bytes or more; None when it is none we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head.startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return M4A if brand in (b"M4A ", b"M4B ") else MP4
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MP3
    if head.startswith(b"OggS"):
        return OGG
    if _is_text(head):
        return TEXT
    return None


def _is_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The sample may end mid-character; one more try without the last few bytes.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)
