"""What a file is, judged by its first bytes (never by its name): uploads and evidence downloads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    """A recognised type: its MIME type, a file extension, and how to show it."""

    mime: str
    ext: str
    shown_as: str  # "image", "video", "audio" or "document"
    viewable: bool = True  # whether a browser shows it as it is (else the hub makes a viewable copy)


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
MOV = FileType("video/quicktime", "mov", "video", viewable=False)  # an iPhone screen recording
HEIC = FileType("image/heic", "heic", "image", viewable=False)  # an iPhone photo
AMR = FileType("audio/amr", "amr", "audio", viewable=False)  # an Android voicemail or call recording
AMR_WB = FileType("audio/amr-wb", "awb", "audio", viewable=False)
TEXT = FileType("text/plain; charset=utf-8", "txt", "document")

PHOTO_TYPES = (JPEG, PNG, WEBP)
ATTACHMENT_TYPES = (JPEG, PNG, WEBP, GIF, HEIC, PDF, MP4, MOV, WAV, MP3, OGG, M4A, AMR, AMR_WB, TEXT)
ENROL_TYPES = (JPEG, PNG, WEBP, HEIC)  # photos of the person of concern or the vehicle, as her phone took them
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


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
    if head.startswith(b"#!AMR-WB\n"):
        return AMR_WB
    if head.startswith(b"#!AMR\n"):
        return AMR
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in HEIF_BRANDS:
            return HEIC
        if brand in (b"M4A ", b"M4B "):
            return M4A
        return MOV if brand == b"qt  " else MP4
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MP3
    if head.startswith(b"OggS"):
        return OGG
    if _is_text(head):
        return TEXT
    return None


def refine(kind: FileType | None, head: bytes, tail: bytes = b"") -> FileType | None:
    """An MP4 with sound and no picture is audio (a voicemail saved as .mp4 or .m4a with a video brand).

    ``head`` and ``tail`` are the first and last bytes of the file: the track list (moov) is at one end.
    """
    if kind not in (MP4, MOV):
        return kind
    handlers = set()
    for part in (head, tail):
        at = part.find(b"hdlr")
        while at >= 0:
            handlers.add(part[at + 12:at + 16])  # after the version, flags and pre_defined words
            at = part.find(b"hdlr", at + 4)
    return M4A if b"soun" in handlers and b"vide" not in handlers else kind


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


_heif_registered = False


def heif_opener() -> None:
    """Let Pillow open HEIC photos (iPhones save them): registered on first use, not at import,
    because libheif costs a hub that never opens one 6 MB resident."""
    global _heif_registered
    if not _heif_registered:
        try:
            from pillow_heif import register_heif_opener
        except ImportError:  # pragma: no cover - a dependency; without it a HEIC photo is refused by name
            return
        register_heif_opener()
        _heif_registered = True
