"""Hostile and awkward inputs for refprep, each with the outcome it must get, and a runner.

People feed tools whatever is on their disk. This script writes one file (or FIFO, link, folder)
per case into OUT_DIR and ``expected.json`` beside them:

* ``{"expect": "reject", "reason": WORD}``: ``refprep build`` exits 2 with exactly one stderr line
  that names the file and contains WORD, and writes no package;
* ``{"expect": "package"}``: ``refprep build`` exits 0 or 1 and writes a package that
  ``refprep validate`` accepts with the same verdict (no integrity problem: the same problems the
  build reported).

The cases (105): zero bytes; text, HTML, PDF, PSD and SVG files named as images; PNG, JPEG, GIF,
WebP, TIFF and BMP files cut at several points, a flipped byte in a PNG's pixel data, a header
claiming 0 pixels; decompression bombs (a 60000x60000 PNG of a few hundred bytes, a complete
30000x30000 one of ~150 KB, JPEG, GIF and BMP headers of 50000-65535 px, one just over refprep's
100 MP limit); formats refprep does not take (PPM, ICO); a FIFO, a folder, a dangling and a
looping symlink; a grid of 150 tiny figures (more views than refprep takes from one image). And
files that must work: a PNG missing only its checksum and IEND, a real JPEG named .png and the
reverse, no extension, upper-case and double extensions, CMYK and progressive JPEG, 16-bit grey
and RGB TIFF and PNG, 32-bit integer and float TIFF (with NaN and infinities), CIELAB TIFF,
animated GIF / WebP / PNG, multi-page TIFF, EXIF orientations 2-8, an out-of-range orientation, a
garbage EXIF block, palette, LA, L and RGB with a tRNS colour key, random colours under
transparent pixels, 1-bit PNG and G4 TIFF, JPEG-in-TIFF, 1x1, 2x2, 6x6, one-pixel strips, fully
transparent, white and black images, only text, only noise, 4000 specks; and file names with
spaces, CJK, Cyrillic, Arabic, Devanagari, emoji, decomposed accents, a newline, a tab and a
terminal escape, a bidi override, reserved Windows names, Windows paths and forbidden characters,
a leading dot or dash, 240 characters and 240 bytes, and bytes that are not UTF-8 (each with the
package name it must give).

    python benchmarks/hostile_corpus.py OUT_DIR               # write the corpus
    python benchmarks/hostile_corpus.py --run DIR [--timeout 120] [--json]

``--run`` runs the real ``refprep build`` (one subprocess per file, with a timeout) on every entry
of DIR -- this corpus, or any folder of files -- and checks the invariants that hold for every
input: exit 2 with one stderr line naming the file and no package, or exit 0/1 with a package that
validates; never a traceback, never a timeout; peak RSS reported. Where DIR has an
``expected.json`` the expected outcome is checked too. Exit 0 when every entry passed.
tests/test_hostile.py runs the same checks in the test suite.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import shutil
import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "fixtures"))
import make_fixtures as mf  # noqa: E402  (the fixtures' drawing code, not a package)

EXPECTED = "expected.json"
FIGURE_HEIGHT = 560           # px: a figure big enough to pass the resolution floor
CANVAS = (420, 640)           # (w, h) of the single-figure images
BOMB_SIDE = 60_000            # a header-only PNG bomb's sides
REAL_BOMB_SIDE = 30_000       # a fully encoded 1-bit PNG bomb's sides (900 MP, ~120 KB)
SPECKS = 4_000                # random dots on a white page
TINY_FIGURES = (15, 10)       # cols, rows of a grid of tiny figures
TINY_FIGURE_PX = 48


@dataclass
class Case:
    name: str                  # file name inside OUT_DIR (str; may hold surrogates for non-UTF-8 bytes)
    expect: str                # "reject" or "package"
    reason: str = ""           # a word the one-line error must contain (reject only)
    note: str = ""
    make: object = None        # Pictures -> the file's bytes; None for the special entries below
    special: str = ""          # "fifo", "folder", "dangling_link", "loop_link"
    package: str = ""          # the package folder's name it must get, where that is the point

    def entry(self) -> dict:
        out = {"expect": self.expect, "note": self.note}
        if self.reason:
            out["reason"] = self.reason
        if self.package:
            out["package"] = self.package
        return out


# ---------------------------------------------------------------- pictures
def figure_rgba(view: str = "front", height: int = FIGURE_HEIGHT, size=CANVAS) -> Image.Image:
    """One drawn figure, feet near the bottom, on a transparent canvas."""
    sprite = mf.render_figure(view, height)
    w, h = sprite.size
    cw, ch = size
    x, y = round(cw / 2 - sprite.axis_x), ch - 40 - round(sprite.sole_y)
    rgba = np.zeros((ch, cw, 4))
    rgba[y:y + h, x:x + w, :3] = sprite.rgb
    rgba[y:y + h, x:x + w, 3] = sprite.alpha * 255
    return Image.fromarray(np.round(rgba).astype(np.uint8), "RGBA")


def on_white(rgba: Image.Image) -> Image.Image:
    return mf.on_white(rgba)


def encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kw)
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_header_only(width: int, height: int, bit_depth: int = 8, colour_type: int = 2) -> bytes:
    """A PNG whose header claims width x height, with a few bytes of pixel data: tiny on disk."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def png_real_bomb(side: int) -> bytes:
    """A complete, valid 1-bit PNG of side x side white pixels, compressed by streaming."""
    row = b"\x00" + b"\xff" * math.ceil(side / 8)
    compressor = zlib.compressobj(9)
    parts = []
    block = row * 256
    for _ in range(side // 256):
        parts.append(compressor.compress(block))
    parts.append(compressor.compress(row * (side % 256)))
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", b"".join(parts)) + png_chunk(b"IEND", b"")


def jpeg_with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The JPEG with its frame header (SOF0/SOF2) patched to claim another size."""
    data = bytearray(jpeg)
    i = 2
    while i < len(data) - 9:
        if data[i] != 0xFF:
            break
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            data[i + 5:i + 9] = struct.pack(">HH", height, width)
            return bytes(data)
        i += 2 + length
    raise ValueError("no frame header found")


def gif_with_screen(gif: bytes, width: int, height: int) -> bytes:
    return gif[:6] + struct.pack("<HH", width, height) + gif[10:]


def bmp_with_size(bmp: bytes, width: int, height: int) -> bytes:
    return bmp[:18] + struct.pack("<ii", width, height) + bmp[26:]


def text_image(size=(400, 160)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=48) if hasattr(ImageFont, "load_default") else None
    draw.text((30, 40), "HERO", fill=(20, 20, 20), font=font)
    return image


def specks(rng: np.random.Generator, size=(1200, 900), count=SPECKS) -> Image.Image:
    page = np.full((size[1], size[0], 3), 255, np.uint8)
    ys, xs = rng.integers(0, size[1], count), rng.integers(0, size[0], count)
    page[ys, xs] = 0
    return Image.fromarray(page)


def tiny_figures_grid() -> Image.Image:
    cols, rows = TINY_FIGURES
    sprite = mf.render_figure("front", TINY_FIGURE_PX)
    w, h = sprite.size
    cell_w, cell_h = w + 14, h + 14
    page = np.full((rows * cell_h, cols * cell_w, 3), 255.0)
    for r in range(rows):
        for c in range(cols):
            y, x = r * cell_h + 7, c * cell_w + 7
            a = sprite.alpha[..., None]
            region = page[y:y + h, x:x + w]
            page[y:y + h, x:x + w] = region * (1 - a) + sprite.rgb * a
    return Image.fromarray(np.round(page).astype(np.uint8))


def exif_rotated(image: Image.Image, orientation: int) -> bytes:
    """The image stored so that applying EXIF ``orientation`` shows it upright."""
    inverse = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
               4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
               6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
               8: Image.Transpose.ROTATE_270}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(image.transpose(inverse), "JPEG", quality=92, exif=exif.tobytes())


def broken_exif_jpeg(jpeg: bytes) -> bytes:
    """An APP1 'Exif' segment holding garbage after the JPEG's start marker."""
    body = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff" + b"\xde\xad\xbe\xef" * 8
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


def apng(frames: list[Image.Image]) -> bytes:
    return encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=400, loop=0)


