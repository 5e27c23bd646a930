"""Avatar uploads: check the file really is a small JPEG/PNG/WebP, then re-encode it.

Nothing about the upload is trusted: not its name, not the browser's content type.
Pillow opens and verifies the bytes; the stored picture is a fresh WebP encoding
(so EXIF, GPS position and any payload hidden in the original are gone), under a
random name (see accounts.models.avatar_upload_to)."""

import io
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4000
# MPO: a JPEG with more pictures after the first (phones' Ultra HDR gain maps,
# stereo shots); the first frame is the photo everyone sees, and the one we keep.
ALLOWED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})
STORED_SIDE = 1024  # the re-encoded picture is at most this wide or high
THUMBNAIL_SIDE = 256  # square, for lists and cards

# Pillow's decompression-bomb guard, tightened to our limit: it warns above
# MAX_IMAGE_PIXELS and raises above twice that; we turn the warning into an error
# below, so nothing larger than 4000×4000 pixels is ever decoded.
Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE


@dataclass(frozen=True)
class ProcessedAvatar:
    image: ContentFile
    thumbnail: ContentFile


NOT_AN_IMAGE = _("Upload a JPEG, PNG or WebP picture. This file is not one.")
TOO_LARGE_FILE = _("The picture is larger than 5 MB. Upload a smaller one.")
TOO_MANY_PIXELS = _(
    "The picture is larger than 4000×4000 pixels. Upload a smaller one."
)


def _open_checked(upload) -> Image.Image:
    """Open and verify the upload; return a fresh, fully decoded image."""
    if upload.size > MAX_BYTES:
        raise ValidationError(TOO_LARGE_FILE, code="file_too_large")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            upload.seek(0)
            with Image.open(upload) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise ValidationError(NOT_AN_IMAGE, code="invalid_image")
                if probe.width > MAX_SIDE or probe.height > MAX_SIDE:
                    raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels")
                probe.verify()  # checks the structure; the image is unusable after
            upload.seek(0)
            image = Image.open(upload)
            image.seek(0)  # a multi-picture file's first frame
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(TOO_MANY_PIXELS, code="too_many_pixels") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from None
    return image


def _encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # No exif= argument: the new file carries no metadata at all.
    image.save(buffer, format="WEBP", quality=85, method=4)
    return buffer.getvalue()


def process_avatar(upload) -> ProcessedAvatar:
    """Validate an uploaded avatar and return its re-encoded picture and thumbnail.

    Raises ValidationError (codes file_too_large, invalid_image, too_many_pixels)
    with a message for the form field."""
    image = _open_checked(upload)
    try:
        # Honour the camera's orientation before the EXIF that holds it is dropped.
        image = ImageOps.exif_transpose(image)
        has_alpha = image.mode in ("RGBA", "LA") or (
            image.mode == "P" and "transparency" in image.info
        )
        image = image.convert("RGBA" if has_alpha else "RGB")
        picture = image.copy()
        picture.thumbnail((STORED_SIDE, STORED_SIDE), Image.Resampling.LANCZOS)
        thumbnail = ImageOps.fit(
            image, (THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS
        )
    except (OSError, ValueError):
        raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from None
    return ProcessedAvatar(
        image=ContentFile(_encode(picture), name="avatar.webp"),
        thumbnail=ContentFile(_encode(thumbnail), name="thumbnail.webp"),
    )
