"""Viewable copies of what phones make and browsers cannot show: HEIC photos, AMR voicemails, QuickTime clips.

The original is the evidence and is never changed. A copy is a new evidence file, recorded in its
own row that names its parent and the software that made it, so anyone can redo the conversion and
compare. A file that cannot be converted is kept all the same, with the reason.
"""

from __future__ import annotations

import io
import logging
import threading
import wave
from dataclasses import dataclass
from importlib.metadata import version
from typing import Callable, Sequence

from hub.events import Event, JsonValue, Severity
from hub.evidence import EvidenceStore
from hub.filetypes import AMR, AMR_WB, HEIC, JPEG, MOV, MP4, WAV, FileType, heif_opener
from hub import kinds

logger = logging.getLogger(__name__)

MAX_PIXELS = 60_000_000  # a 48-megapixel phone photo fits; a decompression bomb does not
MAX_AUDIO_SECONDS = 3 * 3600
MAX_VIDEO_SECONDS = 30 * 60


class NotConvertible(ValueError):
    """Why no viewable copy could be made, in words for the incident page."""


@dataclass(frozen=True)
class Copy:
    """A viewable copy: its bytes, its type, and how it was made."""

    data: bytes
    type: FileType
    made_with: str


def copy_event(store: EvidenceStore, parent: str, data: bytes, kind: FileType) -> Event:
    """The row that records a viewable copy of ``parent`` (stored first), or why none could be made."""
    detail: dict[str, JsonValue] = {"parent": parent, "from_type": kind.mime}
    try:
        made = viewable_copy(data, kind)
    except NotConvertible as err:
        logger.warning("no viewable copy of evidence %s: %s", parent[:12], err)
        return Event(kinds.EVIDENCE_COPY, "dashboard", Severity.INFO, {**detail, "problem": str(err)})
    copy = store.put_bytes(made.data)
    return Event(kinds.EVIDENCE_COPY, "dashboard", Severity.INFO,
                 {**detail, "to_type": made.type.mime, "made_with": made.made_with}, evidence=(copy,))


_ONE_AT_A_TIME = threading.Lock()  # converting a clip takes the Pi's cores from the cameras; one at a time


def make_copies_later(store: EvidenceStore, submit: Callable[[Event], object],
                      files: Sequence[tuple[str, bytes, FileType]]) -> threading.Thread:
    """Make the viewable copies on a thread of their own (a clip can take a minute on a Pi); the page
    that uploaded them returns at once, and each copy's row is submitted when it is ready."""
    def work() -> None:
        with _ONE_AT_A_TIME:
            for parent, data, kind in files:
                try:
                    submit(copy_event(store, parent, data, kind))
                except Exception:  # the original is stored and recorded whatever happens here
                    logger.exception("making a viewable copy of evidence %s failed", parent[:12])

    thread = threading.Thread(target=work, name="viewable-copies", daemon=True)
    thread.start()
    return thread


def needs_copy(kind: FileType | None) -> bool:
    """Whether a browser cannot show this type as it is."""
    return kind is not None and not kind.viewable


def viewable_copy(data: bytes, kind: FileType) -> Copy:
    """The viewable copy of a file of this type; NotConvertible says why not."""
    try:
        if kind is HEIC:
            return _heic_to_jpeg(data)
        if kind in (AMR, AMR_WB):
            return _audio_to_wav(data)
        if kind is MOV:
            return _video_to_mp4(data)
    except NotConvertible:
        raise
    except Exception as err:  # a damaged file must not stop the entry it came with
        raise NotConvertible(f"the file could not be read ({type(err).__name__}: {err})") from err
    raise NotConvertible(f"{kind.mime} is shown as it is")


def _heic_to_jpeg(data: bytes) -> Copy:
    from PIL import Image

    heif_opener()
    with Image.open(io.BytesIO(data)) as image:
        if image.width * image.height > MAX_PIXELS:
            raise NotConvertible(f"the photo is {image.width}x{image.height}, more than the "
                                 f"{MAX_PIXELS // 1_000_000} megapixels the hub converts")
        # libheif turns the picture the way the phone showed it (its rotation boxes), and the opener
        # resets the EXIF orientation to match, so nothing here turns it a second time.
        exif = image.getexif()
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=92, exif=exif.tobytes())
    return Copy(out.getvalue(), JPEG, f"pillow-heif {version('pillow-heif')} (libheif), saved as JPEG quality 92, "
                                      "turned as the phone showed it")


def _audio_to_wav(data: bytes) -> Copy:
    import av

    out = io.BytesIO()
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.audio[0]
        rate = stream.rate or 8000
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        with wave.open(out, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            written = 0
            for frame in container.decode(stream):
                for chunk in resampler.resample(frame):
                    pcm = bytes(chunk.planes[0])[:chunk.samples * 2]
                    wav.writeframes(pcm)
                    written += chunk.samples
                if written > MAX_AUDIO_SECONDS * rate:
                    raise NotConvertible(f"the recording is longer than {MAX_AUDIO_SECONDS // 3600} hours")
    if written == 0:
        raise NotConvertible("the recording holds no sound the decoder could read")
    return Copy(out.getvalue(), WAV, f"PyAV {av.__version__} (FFmpeg {stream.codec_context.name} decoder), "
                                     f"saved as 16-bit mono WAV at {rate} Hz")


def _video_to_mp4(data: bytes) -> Copy:
    import av

    out = io.BytesIO()
    with av.open(io.BytesIO(data), "r") as source:
        if not source.streams.video:
            raise NotConvertible("the clip has no picture")
        video_in = source.streams.video[0]
        audio_in = source.streams.audio[0] if source.streams.audio else None
        if float(source.duration or 0) / 1_000_000 > MAX_VIDEO_SECONDS:
            raise NotConvertible(f"the clip is longer than {MAX_VIDEO_SECONDS // 60} minutes")
        with av.open(out, "w", format="mp4") as target:
            video_out = target.add_stream("h264", rate=video_in.average_rate or 30)
            video_out.width = video_in.codec_context.width - video_in.codec_context.width % 2
            video_out.height = video_in.codec_context.height - video_in.codec_context.height % 2
            video_out.pix_fmt = "yuv420p"
            audio_out = target.add_stream("aac", rate=audio_in.rate) if audio_in is not None else None
            for packet in source.demux(*(s for s in (video_in, audio_in) if s is not None)):
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        picture = frame.reformat(width=video_out.width, height=video_out.height, format="yuv420p")
                        picture.pts = None
                        target.mux(video_out.encode(picture))
                    elif isinstance(frame, av.AudioFrame) and audio_out is not None:
                        frame.pts = None
                        target.mux(audio_out.encode(frame))
            target.mux(video_out.encode(None))
            if audio_out is not None:
                target.mux(audio_out.encode(None))
    sound = "with its sound as AAC" if audio_in is not None else "(it had no sound)"
    return Copy(out.getvalue(), MP4, f"PyAV {av.__version__}: re-encoded as H.264 MP4 {sound}")