# ---------------------------------------------------------------- the cases
class Pictures:
    """The base pictures the cases are made from, drawn on first use and kept."""

    def __init__(self, seed: int = 8):
        self.seed = seed
        self._cache: dict[str, object] = {}

    def _get(self, key, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @property
    def rng(self) -> np.random.Generator:
        return self._get("rng", lambda: np.random.default_rng(self.seed))

    @property
    def rgba(self) -> Image.Image:
        return self._get("rgba", figure_rgba)

    @property
    def rgb(self) -> Image.Image:
        return self._get("rgb", lambda: on_white(self.rgba))

    @property
    def side(self) -> Image.Image:
        return self._get("side", lambda: on_white(figure_rgba("side_right")))

    @property
    def grey(self) -> Image.Image:
        return self._get("grey", lambda: self.rgb.convert("L"))

    def encoded(self, fmt: str) -> bytes:
        options = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}}.get(fmt, {})
        source = self.rgb.quantize(64) if fmt == "GIF" else self.rgb
        return self._get(f"encoded-{fmt}", lambda: encode(source, fmt, **options))

    @property
    def png(self) -> bytes:
        return self.encoded("PNG")

    @property
    def encoded_rgba(self) -> bytes:
        return self._get("encoded-rgba", lambda: encode(self.rgba, "PNG"))

    @property
    def jpeg(self) -> bytes:
        return self.encoded("JPEG")

    @property
    def grey16(self) -> np.ndarray:
        return np.asarray(self.grey).astype(np.uint16) * 257

    @property
    def rgb16(self) -> np.ndarray:
        return np.asarray(self.rgb).astype(">u2") * 257


