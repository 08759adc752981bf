"""Whole-body facing (yaw all the way round) from MediaPipe's BlazePose landmark model.

One bundled model (see ``refprep.models``): ``pose_landmark_full``, BlazePose GHUM's "full"
landmark network. It takes a 256x256 RGB crop in [0, 1] with one person roughly centred and
returns 39 landmarks (33 body points plus 6 auxiliary ones MediaPipe uses for tracking), each
with x, y (input pixels), a relative depth z, and visibility/presence logits; a pose-presence
score; and the same 39 points as *world* landmarks in metres, centred on the hips. The crop is
made here much as MediaPipe's ROI makes it (a square a little larger than the figure, centred
on it) instead of running the separate person detector: each view given to the reader is
already one cropped figure.

The facing comes from the world landmarks' 3D shape: the shoulder and hip lines (the subject's
left minus right) and the hips-to-shoulders up vector give the torso's forward normal; the nose
relative to the ears gives the head's. Both are turned into a yaw angle (SPEC.md convention:
0 facing the camera, > 0 when the subject turns toward the image's right edge, +-180 the back).
On the devdata tune split, clean full-body profiles read 80-94 deg and three-quarter views
30-47 deg with this crop, so no correction curve is applied (one that pushed profiles out would
push the already slightly over-read three-quarter views further).

Every view is read twice, as given and mirrored (the mirrored landmarks mapped back: x negated,
left/right swapped), and the four estimates (torso and head, both passes) are averaged on the
circle, so a mirrored figure gets a mirrored yaw and the network's small left/right bias cancels.
Where the two passes see the same body axis facing opposite ways, the network cannot tell front
from back; on clean figures that is what back views do (a visible face makes both passes read
front), so the back-facing pass is kept at a reduced confidence (``_combine``).

Confidence multiplies the pose-presence score (the lower of the two passes), how full-body the
figure is (knee visibility, and a landmark body at least ~2 body widths tall: busts and head
tiles have no legs, and the torso frame the network guesses for them is unreliable) and
how well the estimates agree (their mean resultant length). A view with presence under 0.5 in
both passes gets no yaw at all.

Known failures (devdata): a beast-headed armoured figure in profile reads near-front with
confidence ~0.9 (the network follows the armour, not the head); frontal action poses labelled
+-10-20 deg can read 20-40 deg; a photoreal waist-up portrait (skimage's astronaut) still reads
as a full figure (front, correctly, at ~0.9). Stylised non-humans (mascots, the blob, the cat)
mostly get presence under 0.5 and no yaw.

LiteRT and OpenCV are imported on first use so importing this module stays cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

INPUT_SIZE = 256  # pose_landmark_full's square input side, in pixels
NUM_LANDMARKS = 39  # model outputs; the first 33 are the documented BlazePose points
BODY_LANDMARKS = 33

# BlazePose landmark indices ("left" = the subject's left).
NOSE = 0
LEFT_EAR, RIGHT_EAR = 7, 8
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_KNEE, RIGHT_KNEE = 25, 26
LEFT_ANKLE, RIGHT_ANKLE = 27, 28


@dataclass(frozen=True)
class BodyReading:
    yaw_deg: float | None  # SPEC convention; None when the figure is not readable
    confidence: float  # 0..1, how far to trust yaw
    presence: float  # the model's pose-presence score
    # (33, 3) x, y in the input image's pixels (continuous: pixel i spans [i, i+1]), z relative
    # depth in x's scale (smaller = nearer the camera), hip-centred like MediaPipe's.
    landmarks: np.ndarray
    world: np.ndarray  # (33, 3) metres, hip-centred; x image-right, y down, z away from camera
    visibility: np.ndarray  # (33,) sigmoid of the visibility logits


# Smaller crops hold no figure the network could read (a 256 px input from a few pixels).
MIN_SIDE_PX = 8


def _no_reading() -> BodyReading:
    empty = np.zeros((BODY_LANDMARKS, 3))
    return BodyReading(None, 0.0, 0.0, empty, empty.copy(), np.zeros(BODY_LANDMARKS))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


def _square_roi(shape: tuple[int, int], mask: np.ndarray | None, margin: float) -> tuple[float, float, float]:
    """Centre (x, y) and side of the square crop the model sees, in image pixels.

    The figure's box (the mask's, else the whole image) is centred in a square ``margin``
    times its longer side: the network was trained on ROIs with some room around the body.
    """
    h, w = shape
    x0, y0, x1, y1 = 0.0, 0.0, float(w), float(h)
    if mask is not None:
        ys, xs = np.nonzero(mask)
        if len(xs) >= 16:  # a few stray pixels are not a figure; fall back to the whole crop
            x0, y0, x1, y1 = float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)
    side = max(x1 - x0, y1 - y0) * margin
    return (x0 + x1) / 2.0, (y0 + y1) / 2.0, max(side, 1.0)


def _backdrop_colour(rgb: np.ndarray, mask: np.ndarray | None) -> tuple[float, float, float]:
    """Colour to pad the square with: the crop's own backdrop, so padding adds no edge.

    MediaPipe pads with black, which on a white character sheet draws a hard frame around
    the figure that the network was never shown; the median of the crop's border pixels
    (outside the mask when there is one) continues the backdrop instead.
    """
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).reshape(-1, 3)
    if mask is not None:
        outside = ~np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]]).astype(bool)
        if outside.sum() >= 8:
            border = border[outside]
    return tuple(float(v) for v in np.median(border, axis=0))


def _unit(v: np.ndarray) -> np.ndarray | None:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else None


def _facing_yaw(forward: np.ndarray) -> float:
    """Yaw (deg) of a forward vector in world coords: 0 toward the camera (-z), + image right."""
    return math.degrees(math.atan2(float(forward[0]), float(-forward[2])))


def torso_yaw(world: np.ndarray) -> float | None:
    """Facing of the torso from world landmarks: normal of the shoulder/hip lines and the spine.

    Left-minus-right across the body, crossed with the hips-to-shoulders up vector, points
    the way the chest faces (x right, y down, z away: for a frontal figure left-right is +x,
    up is -y, and +x cross -y = -z, toward the camera).
    """
    across = (world[LEFT_SHOULDER] - world[RIGHT_SHOULDER]) + (world[LEFT_HIP] - world[RIGHT_HIP])
    up = (world[LEFT_SHOULDER] + world[RIGHT_SHOULDER] - world[LEFT_HIP] - world[RIGHT_HIP]) / 2.0
    forward = _unit(np.cross(across, up))
    if forward is None:
        return None
    return _facing_yaw(forward)


def head_yaw(world: np.ndarray) -> float | None:
    """Facing of the head: the nose's direction from the ears' midpoint, in the ground plane.

    The nose sits in front of the ear line whatever the torso does, and unlike the shoulder
    line it is not seen edge-on in a profile, so it keeps its depth where the torso's fails.
    """
    ears = (world[LEFT_EAR] + world[RIGHT_EAR]) / 2.0
    forward = world[NOSE] - ears
    forward = np.array([forward[0], 0.0, forward[2]])
    if _unit(forward) is None:
        return None
    return _facing_yaw(forward)


def _wrap(angle: float) -> float:
    return (angle + 180.0) % 360.0 - 180.0


def _circular_mean(angles: list[float]) -> tuple[float, float]:
    """Mean direction (deg, in [-180, 180)) and mean resultant length (1 = all agree)."""
    s = sum(math.sin(math.radians(a)) for a in angles) / len(angles)
    c = sum(math.cos(math.radians(a)) for a in angles) / len(angles)
    return _wrap(math.degrees(math.atan2(s, c))), math.hypot(s, c)


@dataclass(frozen=True)
class _RawPose:
    """One forward pass: outputs mapped back to the caller's image."""

    presence: float
    landmarks: np.ndarray  # (39, 3) image pixels
    world: np.ndarray  # (39, 3) metres
    visibility: np.ndarray  # (39,)
    in_frame: np.ndarray  # (39,) sigmoid of the presence logits ("inside the crop")


