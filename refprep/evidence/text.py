"""Printed text on a sheet, and the view a caption names ("FRONT VIEW", "3/4 BACK", 側面...).

Two bundled PP-OCRv6 small models (see ``refprep.models``), run directly under ONNX
Runtime with PaddleOCR's pre- and post-processing redone here (the ``rapidocr`` package is
not used: it would pull a second OpenCV):

* the DB text detector: the image (BGR, as PaddleOCR reads it) scaled so its long side is at
  most ``max_side`` with both sides multiples of 32, normalised with the ImageNet mean and
  std; its probability map is thresholded, each connected region becomes a minimum-area
  rectangle, is kept when the map's mean inside it is high enough, and is grown back by the
  DB "unclip" offset (the model is trained on shrunken text kernels);
* the CTC text recogniser: each line cropped upright from the full-resolution image, 48 px
  high, its width following its aspect, pixel values in [-1, 1]; greedy CTC decoding over the
  character list stored in the model's ONNX metadata (index 0 is the CTC blank, and
  PaddleOCR appends a space as the last class).

``view_label`` maps a caption to a coarse view ("front", "three_quarter", "side", "back")
and keeps any "left"/"right" as a separate hint: sheets use those words both for the side
of the character shown (a "LEFT PROFILE" shows its left cheek, nose to the image right) and
for the direction faced or even the panel's position, so only image evidence can decide.
Matching is exact, word by word after normalisation: garbled AI lettering ("FRNOT VEIW")
names nothing.

OpenCV and ONNX Runtime are imported on first use so importing this module stays cheap.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# PaddleOCR's DB detector normalisation (ImageNet statistics, applied to B, G, R in that
# order: PaddleOCR reads images with cv2 and never swaps channels).
_DET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_DET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_REC_HEIGHT = 48  # the recogniser's fixed input height


@dataclass(frozen=True)
class TextLine:
    text: str
    box: tuple[int, int, int, int]  # x, y, w, h in the input image's pixels
    score: float  # recognition confidence 0..1 (mean of the kept CTC steps' probabilities)


def _session(model_name: str, threads: int):
    """An ONNX Runtime CPU session for a bundled model with at most ``threads`` threads."""
    import onnxruntime as ort

    from ..errors import ModelError
    from ..models import bundled_model_path, onnx_session_options

    path = bundled_model_path(model_name)
    try:
        return ort.InferenceSession(str(path), sess_options=onnx_session_options(threads),
                                    providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own error types
        raise ModelError(f"model file unusable: {path} ({exc})") from None


class TextReader:
    """PP-OCRv6 small text detection + recognition; sessions load on first use.

    Parameters
    ----------
    max_side : int
        Longest side of the image the detector sees. 1280 keeps a 3840x2160 sheet's 37 px
        captions at ~12 px, still read (960 read every devdata caption too, ~25% faster).
    threads : int
        ONNX Runtime intra-op threads per session; small so parallel workers don't
        oversubscribe the CPU.
    det_threshold : float
        Text probability above which a detector pixel is text (PaddleOCR's 0.3).
    box_threshold : float
        Mean probability inside a region below which it is dropped (PaddleOCR uses
        0.5-0.6; 0.5 keeps thin light captions).
    unclip_ratio : float
        How far DB kernels are grown back, as area x ratio / perimeter (PaddleOCR 1.5-2.0;
        1.6 as RapidOCR: whole glyphs without swallowing the neighbouring line).
    min_score : float
        Recognition confidence below which a line is not reported (PaddleOCR's text_score
        0.5): below it the strings are mostly texture read as letters.
    min_box_side : int
        Shortest side, in detector pixels, of a region worth reading (PaddleOCR's 3).
    max_line_height : float
        On images whose short side is at least 256 detector pixels, regions thicker than
        this fraction of the long side are skipped: they are figures or textures the
        detector fired on (devdata: 0.25-0.45), never lines (titles reach ~0.1).
    max_lines : int
        Most regions recognised, largest first; each line costs ~40 ms of one core.
    batch_size : int
        Lines recognised per model call (sorted by aspect, padded to the widest); batching
        saves little on a CPU, so this mostly bounds memory.
    min_rec_width : int
        Recogniser input width lines are padded to at least. PaddleOCR's 320: narrower
        inputs are faster but turned 横 into 橫 and 参 into 參 on devdata.
    """

    def __init__(self, max_side: int = 1280, *, threads: int = 2, det_threshold: float = 0.3,
                 box_threshold: float = 0.5, unclip_ratio: float = 1.6, min_score: float = 0.5,
                 min_box_side: int = 3, max_line_height: float = 0.25, max_lines: int = 200,
                 batch_size: int = 8, min_rec_width: int = 320):
        self.max_side = max_side
        self.threads = threads
        self.det_threshold = det_threshold
        self.box_threshold = box_threshold
        self.unclip_ratio = unclip_ratio
        self.min_score = min_score
        self.min_box_side = min_box_side
        self.max_line_height = max_line_height
        self.max_lines = max_lines
        self.min_rec_width = min_rec_width
        self.batch_size = batch_size
        self._det = None
        self._rec = None
        self._characters: list[str] | None = None

    # --- sessions --------------------------------------------------------------------------

    def _load_det(self):
        if self._det is None:
            self._det = _session("ppocr_det", self.threads)
        return self._det

    def _load_rec(self):
        if self._rec is None:
            session = _session("ppocr_rec", self.threads)
            listed = session.get_modelmeta().custom_metadata_map["character"].splitlines()
            self._characters = ["<blank>", *listed, " "]
            self._rec = session
        return self._rec

    def close(self) -> None:
        """Drop the sessions (they are rebuilt on next use); safe to call twice."""
        self._det = None
        self._rec = None
        self._characters = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- reading ---------------------------------------------------------------------------

    def read(self, rgb: np.ndarray, where=None) -> list[TextLine]:
        """Every text line in an HxWx3 uint8 RGB image, top to bottom then left to right.

        RGBA is composited on white (transparent pixels are often black underneath) and
        greyscale is accepted too. ``where``, given an (x, y, w, h) box, says whether text
        there matters: only those regions are recognised (recognition costs ~40 ms a line,
        and a dense sheet has 50).
        """
        bgr = _as_bgr(rgb)
        quads = self.detect(bgr)
        if where is not None:
            quads = [q for q in quads if where(_axis_box(q, bgr.shape))]
        if not quads:
            return []
        fill = _frame_colour(bgr)
        crops = [_upright_crop(bgr, quad, fill) for quad in quads]
        lines = []
        for quad, (text, score) in zip(quads, self.recognize(crops)):
            if score < self.min_score or not text.strip():
                continue
            lines.append(TextLine(text.strip(), _axis_box(quad, bgr.shape), float(score)))
        return _reading_order(lines)

    def detect(self, bgr: np.ndarray) -> list[np.ndarray]:
        """Text regions of a BGR uint8 image: (4, 2) float corner arrays in its pixels
        (top-left, top-right, bottom-right, bottom-left); they may run past its edges."""
        import cv2

        height, width = bgr.shape[:2]
        scale = min(1.0, self.max_side / max(height, width))
        # Sides in multiples of 32 (five stride-2 stages); tiny images are not shrunk to 0.
        det_h = max(32, int(round(height * scale / 32)) * 32)
        det_w = max(32, int(round(width * scale / 32)) * 32)
        small = cv2.resize(bgr, (det_w, det_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        # On a small image (a caption crop) DB finds nothing unless the text has about its
        # own height of surroundings: pad it, by whole strides so the grid stays aligned,
        # in the frame's own colour (replicating the edge would smear ink touching it).
        # Sheets need no border: text flush with their edge is found (tests/test_text.py).
        short = min(det_h, det_w)
        margin = 0 if short >= 256 else 32 * math.ceil(short / 32)
        if margin:
            small = cv2.copyMakeBorder(small, margin, margin, margin, margin, cv2.BORDER_CONSTANT,
                                       value=_frame_colour(small))
        # On a sheet, a "line" thicker than this is a figure or a texture read as text; a
        # small image may be a caption crop, all text.
        tallest = self.max_line_height * max(det_h, det_w) if short >= 256 else math.inf
        tensor = ((small.astype(np.float32) / 255.0 - _DET_MEAN) / _DET_STD).transpose(2, 0, 1)[None]
        session = self._load_det()
        prob = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(tensor)})[0][0, 0]

        mask = (prob > self.det_threshold).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        sx, sy = width / det_w, height / det_h
        found = []
        for contour in contours:
            (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
            if min(rw, rh) < self.min_box_side or min(rw, rh) > tallest:
                continue
            if _mean_inside(prob, cv2.boxPoints(((cx, cy), (rw, rh), angle))) < self.box_threshold:
                continue
            cx, cy = cx - margin, cy - margin  # into the unpadded detector image
            # DB's unclip: offset the kernel outwards by area * ratio / perimeter. For a
            # rectangle the minimum-area rectangle of the rounded offset polygon PaddleOCR
            # computes is the rectangle grown by that distance on every side.
            grow = rw * rh * self.unclip_ratio / (2.0 * (rw + rh))
            rw, rh = rw + 2 * grow, rh + 2 * grow
            if min(rw, rh) < self.min_box_side + 2:
                continue
            quad = cv2.boxPoints(((cx, cy), (rw, rh), angle)) * np.array([sx, sy], dtype=np.float32)
            # Not clipped to the image: a line flush with the edge is cropped with the frame's
            # colour beyond it, which the recogniser reads better than a cut-off crop.
            quad = _order_corners(quad)
            if min(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[0] - quad[3])) <= 3:
                continue
            found.append((rw * rh, quad))
        found.sort(key=lambda item: -item[0])
        return [quad for _, quad in found[:self.max_lines]]

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence of each upright BGR line crop (CTC greedy decoding)."""
        import cv2

        session = self._load_rec()
        input_name = session.get_inputs()[0].name
        results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        ratios = [crop.shape[1] / max(crop.shape[0], 1) for crop in crops]
        order = np.argsort(ratios)  # similar widths per batch: less padding to compute
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            # PaddleOCR pads every line to the widest in the batch, never narrower than 320.
            width = max(int(math.ceil(_REC_HEIGHT * max(ratios[i] for i in batch))), self.min_rec_width)
            tensor = np.zeros((len(batch), 3, _REC_HEIGHT, width), dtype=np.float32)
            for row, index in enumerate(batch):
                crop = crops[index]
                line_w = min(width, max(1, int(math.ceil(_REC_HEIGHT * ratios[index]))))
                resized = cv2.resize(crop, (line_w, _REC_HEIGHT), interpolation=cv2.INTER_LINEAR)
                tensor[row, :, :, :line_w] = (resized.astype(np.float32) / 255.0 - 0.5).transpose(2, 0, 1) / 0.5
            probs = session.run(None, {input_name: tensor})[0]
            for row, index in enumerate(batch):
                results[index] = self._ctc_decode(probs[row])
        return results

    def _ctc_decode(self, probs: np.ndarray) -> tuple[str, float]:
        """Greedy CTC: best class per step, repeats merged, blanks (class 0) dropped."""
        best = probs.argmax(axis=1)
        confidence = probs.max(axis=1)
        keep = best != 0
        keep[1:] &= best[1:] != best[:-1]
        if not keep.any():
            return "", 0.0
        characters = self._characters
        return "".join(characters[i] for i in best[keep]), float(confidence[keep].mean())


def _axis_box(quad: np.ndarray, shape) -> tuple[int, int, int, int]:
    """The (x, y, w, h) box of a corner array, clipped to an image of ``shape``."""
    height, width = shape[:2]
    x0, y0 = np.maximum(np.floor(quad.min(axis=0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(quad.max(axis=0)).astype(int), (width, height))
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """uint8 BGR from RGB, RGBA (composited on white) or greyscale."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    elif image.shape[2] == 4:
        alpha = image[..., 3:4].astype(np.float32) / 255.0
        image = (image[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    return np.ascontiguousarray(image[..., 2::-1])


def _mean_inside(prob: np.ndarray, quad: np.ndarray) -> float:
    """Mean of ``prob`` inside a quadrilateral (DB's "fast" box score)."""
    import cv2

    h, w = prob.shape
    x0 = int(np.clip(np.floor(quad[:, 0].min()), 0, w - 1))
    x1 = int(np.clip(np.ceil(quad[:, 0].max()), 0, w - 1))
    y0 = int(np.clip(np.floor(quad[:, 1].min()), 0, h - 1))
    y1 = int(np.clip(np.ceil(quad[:, 1].max()), 0, h - 1))
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), dtype=np.uint8)
    cv2.fillPoly(mask, [(quad - [x0, y0]).round().astype(np.int32)], 1)
    return float(cv2.mean(prob[y0:y1 + 1, x0:x1 + 1], mask)[0])


def _order_corners(quad: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left (PaddleOCR's order)."""
    by_x = quad[np.argsort(quad[:, 0], kind="stable")]
    left = by_x[:2][np.argsort(by_x[:2, 1], kind="stable")]
    right = by_x[2:][np.argsort(by_x[2:, 1], kind="stable")]
    return np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)


def _frame_colour(bgr: np.ndarray) -> tuple[float, float, float]:
    """Median colour of the image's outermost pixels: what lies beyond its edge."""
    frame = np.concatenate([bgr[0], bgr[-1], bgr[:, 0], bgr[:, -1]])
    return tuple(float(v) for v in np.median(frame, axis=0))


def _upright_crop(bgr: np.ndarray, quad: np.ndarray, fill=(255.0, 255.0, 255.0)) -> np.ndarray:
    """The line inside ``quad`` warped to an upright rectangle, ``fill`` beyond the image's
    edge; tall ones turned a quarter turn anticlockwise, as PaddleOCR does (vertical Latin
    is usually printed rotated)."""
    import cv2

    width = max(1, int(round(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))))
    height = max(1, int(round(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    crop = cv2.warpPerspective(bgr, matrix, (width, height), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    if height / width >= 1.5:
        crop = np.ascontiguousarray(np.rot90(crop))
    return crop


def _reading_order(lines: list[TextLine]) -> list[TextLine]:
    """Top to bottom; lines whose tops are within half a line height count as one row,
    read left to right."""
    lines = sorted(lines, key=lambda line: (line.box[1], line.box[0]))
    rows: list[list[TextLine]] = []
    for line in lines:
        if rows and line.box[1] - rows[-1][0].box[1] < 0.5 * max(rows[-1][0].box[3], 1):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda line: line.box[0])]


# --- captions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LabelMatch:
    coarse: str  # "front", "three_quarter", "side" or "back"
    side_word: str | None  # "left" / "right" printed with it (meaning unknown, see module doc), else None
    text: str  # the caption as matched: normalised words joined by spaces
    # Where the words are a SPEC class name ("side_left", refprep's own file names), the
    # direction the nose points in the image; None where left/right is ambiguous.
    facing: str | None = None


# Words a view caption is made of: word -> (coarse view or None, side word or None).
_VIEW_WORDS: dict[str, tuple[str | None, str | None]] = {
    # Latin (compared upper-case)
    "FRONT": ("front", None), "FRONTAL": ("front", None),
    "BACK": ("back", None), "REAR": ("back", None),
    "SIDE": ("side", None), "PROFILE": ("side", None),
    "3/4": ("three_quarter", None), "QUARTER": ("three_quarter", None),
    "LEFT": (None, "left"), "RIGHT": (None, "right"),
    # Chinese / Japanese
    "正面": ("front", None), "前面": ("front", None), "正视": ("front", None), "正視": ("front", None),
    "背面": ("back", None), "后面": ("back", None), "後ろ": ("back", None), "背后": ("back", None),
    "背後": ("back", None), "后视": ("back", None), "背视": ("back", None), "背視": ("back", None),
    "侧面": ("side", None), "側面": ("side", None), "横": ("side", None), "侧视": ("side", None),
    "側視": ("side", None), "横顔": ("side", None),
    "斜め": ("three_quarter", None), "斜": ("three_quarter", None), "半侧面": ("three_quarter", None),
    "半側面": ("three_quarter", None),
    "前视": ("front", None), "前視": ("front", None),
    "フロント": ("front", None), "バック": ("back", None), "サイド": ("side", None),
    "左": (None, "left"), "右": (None, "right"), "左侧": ("side", "left"), "右侧": ("side", "right"),
    "左側": ("side", "left"), "右側": ("side", "right"),
}
# Words that may accompany a view word without changing it ("HEADSHOT - FRONT VIEW",
# 正面図, 侧视图). A caption holding any other word names no view.
_FILLER_WORDS = frozenset({
    "VIEW", "VIEWS", "PORTRAIT", "HEADSHOT", "HEAD", "FACE", "FACING", "BODY", "FULL", "EXTREME",
    "ANGLE", "SHOT", "THREE", "CENTER", "CENTRE",
    "图", "圖", "図", "视图", "視図", "视角", "ビュー", "向き", "姿", "全身", "から", "の",
})
_SEPARATORS = re.compile(r"[\s()\[\]{}<>|:;,.·・、。!?\"'_~*#=+&-]+")
# A slash between words separates them; the one in "3/4" does not.
_WORD_SLASH = re.compile(r"(?<!3)/|/(?!4)")


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], int]:
    words = frozenset(_VIEW_WORDS) | _FILLER_WORDS
    return words, max(len(word) for word in words)


def _strip_latin_accent(char: str) -> str:
    """"Ç" -> "C": the recogniser sometimes hangs a mark on a Latin capital. Kana keep
    their voicing marks (ガ is not カ)."""
    base = unicodedata.normalize("NFKD", char)[0]
    return base if not char.isascii() and base.isascii() and base.isalpha() else char


def _normalise(text: str) -> str:
    """NFKC (full-width letters and digits, ¾), Latin accents dropped, one slash form,
    upper case, "3 / 4" -> "3/4"."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(map(_strip_latin_accent, text)).replace("\u2044", "/").replace("\u2215", "/")
    text = text.replace("\uff0f", "/").upper()
    return re.sub(r"3\s*/\s*4", "3/4", text)


def _segment(chunk: str, words: frozenset[str], longest: int) -> list[str] | None:
    """Split ``chunk`` into lexicon words exactly (no letter left over), or None.

    This accepts OCR that ran words together ("FRONTVIEW", 正面図) and nothing fuzzier.
    Latin words must not be glued to a Latin neighbour that is not itself a lexicon word,
    which the exact cover already guarantees.
    """
    best: list[list[str] | None] = [None] * (len(chunk) + 1)
    best[0] = []
    for end in range(1, len(chunk) + 1):
        for start in range(max(0, end - longest), end):
            if best[start] is not None and chunk[start:end] in words:
                candidate = best[start] + [chunk[start:end]]
                # Fewest pieces wins: "横顔" as one word rather than 横 + 顔.
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    return best[len(chunk)]


def view_label(text: str) -> LabelMatch | None:
    """The coarse view a printed caption names, or None when it names none.

    Parameters
    ----------
    text : str
        One caption as read ("FRONT VIEW", "3/4 BACK", "PROFILE (RIGHT)", 側面図...).

    Returns
    -------
    LabelMatch or None
        ``coarse`` is "front", "three_quarter", "side" or "back"; rear three-quarters
        ("3/4 BACK", 斜め後ろ) are "back". ``side_word`` keeps a printed "left"/"right"
        (None when absent or both appear): it may mean the side shown, the direction faced
        or the panel's place, so the caller decides from the image. A bare "LEFT"/"RIGHT"
        (左, 右) is taken as a side view. None when any word is not view vocabulary
        (descriptions such as "STRAPS ON BACK", garbled lettering such as "FRNOT VEIW"),
        or the caption names two different views ("FRONT / BACK").
    """
    words, longest = _lexicon()
    found: list[str] = []
    for chunk in _SEPARATORS.split(_WORD_SLASH.sub(" ", _normalise(text))):
        if not chunk:
            continue
        pieces = _segment(chunk, words, longest)
        if pieces is None:
            return None
        found.extend(pieces)
    return _match(found)


def name_label(stem: str) -> LabelMatch | None:
    """The coarse view a file name names ("hero_front", "side-view", "3-4_left", 背面), or None.

    The creator's own word where no caption is printed: the words of the name (split at
    ``_``, ``-``, spaces, dots and case changes are not needed: "FrontView" reads as FRONT
    VIEW) that are wholly view vocabulary count, the rest ("hero", "v2", "backyard") is
    ignored. None when no view word is there or two views are named.

    Examples
    --------
    >>> name_label("hero_front").coarse, name_label("Char-3_4-Left").coarse, name_label("backyard_v2")
    ('front', 'three_quarter', None)
    >>> name_label("02_side_right").facing  # refprep's own view names say where the nose points
    'right'
    """
    spec = re.search(r"(?<![a-z])(three_quarter|side)_(left|right)(?![a-z])", stem.lower())
    if spec:
        coarse, facing = spec.groups()
        return LabelMatch(coarse, facing, spec.group(0), facing)
    words, longest = _lexicon()
    text = re.sub(r"3[\s_\-]?4", "3/4", _normalise(stem))
    found: list[str] = []
    for token in re.split(r"[\s_\-.()\[\]]+", text):
        pieces = _segment(token, words, longest) if token else None
        if pieces:
            found.extend(pieces)
    return _match(found) if any(w in _VIEW_WORDS for w in found) else None


def _match(found: list[str]) -> LabelMatch | None:
    """The view that a list of vocabulary words names (see ``view_label``)."""
    coarse = {_VIEW_WORDS[w][0] for w in found if w in _VIEW_WORDS} - {None}
    sides = {_VIEW_WORDS[w][1] for w in found if w in _VIEW_WORDS} - {None}
    if "THREE" in found and "QUARTER" not in found:
        return None  # "THREE VIEWS" is a sheet title, not a view
    if "back" in coarse:
        view = None if "front" in coarse else "back"  # 3/4 BACK, BACK SIDE: back
    elif "three_quarter" in coarse:
        view = "three_quarter"  # 3/4 FRONT, 半侧面, 3/4 SIDE
    elif coarse == {"side"} or coarse == {"front"}:
        view = coarse.pop()
    elif not coarse and sides:
        view = "side"  # a bare LEFT / RIGHT under a figure
    else:
        view = None  # nothing named, or FRONT with SIDE
    if view is None:
        return None
    side_word = sides.pop() if len(sides) == 1 else None
    return LabelMatch(view, side_word, " ".join(found))
