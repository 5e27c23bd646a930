import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import images


def picture(
    size=(300, 200), fmt="JPEG", mode="RGB", name="photo.jpg", **save_kwargs
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size, "teal" if mode == "RGB" else 0).save(
        buffer, format=fmt, **save_kwargs
    )
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    return exif


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_real_picture_is_re_encoded_as_webp_with_a_square_thumbnail(fmt):
    processed = images.process_avatar(picture(size=(1600, 900), fmt=fmt))

    stored = Image.open(processed.image)
    assert stored.format == "WEBP"
    assert max(stored.size) == images.STORED_SIDE
    thumbnail = Image.open(processed.thumbnail)
    assert thumbnail.format == "WEBP"
    assert thumbnail.size == (images.THUMBNAIL_SIDE, images.THUMBNAIL_SIDE)


def test_exif_and_gps_are_dropped():
    upload = picture(exif=exif_with_gps())
    assert Image.open(io.BytesIO(upload.read())).getexif()  # the original has it
    upload.seek(0)

    processed = images.process_avatar(upload)

    stored = Image.open(processed.image)
    assert not stored.getexif()
    assert "exif" not in stored.info
    assert not Image.open(processed.thumbnail).getexif()


def test_a_text_file_renamed_jpg_is_refused():
    upload = SimpleUploadedFile(
        "cat.jpg", b"just some text, not a picture", content_type="image/jpeg"
    )
    with pytest.raises(ValidationError) as error:
        images.process_avatar(upload)
    assert error.value.code == "invalid_image"


def test_a_truncated_jpeg_is_refused():
    data = picture(size=(400, 400)).read()
    upload = SimpleUploadedFile("cut.jpg", data[: len(data) // 2])
    with pytest.raises(ValidationError) as error:
        images.process_avatar(upload)
    assert error.value.code == "invalid_image"


def test_a_gif_is_refused_even_though_pillow_reads_it():
    with pytest.raises(ValidationError) as error:
        images.process_avatar(picture(fmt="GIF", name="anim.gif"))
    assert error.value.code == "invalid_image"


def test_a_file_over_5_mb_is_refused_before_it_is_decoded():
    upload = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (5 * 1024 * 1024))
    with pytest.raises(ValidationError) as error:
        images.process_avatar(upload)
    assert error.value.code == "file_too_large"


def test_a_picture_wider_than_4000_px_is_refused():
    with pytest.raises(ValidationError) as error:
        images.process_avatar(picture(size=(4001, 10), fmt="PNG", mode="L"))
    assert error.value.code == "too_many_pixels"


@pytest.mark.parametrize(
    "size",
    [
        (4500, 4500),  # over MAX_IMAGE_PIXELS: Pillow's warning, made an error
        (6000, 6000),  # over twice that: Pillow's DecompressionBombError
    ],
)
def test_a_decompression_bomb_is_refused_without_decoding_it(size):
    # A tiny file (a one-colour 1-bit PNG) that would decode to tens of megapixels.
    bomb = picture(size=size, fmt="PNG", mode="1", name="bomb.png")
    assert bomb.size < 100_000
    assert size[0] * size[1] > Image.MAX_IMAGE_PIXELS == 4000 * 4000

    with pytest.raises(ValidationError) as error:
        images.process_avatar(bomb)
    assert error.value.code == "too_many_pixels"


def test_transparency_is_kept():
    processed = images.process_avatar(picture(fmt="PNG", mode="RGBA"))
    assert Image.open(processed.image).mode == "RGBA"


def test_a_phone_jpeg_with_several_pictures_keeps_the_first():
    """Phones save Ultra HDR and stereo photos as MPO: a JPEG followed by more
    pictures. The first is the photo; it is what the avatar shows."""
    photo = Image.new("RGB", (600, 400), (200, 30, 30))
    gain_map = Image.new("RGB", (600, 400), (10, 200, 10))
    buffer = io.BytesIO()
    photo.save(buffer, format="MPO", save_all=True, append_images=[gain_map])
    buffer.seek(0)
    assert Image.open(buffer).format == "MPO"
    upload = SimpleUploadedFile("IMG_0001.jpg", buffer.getvalue(), "image/jpeg")

    processed = images.process_avatar(upload)

    stored = Image.open(processed.image)
    assert stored.format == "WEBP"
    assert stored.size == (600, 400)
    red, green, _blue = stored.convert("RGB").getpixel((300, 200))
    assert red > 150 and green < 80  # the first picture, not the second