class BodyPoseReader:
    """BlazePose (full) under LiteRT: body landmarks and a yaw reading for one cropped figure.

    Parameters
    ----------
    model : str
        Bundled model name (``refprep.models.BUNDLED_MODELS``).
    margin : float
        Side of the square crop over the figure box's longer side. MediaPipe's ROI is the
        body's enclosing circle x1.25; on tight view crops 1.1 read better (devdata tune
        split: yaw MAE 11 vs 22 deg, backs 8/8 vs 8/9 above confidence 0.3).
    """

    def __init__(self, model: str = "pose_landmark_full", *, margin: float = 1.1):
        self.model = model
        self.margin = margin
        self._interpreter = None  # created on first read: loading costs ~50 ms

    def _ensure(self):
        if self._interpreter is None:
            from .face import _litert_interpreter

            interpreter = _litert_interpreter(self.model)
            self._input_index = interpreter.get_input_details()[0]["index"]
            # Outputs told apart by shape: 39x5 landmarks, 1 pose flag, 39x3 world; the
            # segmentation and heatmap tensors are not read.
            by_size = {int(np.prod(d["shape"])): d["index"] for d in interpreter.get_output_details()}
            self._landmark_index = by_size[NUM_LANDMARKS * 5]
            self._flag_index = by_size[1]
            self._world_index = by_size[NUM_LANDMARKS * 3]
            self._interpreter = interpreter
        return self._interpreter

    def close(self) -> None:
        """Drop the interpreter; a later read creates a new one."""
        self._interpreter = None

    def read(
        self,
        rgb: np.ndarray,
        mask: np.ndarray | None = None,
        *,
        min_presence: float = 0.5,
        legs_seen: tuple[float, float] = (0.2, 0.6),
        elongation: tuple[float, float] = (1.0, 2.0),
        ambiguous_back_trust: float = 0.5,
    ) -> BodyReading:
        """Landmarks and facing of the one figure in ``rgb``.

        Parameters
        ----------
        rgb : ndarray
            HxWx3 uint8, one cropped view, any backdrop.
        mask : ndarray, optional
            HxW subject mask; its bounding box decides the crop (else the whole image).
        min_presence : float
            Below this pose-presence score no yaw is given: MediaPipe's own threshold for
            "a pose is present" (ThresholdingCalculator, 0.5).
        legs_seen : (float, float)
            Knee visibility at which the confidence starts to rise / is full. Busts and head
            tiles get knee visibilities under ~0.35 and a guessed torso frame; full figures,
            profiles included, are above ~0.7.
        elongation : (float, float)
            Nose-to-ankle height over body width (image pixels) at which the confidence
            starts to rise / is full. Standing figures, chibis included, measure 2.7 or more;
            a bust gets a whole body squeezed into its crop (a drawn head-and-shoulders
            close-up: 0.3), with knees the network still calls visible.
        ambiguous_back_trust : float
            Confidence factor when the image and its mirror disagree on front vs back (see
            ``_combine``): the back is then the likelier answer, but it is an inference.

        Returns
        -------
        BodyReading
            ``yaw_deg`` None when the presence is below ``min_presence`` or the torso frame is
            degenerate; landmarks from the unmirrored pass. On devdata sheet views, readings
            with confidence >= 0.3 had the right coarse class 90% of the time (about half of
            all views pass; busts, head tiles and most non-human figures stay below).
        """
        image = np.asarray(rgb)
        if image.ndim >= 2 and min(image.shape[:2]) < MIN_SIDE_PX:
            return _no_reading()
        rgb = _as_rgb(image)
        if mask is not None:
            mask = np.asarray(mask).astype(bool)
            if mask.shape != rgb.shape[:2]:
                raise ValueError(f"mask shape {mask.shape} does not match image {rgb.shape[:2]}")
        straight = self._infer(rgb, mask)
        mirrored = self._infer(rgb, mask, mirror=True)
        yaw, confidence = _combine(straight, mirrored, min_presence=min_presence, legs_seen=legs_seen,
                                   elongation=elongation, ambiguous_back_trust=ambiguous_back_trust)
        return BodyReading(
            yaw_deg=yaw,
            confidence=confidence,
            presence=straight.presence,
            landmarks=straight.landmarks[:BODY_LANDMARKS].copy(),
            world=straight.world[:BODY_LANDMARKS].copy(),
            visibility=straight.visibility[:BODY_LANDMARKS].copy(),
        )

    def _infer(self, rgb: np.ndarray, mask: np.ndarray | None, mirror: bool = False) -> _RawPose:
        import cv2

        interpreter = self._ensure()
        h, w = rgb.shape[:2]
        if mirror:
            rgb = rgb[:, ::-1]
            mask = None if mask is None else mask[:, ::-1]
        cx, cy, side = _square_roi((h, w), mask, self.margin)
        scale = INPUT_SIZE / side
        # Image -> input, in continuous coordinates (pixel i spans [i, i+1], as MediaPipe's
        # normalised landmarks assume): u = scale * (x - cx) + 128. warpAffine works on pixel
        # indices (centres at i + 0.5), hence the half-pixel terms.
        half = INPUT_SIZE / 2.0
        matrix = np.array([[scale, 0.0, scale * (0.5 - cx) + half - 0.5],
                           [0.0, scale, scale * (0.5 - cy) + half - 0.5]], dtype=np.float64)
        tensor = cv2.warpAffine(np.ascontiguousarray(rgb), matrix, (INPUT_SIZE, INPUT_SIZE),
                                flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=_backdrop_colour(rgb, mask))
        tensor = tensor.astype(np.float32)[None] / 255.0
        interpreter.set_tensor(self._input_index, tensor)
        interpreter.invoke()
        raw = interpreter.get_tensor(self._landmark_index).reshape(NUM_LANDMARKS, 5).astype(np.float64)
        world = interpreter.get_tensor(self._world_index).reshape(NUM_LANDMARKS, 3).astype(np.float64)
        # The flag is already a probability (MediaPipe thresholds it at 0.5 without an activation).
        presence = float(interpreter.get_tensor(self._flag_index).ravel()[0])
        points = raw[:, :3].copy()
        points[:, :2] = (points[:, :2] - half) / scale + np.array([cx, cy])
        points[:, 2] /= scale
        if mirror:  # back to the caller's frame; the subject's left/right swap with the image
            points[:, 0] = w - points[:, 0]
            world[:, 0] = -world[:, 0]
            points, world, raw = points[_MIRROR_ORDER], world[_MIRROR_ORDER], raw[_MIRROR_ORDER]
        return _RawPose(presence, points, world, _sigmoid(raw[:, 3]), _sigmoid(raw[:, 4]))