def _cut(fmt: str, share: float):
    def make(p: Pictures) -> bytes:
        data = p.encoded(fmt)
        return data[:int(len(data) * share)]
    return make


def cases() -> list[Case]:
    """Every case, cheap to list: the bytes are made by ``case.make(Pictures())``."""
    C = Case
    return [
        # --- not images, or not whole ones: exit 2
        C("empty.png", "reject", "empty", "zero bytes", lambda p: b""),
        C("text_renamed.png", "reject", "not an image", "a text file named .png", lambda p: b"Not an image.\nJust text.\n"),
        C("html_renamed.jpg", "reject", "not an image", "an HTML page saved as .jpg",
          lambda p: b"<!DOCTYPE html><html><body><img src='hero.jpg'></body></html>\n"),
        C("png_signature_only.png", "reject", "damaged", "the 8-byte PNG signature", lambda p: p.png[:8]),
        C("png_header_cut.png", "reject", "damaged", "cut inside the header chunk", lambda p: p.png[:20]),
        C("png_cut_at_10pct.png", "reject", "damaged", "cut at 10%", _cut("PNG", 0.1)),
        C("png_cut_at_half.png", "reject", "damaged", "cut at half", _cut("PNG", 0.5)),
        C("png_cut_at_90pct.png", "reject", "damaged", "cut at 90%", _cut("PNG", 0.9)),
        C("png_flipped_byte.png", "reject", "damaged", "one byte of the pixel data flipped", _flipped),
        C("jpeg_soi_only.jpg", "reject", "damaged", "only the JPEG start marker", lambda p: p.jpeg[:2]),
        C("jpeg_cut_at_10pct.jpg", "reject", "damaged", "cut at 10%", _cut("JPEG", 0.1)),
        C("jpeg_cut_at_half.jpg", "reject", "damaged", "cut at half", _cut("JPEG", 0.5)),
        C("gif_cut_at_half.gif", "reject", "damaged", "cut at half", _cut("GIF", 0.5)),
        C("webp_cut_at_half.webp", "reject", "damaged", "cut at half", _cut("WEBP", 0.5)),
        C("tiff_cut_at_half.tif", "reject", "damaged", "cut at half", _cut("TIFF", 0.5)),
        C("bmp_cut_at_half.bmp", "reject", "damaged", "cut at half", _cut("BMP", 0.5)),
        C("png_zero_width.png", "reject", "damaged", "a header claiming 0 x 100 pixels", lambda p: png_header_only(0, 100)),
        # --- decompression bombs: exit 2 before any pixel is decoded
        C("bomb_png_60000x60000.png", "reject", "too large", "header-only, a few hundred bytes",
          lambda p: png_header_only(BOMB_SIDE, BOMB_SIDE)),
        C("bomb_png_30000x30000_real.png", "reject", "too large", "a complete 1-bit PNG, 900 MP in ~120 KB",
          lambda p: png_real_bomb(REAL_BOMB_SIDE)),
        C("bomb_png_12000x9000.png", "reject", "too large", "108 MP: just over refprep's 100 MP limit",
          lambda p: png_header_only(12_000, 9_000)),
        C("bomb_jpeg_65000x65000.jpg", "reject", "too large", "a JPEG whose frame header claims 65000 px",
          lambda p: jpeg_with_size(p.jpeg, 65_000, 65_000)),
        C("bomb_gif_65535x65535.gif", "reject", "too large", "a GIF whose screen is 65535 px",
          lambda p: gif_with_screen(p.encoded("GIF"), 65_535, 65_535)),
        C("bomb_bmp_50000x50000.bmp", "reject", "too large", "a BMP header claiming 50000 px",
          lambda p: bmp_with_size(p.encoded("BMP"), 50_000, 50_000)),
        # --- formats refprep does not take (Pillow reads some of them): exit 2
        C("portable_pixmap.png", "reject", "unsupported", "a PPM named .png", lambda p: encode(p.rgb, "PPM")),
        C("icon.ico", "reject", "unsupported", "a Windows icon", lambda p: encode(p.rgb.resize((64, 64)), "ICO")),
        C("drawing.pdf", "reject", "not an image", "a PDF", lambda p: encode(p.rgb, "PDF")),
        C("layered.psd", "reject", "not an image", "a PSD header and nothing else",
          lambda p: b"8BPS\x00\x01" + b"\x00" * 6 + b"\x00\x03" + struct.pack(">II", 64, 64) + b"\x00\x08\x00\x03"),
        C("vector.svg", "reject", "not an image", "an SVG file",
          lambda p: b"<svg xmlns='http://www.w3.org/2000/svg' width='64' height='64'><circle r='20'/></svg>"),
        # --- not files: exit 2, and never a hang
        C("pipe.png", "reject", "not a regular file", "a FIFO nobody writes to (reading it would block)",
          special="fifo"),
        C("dangling_link.png", "reject", "no such file", "a symlink to nothing", special="dangling_link"),
        C("loop_link.png", "reject", "no such file", "a symlink to itself", special="loop_link"),
        C("empty_folder.png", "reject", "no images", "a folder with an image's name", special="folder"),

        # --- odd but real images: a package (exit 0 or 1)
        C("png_cut_in_checksum.png", "package", note="the last 20 bytes (zlib checksum, CRC, IEND) missing: "
          "every pixel is there", make=lambda p: p.png[:-20]),
        C("real_jpeg_named.png", "package", note="a JPEG with a .png name", make=lambda p: p.jpeg),
        C("real_png_named.jpg", "package", note="a PNG with a .jpg name", make=lambda p: p.png),
        C("real_webp_named.gif", "package", note="a WebP with a .gif name", make=lambda p: p.encoded("WEBP")),
        C("no_extension", "package", note="a PNG with no extension", make=lambda p: p.png),
        C("UPPER.PNG", "package", note="upper-case extension", make=lambda p: p.png),
        C("double.png.jpg", "package", note="two extensions", make=lambda p: p.jpeg),
        C("cmyk.jpg", "package", note="CMYK JPEG from a print workflow",
          make=lambda p: encode(p.rgb.convert("CMYK"), "JPEG", quality=90)),
        C("progressive.jpg", "package", note="progressive JPEG",
          make=lambda p: encode(p.rgb, "JPEG", quality=90, progressive=True)),
        C("grey16.tif", "package", note="16-bit grey TIFF", make=lambda p: encode(Image.fromarray(p.grey16), "TIFF")),
        C("grey16.png", "package", note="16-bit grey PNG", make=lambda p: encode(Image.fromarray(p.grey16), "PNG")),
        C("rgb16.tif", "package", note="16-bit RGB TIFF (48 bits a pixel)", make=lambda p: _tiff_rgb16(p.rgb16)),
        C("rgb16.png", "package", note="16-bit RGB PNG (48 bits a pixel)", make=lambda p: _png_rgb16(p.rgb16)),
        C("int32.tif", "package", note="32-bit integer grey TIFF",
          make=lambda p: encode(Image.fromarray(np.asarray(p.grey).astype(np.int32) * 1000), "TIFF")),
        C("float_0_1.tif", "package", note="32-bit float grey TIFF, values 0..1",
          make=lambda p: encode(Image.fromarray(np.asarray(p.grey).astype(np.float32) / 255), "TIFF")),
        C("float_nan.tif", "package", note="float TIFF with NaN and infinity pixels",
          make=lambda p: encode(Image.fromarray(_with_nans(np.asarray(p.grey).astype(np.float32) / 255)), "TIFF")),
        C("lab.tif", "package", note="CIELAB TIFF", make=lambda p: encode(_lab(p.rgb), "TIFF")),
        C("animated.gif", "package", note="two-frame animated GIF (first frame used)",
          make=lambda p: encode(p.rgb.quantize(64), "GIF", save_all=True, append_images=[p.side.quantize(64)],
                                duration=400, loop=0)),
        C("animated.webp", "package", note="two-frame animated WebP",
          make=lambda p: encode(p.rgb, "WEBP", save_all=True, append_images=[p.side], duration=400, loop=0, quality=90)),
        C("animated.png", "package", note="two-frame APNG", make=lambda p: apng([p.rgb, p.side])),
        C("multipage.tif", "package", note="two-page TIFF",
          make=lambda p: encode(p.rgb, "TIFF", save_all=True, append_images=[p.side])),
        C("palette.png", "package", note="palette (P) PNG", make=lambda p: encode(p.rgb.quantize(200), "PNG")),
        C("palette_transparent.png", "package", note="palette PNG with a transparent index",
          make=lambda p: encode(mf.palette_with_transparency(p.rgba), "PNG")),
        C("grey_alpha.png", "package", note="LA PNG", make=lambda p: encode(p.rgba.convert("LA"), "PNG")),
        C("grey_colour_key.png", "package", note="L PNG with a tRNS colour key (white is transparent)",
          make=lambda p: encode(p.grey, "PNG", transparency=255)),
        C("rgb_colour_key.png", "package", note="RGB PNG with a tRNS colour key (white is transparent)",
          make=lambda p: encode(p.rgb, "PNG", transparency=(255, 255, 255))),
        C("garbage_under_alpha.png", "package", note="RGBA PNG, random colours under the transparent pixels",
          make=lambda p: encode(_garbage_under_alpha(p.rgba, p.rng), "PNG")),
        C("bilevel.png", "package", note="1-bit PNG",
          make=lambda p: encode(p.grey.point(lambda v: 255 if v > 160 else 0).convert("1"), "PNG")),
        C("bilevel.tif", "package", note="1-bit TIFF, CCITT G4",
          make=lambda p: encode(p.grey.convert("1"), "TIFF", compression="group4")),
        C("palette.bmp", "package", note="palette BMP", make=lambda p: encode(p.rgb.quantize(200), "BMP")),
        C("tiff_jpeg.tif", "package", note="JPEG-compressed TIFF", make=lambda p: encode(p.rgb, "TIFF", compression="jpeg")),
        C("jpeg_broken_exif.jpg", "package", note="a garbage EXIF block", make=lambda p: broken_exif_jpeg(p.jpeg)),
        C("jpeg_exif_orientation_99.jpg", "package", note="an EXIF orientation out of range",
          make=lambda p: _exif_value(p.rgb, 99)),
        *[C(f"exif_orientation_{o}.jpg", "package", note=f"EXIF orientation {o}",
            make=lambda p, o=o: exif_rotated(p.rgb, o)) for o in range(2, 9)],
        C("one_pixel.png", "package", note="1x1", make=lambda p: encode(Image.new("RGB", (1, 1), (200, 30, 30)), "PNG")),
        C("two_by_two.png", "package", note="2x2", make=lambda p: encode(Image.new("RGB", (2, 2), (200, 30, 30)), "PNG")),
        C("six_by_six.png", "package", note="6x6 with a dark centre", make=lambda p: encode(_six_by_six(), "PNG")),
        C("strip_1x3000.png", "package", note="one pixel wide", make=lambda p: encode(Image.new("RGB", (1, 3000), "gray"), "PNG")),
        C("strip_3000x1.png", "package", note="one pixel high", make=lambda p: encode(Image.new("RGB", (3000, 1), "gray"), "PNG")),
        C("fully_transparent.png", "package", note="RGBA, alpha 0 everywhere",
          make=lambda p: encode(Image.new("RGBA", (400, 600), (0, 0, 0, 0)), "PNG")),
        C("fully_white.png", "package", note="plain white", make=lambda p: encode(Image.new("RGB", (400, 600), "white"), "PNG")),
        C("fully_black.jpg", "package", note="plain black", make=lambda p: encode(Image.new("RGB", (400, 600), "black"), "JPEG")),
        C("only_text.png", "package", note="a caption and nothing else", make=lambda p: encode(text_image(), "PNG")),
        C("only_noise.png", "package", note="uniform random noise",
          make=lambda p: encode(Image.fromarray(p.rng.integers(0, 256, (500, 400, 3), dtype=np.uint8)), "PNG")),
        C("specks.png", "package", note=f"{SPECKS} single black pixels on white", make=lambda p: encode(specks(p.rng), "PNG")),
        C("tiny_figures.png", "reject", "too many", note=f"a grid of {TINY_FIGURES[0] * TINY_FIGURES[1]} figures "
          f"{TINY_FIGURE_PX} px tall: more views than refprep takes from one image",
          make=lambda p: encode(tiny_figures_grid(), "PNG")),
        # --- awkward names, real images: a package, named safely
        # (a figure on a transparent backdrop: its alpha is the matte, so these build fast)
        *[C(name, "package", note=note, make=lambda p: p.encoded_rgba, package=package)
          for name, package, note in AWKWARD_NAMES],
    ]


AWKWARD_NAMES = (  # file name, the package name it gives, what is awkward about it
    ("my hero front.png", "my hero front", "spaces"),
    ("角色 正面.png", "角色 正面", "CJK"),
    ("персонаж.png", "персонаж", "Cyrillic"),
    ("شخصية.png", "شخصية", "Arabic, right to left"),
    ("hero 🙂.png", "hero 🙂", "emoji"),
    ("नायक.png", "नायक", "Devanagari (vowel signs are combining marks)"),
    ("what?*<>|\"'.png", "what_", "characters Windows forbids, quotes"),
    ("C:\\Users\\evil.png", "C_Users_evil", "a Windows path in the name"),
    ("he\u0301ros.png", "h\u00e9ros", "decomposed accent (e + combining acute), stored composed (NFC)"),
    ("line\nbreak.png", "line_break", "a newline in the name"),
    ("tab\tand\x1b[31mesc.png", "tab_and_31mesc", "a tab and a terminal escape in the name"),
    ("bidi\u202egnp.exe.png", "bidi_gnp.exe", "a right-to-left override in the name"),
    ("CON.png", "_CON", "a reserved Windows device name"),
    ("nul.jpg", "_nul", "a reserved Windows device name, lower case (and PNG data)"),
    ("com1.backup.png", "_com1.backup", "a reserved name with an extension is still reserved"),
    ("..png", "package", "a stem of one dot"),
    (".hidden.png", "hidden", "a hidden file's name"),
    ("-dash.png", "-dash", "starts with a dash"),
    ("a" * 240 + ".png", "a" * 200, "a 244-character name: cut to 200 bytes"),
    ("字" * 80 + ".png", "字" * 66, "80 CJK characters (240 bytes): cut to 66 (198 bytes)"),
    (os.fsdecode(b"latin1-\xe9t\xe9.png"), "latin1-_t_", "bytes that are not UTF-8 (Latin-1 accents)"),
)