# BlazePose's left/right pairs: index of each landmark's mirror image (the nose and the six
# auxiliary points past 32 map to themselves).
_MIRROR_ORDER = np.arange(NUM_LANDMARKS)
for _l, _r in ((1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18),
               (19, 20), (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32)):
    _MIRROR_ORDER[_l], _MIRROR_ORDER[_r] = _r, _l


def _as_rgb(image: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 from grey, RGB or RGBA input (alpha dropped; pass it as the mask)."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) < 2:
        raise ValueError(f"expected an HxWx3 image, got shape {image.shape}")
    image = image[:, :, :3]
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    return image


def _smoothstep(x: float, lo: float, hi: float) -> float:
    t = min(max((x - lo) / (hi - lo), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def _elongation(pose: _RawPose) -> float:
    """Nose-to-ankles height over body width, in image pixels.

    The width is the shoulder span or 1.5x the ear span, whichever is larger, so that a
    profile (shoulders edge-on) is not mistaken for a squat figure.
    """
    points = pose.landmarks
    height = float(points[[LEFT_ANKLE, RIGHT_ANKLE], 1].mean() - points[NOSE, 1])
    width = max(float(np.linalg.norm(points[LEFT_SHOULDER, :2] - points[RIGHT_SHOULDER, :2])),
                1.5 * float(np.linalg.norm(points[LEFT_EAR, :2] - points[RIGHT_EAR, :2])), 1e-6)
    return height / width


def _combine(straight: _RawPose, mirrored: _RawPose, *, min_presence: float = 0.5,
             legs_seen: tuple[float, float] = (0.2, 0.6), elongation: tuple[float, float] = (1.0, 2.0),
             ambiguous_back_trust: float = 0.5) -> tuple[float | None, float]:
    """Yaw and confidence from the reading of the image and of its mirror (mapped back).

    The yaw is the circular mean of four estimates: torso and head, each from both passes.
    Confidence multiplies the presence score, how full-body the figure is (knee visibility
    and the landmarks' height-to-width ratio), and how well the four estimates agree (their
    mean resultant length). Parameters as in ``BodyPoseReader.read``.

    One disagreement is informative rather than noise: the two passes reading the same
    torso axis with opposite facings (one ~front, the other ~back). On clean renders this
    happens for back views (the network, unsure which side it sees, flips between its two
    hypotheses), while frontal figures with a visible face read front in both passes. Then
    the back-facing pass is taken, at a reduced confidence.
    """
    presence = min(straight.presence, mirrored.presence)
    knees = max(straight.visibility[LEFT_KNEE], straight.visibility[RIGHT_KNEE],
                mirrored.visibility[LEFT_KNEE], mirrored.visibility[RIGHT_KNEE])
    fullness = _smoothstep(float(knees), *legs_seen)
    fullness *= _smoothstep((_elongation(straight) + _elongation(mirrored)) / 2.0, *elongation)
    if max(straight.presence, mirrored.presence) < min_presence:
        return None, 0.0
    torsos = [torso_yaw(straight.world), torso_yaw(mirrored.world)]
    heads = [head_yaw(straight.world), head_yaw(mirrored.world)]
    if None in torsos:
        return None, 0.0
    if abs(_wrap(torsos[0] - torsos[1])) > 135.0:
        # Opposite facings: keep the pass that sees the back (its torso and head).
        k = 0 if abs(torsos[0]) > abs(torsos[1]) else 1
        angles = [a for a in (torsos[k], heads[k]) if a is not None]
        yaw, spread = _circular_mean(angles)
        return yaw, float(presence * fullness * spread * ambiguous_back_trust)
    angles = [a for a in torsos + heads if a is not None]
    yaw, spread = _circular_mean(angles)
    return yaw, float(presence * fullness * spread)