def _flipped(p: Pictures) -> bytes:
    data, middle = p.png, len(p.png) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]


def _tiff_rgb16(rgb16: np.ndarray) -> bytes:
    """A minimal uncompressed big-endian 16-bit RGB TIFF (Pillow cannot write one)."""
    h, w, _ = rgb16.shape
    pixels = rgb16.astype(">u2").tobytes()
    entries = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 3, None), (259, 3, 1, 1), (262, 3, 1, 2),
               (273, 4, 1, None), (277, 3, 1, 3), (278, 4, 1, h), (279, 4, 1, len(pixels)), (284, 3, 1, 1)]
    ifd_offset = 8
    ifd_size = 2 + 12 * len(entries) + 4
    bits_offset = ifd_offset + ifd_size
    data_offset = bits_offset + 6
    body = b""
    for tag, kind, count, value in entries:
        if tag == 258:
            body += struct.pack(">HHII", tag, kind, count, bits_offset)
        elif tag == 273:
            body += struct.pack(">HHII", tag, kind, count, data_offset)
        elif kind == 3:
            body += struct.pack(">HHIHH", tag, kind, count, value, 0)
        else:
            body += struct.pack(">HHII", tag, kind, count, value)
    return (b"MM\x00\x2a" + struct.pack(">I", ifd_offset) + struct.pack(">H", len(entries)) + body
            + struct.pack(">I", 0) + struct.pack(">HHH", 16, 16, 16) + pixels)


def _png_rgb16(rgb16: np.ndarray) -> bytes:
    h, w, _ = rgb16.shape
    raw = b"".join(b"\x00" + rgb16[y].astype(">u2").tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")


def _with_nans(values: np.ndarray) -> np.ndarray:
    values = values.copy()
    values[:5, :5] = np.nan
    values[-5:, -5:] = np.inf
    values[:5, -5:] = -np.inf
    return values


def _lab(rgb: Image.Image) -> Image.Image:
    from PIL import ImageCms

    transform = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB")
    return ImageCms.applyTransform(rgb, transform)


def _garbage_under_alpha(rgba: Image.Image, rng: np.random.Generator) -> Image.Image:
    pixels = np.asarray(rgba).copy()
    clear = pixels[..., 3] == 0
    pixels[clear, :3] = rng.integers(0, 256, (int(clear.sum()), 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGBA")


def _exif_value(image: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(image, "JPEG", quality=90, exif=exif.tobytes())


def _six_by_six() -> Image.Image:
    pixels = np.full((6, 6, 3), 255, np.uint8)
    pixels[2:4, 2:4] = 20
    return Image.fromarray(pixels)


def write_corpus(out_dir: str | Path, seed: int = 8) -> dict[str, dict]:
    """Write every case into ``out_dir`` (created) and expected.json; return the expectations."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pictures = Pictures(seed)
    expected = {}
    for case in cases():
        path = out_dir / case.name
        if os.path.lexists(path):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        if case.special == "fifo":
            os.mkfifo(path)
        elif case.special == "folder":
            path.mkdir()
        elif case.special == "dangling_link":
            path.symlink_to(out_dir / "no-such-target.png")
        elif case.special == "loop_link":
            path.symlink_to(path.name)
        else:
            path.write_bytes(case.make(pictures))
        expected[case.name] = case.entry()
    (out_dir / EXPECTED).write_text(json.dumps(expected, indent=2, ensure_ascii=True) + "\n")
    return expected


# ---------------------------------------------------------------- the runner
def check_outcome(name: str, returncode: int, stderr: str, out_dir: Path, validate, expected: dict | None) -> list[str]:
    """The invariants every input must meet, then the expected outcome if there is one; returns
    what is wrong (empty when all is well). ``validate(package_dir)`` returns (returncode, problems)."""
    wrong = []
    if "Traceback" in stderr:
        wrong.append("printed a traceback")
    if "internal error" in stderr:
        wrong.append("reported an internal error")
    packages = [p for p in out_dir.iterdir()] if out_dir.is_dir() else []
    visible = [p for p in packages if not p.name.startswith(".")]
    hidden = [p for p in packages if p.name.startswith(".")]
    if hidden:
        wrong.append(f"left temporary entries {[p.name for p in hidden]}")
    if returncode == 2:
        lines = stderr.strip().splitlines()
        if len(lines) != 1:
            wrong.append(f"exit 2 with {len(lines)} stderr lines, not one: {lines[:4]}")
        elif not _names_file(lines[0], name):
            wrong.append(f"the error line does not name the file: {lines[0]!r}")
        if visible:
            wrong.append(f"exit 2 but wrote {[p.name for p in visible]}")
    elif returncode in (0, 1):
        if len(visible) != 1 or not visible[0].is_dir():
            wrong.append(f"exit {returncode} but the output folder holds {[p.name for p in visible]}")
        else:
            package = visible[0]
            if package.resolve().parent != out_dir.resolve():
                wrong.append(f"the package escaped the output folder: {package}")
            code, problems, build_problems = validate(package)
            if code != returncode:
                wrong.append(f"build exited {returncode} but validate exited {code}: {problems}")
            elif problems != build_problems:
                wrong.append(f"validate found problems the build did not report: "
                             f"{sorted(set(problems) - set(build_problems))}")
    else:
        wrong.append(f"exit {returncode} (want 0, 1 or 2); stderr: {stderr.strip()[-300:]!r}")
    if expected is not None:
        if expected["expect"] == "reject":
            if returncode != 2:
                wrong.append(f"expected exit 2 ({expected.get('reason')}), got {returncode}")
            elif expected.get("reason", "").lower() not in stderr.lower():
                wrong.append(f"expected the reason to say {expected['reason']!r}: {stderr.strip()!r}")
        elif returncode not in (0, 1):
            wrong.append(f"expected a package, got exit {returncode}: {stderr.strip()!r}")
        elif expected.get("package") and [p.name for p in visible] != [expected["package"]]:
            wrong.append(f"expected the package to be named {expected['package']!r}: {[p.name for p in visible]}")
    return wrong


def _names_file(line: str, name: str) -> bool:
    """Whether an error line names the file: its name as refprep prints it (control characters
    and undecodable bytes escaped)."""
    from refprep.errors import printable

    return printable(name) in line or name in line


def run_measured(args: list[str], timeout: float, **popen) -> tuple[int | None, str, str, float]:
    """Run a command; return (exit code or None on timeout, stdout, stderr, peak RSS in MB of
    that process alone). The process is killed at ``timeout``.

    The peak is the kernel's high-water mark (VmHWM in /proc/PID/status), read every 10 ms
    until the process exits; ru_maxrss cannot be used, as a child forked from a large parent
    (a test run with models loaded) inherits the parent's size in it. NaN where there is no
    /proc (not Linux)."""
    import subprocess
    import threading
    import time

    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)
    streams, peak = {}, [float("nan")]

    def drain(name, pipe):
        streams[name] = pipe.read()
        pipe.close()

    def watch():
        status = Path(f"/proc/{proc.pid}/status")
        while proc.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        kib = float(line.split()[1])
                        peak[0] = kib / 1024 if peak[0] != peak[0] else max(peak[0], kib / 1024)
            except (OSError, ValueError):
                pass
            time.sleep(0.01)

    threads = [threading.Thread(target=drain, args=(name, pipe), daemon=True)
               for name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr))]
    threads.append(threading.Thread(target=watch, daemon=True))
    for thread in threads:
        thread.start()
    try:
        proc.wait(timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        timed_out = True
    for thread in threads:
        thread.join()
    decode = lambda data: data.decode("utf-8", "replace")  # noqa: E731
    return (None if timed_out else proc.returncode), decode(streams["stdout"]), decode(streams["stderr"]), peak[0]


def run_corpus(corpus: Path, timeout: float = 120.0, as_json: bool = False) -> int:
    import tempfile
    import time

    expectations = {}
    if (corpus / EXPECTED).is_file():
        expectations = json.loads((corpus / EXPECTED).read_text())
    entries = sorted(p for p in corpus.iterdir() if p.name != EXPECTED)
    results = []
    for entry in entries:
        with tempfile.TemporaryDirectory() as scratch:
            out_dir = Path(scratch) / "out"
            start = time.perf_counter()
            code, _, stderr, peak_mb = run_measured(
                [sys.executable, "-m", "refprep", "build", "-q", "-o", str(out_dir), "--", str(entry)], timeout)
            seconds = time.perf_counter() - start
            expected = expectations.get(entry.name)
            if code is None:
                wrong = [f"no result after {timeout:.0f} s"]
            else:
                wrong = check_outcome(entry.name, code, stderr, out_dir, _validate_subprocess, expected)
            results.append({"file": entry.name, "exit": code, "seconds": round(seconds, 2),
                            "peak_rss_mb": round(peak_mb), "ok": not wrong, "wrong": wrong,
                            "stderr": stderr.strip().splitlines()[-1:] if stderr.strip() else []})
    failed = [r for r in results if not r["ok"]]
    peak = max((r["peak_rss_mb"] for r in results), default=0)
    if as_json:
        print(json.dumps({"results": results, "failed": len(failed), "total": len(results),
                          "peak_rss_mb": peak}, indent=2))
    else:
        for r in results:
            flag = "ok  " if r["ok"] else "FAIL"
            print(f"{flag} exit {r['exit']!s:>4} {r['seconds']:6.2f}s {r['peak_rss_mb']:5d} MB  "
                  f"{ascii(r['file'])[:60]:<62} {(r['stderr'] or [''])[0][:90]}")
            for problem in r["wrong"]:
                print(f"       - {problem}")
        print(f"{len(results) - len(failed)} passed, {len(failed)} failed  (largest peak RSS of a run: {peak} MB)")
    return 1 if failed else 0


def _validate_subprocess(package: Path):
    import subprocess

    run = subprocess.run([sys.executable, "-m", "refprep", "validate", "--json", str(package)],
                         capture_output=True, text=True, timeout=120)
    report = json.loads(run.stdout) if run.stdout.strip() else {"problems": [run.stderr.strip()]}
    manifest = json.loads((package / "manifest.json").read_text())
    return run.returncode, report.get("problems", []), manifest.get("problems", [])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="where to write the corpus (or, with --run, the folder to run on)")
    parser.add_argument("--run", action="store_true", help="run refprep build on every entry and check the outcome")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed for one build (--run)")
    parser.add_argument("--json", action="store_true", help="one JSON document (--run)")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    if args.run:
        return run_corpus(Path(args.folder), args.timeout, args.json)
    expected = write_corpus(args.folder, args.seed)
    print(f"wrote {len(expected)} cases to {args.folder} ({EXPECTED} says what each must get)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
