"""Face detection, the 468-point face mesh and head pose (yaw, pitch, roll).

Three small bundled models (see ``refprep.models``):

* two BlazeFace detectors: *short range* (128x128 input) for faces that fill much of the
  frame, *full range* (192x192) for smaller faces. Faces too small for a whole-image pass
  (the head of a full-body view) are looked for on zoomed-in tiles;
* the MediaPipe face mesh (468 points with depth), on a crop aligned the way MediaPipe
  aligns it (square, 1.5x the detection box, eye line level).

All three run directly under LiteRT, with MediaPipe's pre- and post-processing redone here
(``ShortRangeDetector`` / ``FullRangeDetector``): the image letterboxed into the model's
square input, pixel values in [-1, 1]; SSD anchors as MediaPipe's face_detection graphs
configure them; box and keypoint offsets decoded against the anchors, scores a clipped
sigmoid; overlapping boxes merged by MediaPipe's weighted non-maximum suppression. The
results match MediaPipe's Tasks ``FaceDetector`` (tests/test_face.py compares them) at a
fraction of its start-up cost.

The head rotation comes from the mesh's own 3D geometry: a face frame (the subject's
right-to-left axis, a forehead-to-chin axis and their cross product) is read off symmetric
landmarks and decomposed into Euler angles, averaged with the same reading of the mirrored
crop so that a mirrored face gets mirrored angles. Where the mesh finds no face in the crop,
or its yaw saturates (strong profiles), a coarser estimate from the detector's six keypoints
is returned instead (``method="face_detector"``) with a lower confidence.

Angles follow SPEC.md: yaw > 0 when the nose points to the image's right edge, pitch > 0
chin up, roll > 0 head tilted clockwise in the image.

LiteRT and OpenCV are imported on first use so importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from dataclasses import dataclass

import numpy as np

# TF in the native library honours this; set before LiteRT is first imported. setdefault
# keeps a user's own choice. What it doesn't cover is silenced below.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# --- detection -----------------------------------------------------------------------------

# BlazeFace score below which a box is not reported. MediaPipe's own default; lower values
# start to fire on hair ornaments, armour and other face-like texture.
DETECTOR_MIN_SCORE = 0.5
# MediaPipe's weighted NMS merges boxes of one detector pass whose IoU exceeds this (the
# Tasks FaceDetector's default min_suppression_threshold).
DETECTOR_MERGE_IOU = 0.3
# Raw BlazeFace scores are clipped to +-this before the sigmoid (score_clipping_thresh).
DETECTOR_SCORE_CLIP = 100.0
# Two boxes are the same face when their intersection covers more than this fraction of the
# smaller one. Intersection-over-smaller (not IoU) also merges a face cut by a tile edge with
# the whole face found in a neighbouring tile.
SAME_FACE_OVERLAP = 0.5
# The full-range detector finds faces down to about 12% of the frame it sees, so images are
# also searched on square tiles, halving the tile side per level. Tiles smaller than this
# would only find faces under ~24 px, too small for the mesh to measure.
MIN_TILE_SIDE = 192
# Most tiles searched per image (about 6 ms each on one CPU core); a level that would go
# past it is skipped. A 1024 px view gets the whole image plus 9 tiles of 512 px.
MAX_TILES = 16

# --- face mesh -----------------------------------------------------------------------------

MESH_INPUT_SIZE = 192  # the face_landmark model's square input, in pixels
MESH_POINTS = 468
# MediaPipe enlarges the detection box by 1.5 to get the mesh crop (face_detection_to_roi).
MESH_ROI_SCALE = 1.5
# Face-presence probability (sigmoid of the mesh's logit) below which its landmarks are not
# trusted. Real faces score above 0.95 even at 70 deg yaw; back views, animal heads and most
# cartoon faces the detector mistakes for faces score under 0.3.
MESH_MIN_PRESENCE = 0.5

# --- pose ----------------------------------------------------------------------------------

# The mesh's depth is flatter than a real head: with z as given, yaw is under-read by ~10%
# (AFLW2000-3D devdata, |yaw| 17-55 deg). Stretching z by this factor removes that bias.
MESH_DEPTH_SCALE = 1.2
# Past this |yaw| the mesh stops following the head (AFLW2000 faces at 66 and 71 deg both
# read ~57), so a larger keypoint estimate takes over.
MESH_SATURATION_YAW = 50.0
# Mesh-pose confidence is full up to MESH_FULL_TRUST_YAW and falls linearly to
# MESH_EDGE_TRUST at MESH_SATURATION_YAW and beyond: the hidden half of the face is guessed.
MESH_FULL_TRUST_YAW = 35.0
MESH_EDGE_TRUST = 0.6
# Keypoint yaw = atan(nose offset / gain), where the offset is the nose tip's distance from
# the ear-tragion midpoint over half the ear-to-ear span. The offset grows faster than
# sin(yaw) because the detector puts the hidden ear on the face contour; 1.5 fits AFLW2000
# (devdata) from 0 to 71 deg within ~8 deg.
KEYPOINT_YAW_GAIN = 1.5
# Keypoint angles are coarse (no pitch, yaw within ~10 deg at best): confidence cap.
DETECTOR_POSE_MAX_CONFIDENCE = 0.5
# When the mesh rejects the crop, the detection may be a stylised face the mesh doesn't know
# or no face at all; the keypoint confidence is scaled by max(presence, this floor).
LOW_PRESENCE_FLOOR = 0.3
# Eyes closer than this fraction of the box width (a profile): the eye line gives no roll.
MIN_EYE_SPAN_FOR_ROLL = 0.2

# Symmetric mesh landmark pairs (subject's right, subject's left): eye outer and inner
# corners, cheek contour, mouth corners, jaw. Several pairs keep the axis stable when one
# pair is badly placed.
_LEFT_RIGHT_PAIRS = ((33, 263), (133, 362), (234, 454), (61, 291), (93, 323), (132, 361))
# Midline points high on the face (forehead, nose bridge) and low on it (chin, lower lip).
_MIDLINE_HIGH = (10, 168)
_MIDLINE_LOW = (152, 17)
# Eye corners (outer, inner) of the subject's right and left eye: eye centres.
_RIGHT_EYE_CORNERS = (33, 133)
_LEFT_EYE_CORNERS = (263, 362)

# BlazeFace keypoint order (MediaPipe): indices into FaceDetection.keypoints.
KP_RIGHT_EYE, KP_LEFT_EYE, KP_NOSE, KP_MOUTH, KP_RIGHT_EAR, KP_LEFT_EAR = range(6)


@dataclass
class FaceDetection:
    box: tuple[int, int, int, int]  # x, y, w, h in image pixels (may run past a frame edge)
    score: float  # detector confidence 0..1
    # (6, 2) image pixels: right eye, left eye, nose tip, mouth, right ear tragion,
    # left ear tragion (MediaPipe order; "right" is the subject's right).
    keypoints: np.ndarray


@dataclass
class FaceMeasurement:
    detection: FaceDetection
    landmarks: np.ndarray | None  # (468, 3) image pixels, z in x's scale; None if no face in the mesh crop
    yaw_deg: float | None  # + when the nose points to the image's right edge
    pitch_deg: float | None  # + chin up; None from the detector keypoints
    roll_deg: float | None  # + head tilted clockwise in the image; None for a keypoint profile
    confidence: float  # 0..1: how much to trust the angles
    method: str  # "face_landmarks" or "face_detector"
    eye_distance_px: float  # inter-ocular distance in image pixels


@contextlib.contextmanager
def _stderr_silenced():
    """Point file descriptor 2 at /dev/null for a moment: native logs bypass sys.stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(devnull)
        os.close(saved)


def _litert_interpreter(model_name: str):
    """A single-threaded LiteRT interpreter for a bundled model, tensors allocated."""
    from ai_edge_litert.interpreter import Interpreter

    from ..models import bundled_model_path

    with _stderr_silenced():  # the XNNPACK delegate announces itself on fd 2
        interpreter = Interpreter(model_path=str(bundled_model_path(model_name)), num_threads=1)
        interpreter.allocate_tensors()
    return interpreter


class BlazeFaceDetector:
    """One BlazeFace model under LiteRT with MediaPipe's pre- and post-processing.

    Subclasses name the model and its SSD anchor layout (SsdAnchorsCalculatorOptions of
    MediaPipe's face_detection_short_range / _full_range graphs: min/max scale unused since
    anchors have a fixed unit size, offsets 0.5, one aspect ratio of 1).
    """

    model_name: str
    input_size: int  # square input side in pixels; also the x/y/w/h decoding scale
    strides: tuple[int, ...]  # one per anchor layer; layers sharing a stride share a grid
    # interpolated_scale_aspect_ratio > 0 adds a second anchor per cell and layer.
    anchors_per_layer: int

    def __init__(self):
        self._interpreter = _litert_interpreter(self.model_name)
        self._input_index = self._interpreter.get_input_details()[0]["index"]
        # Outputs: regressors (1, N, 16) and classificators (1, N, 1), told apart by shape.
        outputs = {d["shape"][-1]: d["index"] for d in self._interpreter.get_output_details()}
        self._boxes_index, self._scores_index = outputs[16], outputs[1]
        self._anchors = self._anchor_centres()

    def _anchor_centres(self) -> np.ndarray:
        """(N, 2) anchor centres in [0, 1], in the model's output order (SsdAnchorsCalculator)."""
        grids = []
        layer = 0
        while layer < len(self.strides):
            stride = self.strides[layer]
            per_cell = 0
            while layer < len(self.strides) and self.strides[layer] == stride:
                per_cell += self.anchors_per_layer
                layer += 1
            cells = math.ceil(self.input_size / stride)
            y, x = np.mgrid[0:cells, 0:cells]
            centres = np.stack([(x.ravel() + 0.5) / cells, (y.ravel() + 0.5) / cells], axis=1)
            grids.append(np.repeat(centres, per_cell, axis=0))
        return np.concatenate(grids)

    def detect(self, rgb: np.ndarray) -> list[FaceDetection]:
        """Faces in an HxWx3 uint8 RGB image, in its pixels, best score first."""
        import cv2

        height, width = rgb.shape[:2]
        # Letterbox: the image's long side fills the input, centred, zero (black) borders;
        # bilinear sampling straight from the full image, as MediaPipe's ImageToTensor does.
        side = max(height, width)
        scale = self.input_size / side
        to_input = np.array([[scale, 0.0, (side - width) / 2 * scale], [0.0, scale, (side - height) / 2 * scale]])
        tensor = cv2.warpAffine(np.ascontiguousarray(rgb), to_input, (self.input_size, self.input_size),
                                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        self._interpreter.set_tensor(self._input_index, (tensor.astype(np.float32) / 127.5 - 1.0)[None])
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._boxes_index)[0].astype(np.float64)
        logits = self._interpreter.get_tensor(self._scores_index)[0, :, 0].astype(np.float64)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -DETECTOR_SCORE_CLIP, DETECTOR_SCORE_CLIP)))
        keep = scores >= DETECTOR_MIN_SCORE
        # Offsets in input pixels from a unit-size anchor: centre x, y, width, height, then
        # six (x, y) keypoints; all to [0, 1] of the input square.
        points = raw[keep].reshape(-1, 8, 2) / self.input_size
        points[:, 0] += self._anchors[keep]
        points[:, 2:] += self._anchors[keep, None]
        corners = np.concatenate([points[:, 0] - points[:, 1] / 2, points[:, 0] + points[:, 1] / 2], axis=1)
        detections = []
        for score, box, keypoints in _weighted_nms(scores[keep], corners, points[:, 2:]):
            # Back from the letterboxed square to image pixels.
            box = box * side - np.tile([(side - width) / 2, (side - height) / 2], 2)
            keypoints = keypoints * side - [(side - width) / 2, (side - height) / 2]
            # Whole pixels, rounded down as MediaPipe's pixel boxes are.
            x, y = math.floor(box[0]), math.floor(box[1])
            size = (math.floor(box[2] - box[0]), math.floor(box[3] - box[1]))
            detections.append(FaceDetection((x, y, *size), float(score), keypoints))
        return detections


class ShortRangeDetector(BlazeFaceDetector):
    model_name = "face_detection_short_range"
    input_size = 128
    strides = (8, 16, 16, 16)  # 16x16 cells x 2 anchors + 8x8 cells x 6 anchors = 896
    anchors_per_layer = 2  # interpolated_scale_aspect_ratio 1.0


class FullRangeDetector(BlazeFaceDetector):
    model_name = "face_detection_full_range"
    input_size = 192
    strides = (4,)  # 48x48 cells x 1 anchor = 2304
    anchors_per_layer = 1  # interpolated_scale_aspect_ratio 0.0


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one (x0, y0, x1, y1) box with each of (N, 4) boxes."""
    inter = (np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
             * np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None))
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _weighted_nms(scores: np.ndarray, boxes: np.ndarray, keypoints: np.ndarray):
    """MediaPipe's WEIGHTED non-max suppression: yields (score, box, keypoints) per face.

    The best remaining box gathers every remaining box overlapping it by IoU > DETECTOR_MERGE_IOU
    (itself included); the face keeps the best score and the score-weighted mean of their
    boxes and keypoints.
    """
    remaining = np.argsort(-scores, kind="stable")
    while remaining.size:
        best = remaining[0]
        merged = _iou(boxes[best], boxes[remaining]) > DETECTOR_MERGE_IOU
        merged[0] = True  # a degenerate box still stands for itself
        group, remaining = remaining[merged], remaining[~merged]
        weights = scores[group] / scores[group].sum()
        yield scores[best], weights @ boxes[group], np.tensordot(weights, keypoints[group], axes=1)


class FaceAnalyzer:
    """Loads the BlazeFace detectors and the 468-point mesh once; reuse for every view."""

    def __init__(self):
        self._detectors: tuple[ShortRangeDetector, FullRangeDetector] | None = None
        self._mesh = None  # (interpreter, input index, landmarks index, presence index)

    # --- sessions --------------------------------------------------------------------------

    def _load_detectors(self) -> tuple[ShortRangeDetector, FullRangeDetector]:
        if self._detectors is None:
            self._detectors = (ShortRangeDetector(), FullRangeDetector())
        return self._detectors

    def _load_mesh(self):
        if self._mesh is None:
            interpreter = _litert_interpreter("face_landmark")
            outputs = {int(np.prod(d["shape"])): d["index"] for d in interpreter.get_output_details()}
            self._mesh = (interpreter, interpreter.get_input_details()[0]["index"],
                          outputs[MESH_POINTS * 3], outputs[1])
        return self._mesh

    def close(self):
        """Drop the interpreters (they are rebuilt on next use); safe to call twice."""
        self._detectors = None
        self._mesh = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- detection -------------------------------------------------------------------------

    def detect(self, rgb: np.ndarray) -> list[FaceDetection]:
        """All faces in an HxWx3 uint8 RGB image, best score first, NMS'd across detectors.

        The whole image goes through both detectors. Only if that finds nothing are
        zoomed-in tiles searched with the full-range detector, level by level, stopping at
        the first level that finds a face (or at MAX_TILES). Tiles look at many more windows
        and so fire more often on face-like texture: a face found only there must also pass
        the mesh's face-presence test.
        """
        rgb = _check_rgb(rgb)
        short_range, full_range = self._load_detectors()
        found = short_range.detect(rgb) + full_range.detect(rgb)
        height, width = rgb.shape[:2]
        searched = 0
        for side in _tile_sides(height, width):
            if found:
                break
            tiles = [(x, y) for y in _tile_starts(height, side) for x in _tile_starts(width, side)]
            searched += len(tiles)
            if searched > MAX_TILES:
                break
            for x, y in tiles:
                candidates = [_shifted(d, x, y) for d in full_range.detect(rgb[y:y + side, x:x + side])]
                found += [d for d in candidates
                          if self._run_mesh(_mesh_crop(rgb, _roi_from_detection(d)))[1] >= MESH_MIN_PRESENCE]
        return _non_max_suppression(found)

    def find_faces(self, rgb: np.ndarray) -> list[FaceDetection]:
        """Every face the detectors report in an image that may hold several figures side by
        side, best score first: both detectors on the whole image, and on an image more than
        half again as wide as tall (or tall as wide) also on overlapping squares of its short
        side, so a row of heads is searched at each head's scale. No mesh test: drawn faces,
        which the mesh rejects, count too.
        """
        rgb = _check_rgb(rgb)
        short_range, full_range = self._load_detectors()
        found = short_range.detect(rgb) + full_range.detect(rgb)
        height, width = rgb.shape[:2]
        side = min(height, width)
        if max(height, width) >= 1.5 * side:
            for y in _tile_starts(height, side):
                for x in _tile_starts(width, side):
                    tile = rgb[y:y + side, x:x + side]
                    found += [_shifted(d, x, y) for d in short_range.detect(tile) + full_range.detect(tile)]
        return _non_max_suppression(found)

    # --- measurement -----------------------------------------------------------------------

    def measure(self, rgb: np.ndarray) -> list[FaceMeasurement]:
        """Detect every face, run the mesh on each and estimate its pose; best first."""
        rgb = _check_rgb(rgb)
        return [self._measure_one(rgb, det) for det in self.detect(rgb)]

    def _measure_one(self, rgb: np.ndarray, det: FaceDetection) -> FaceMeasurement:
        roi = _roi_from_detection(det)
        crop = _mesh_crop(rgb, roi)
        points, presence = self._run_mesh(crop)
        # The mesh is not exactly mirror-symmetric; averaging with its reading of the
        # mirrored crop makes a mirrored face read mirrored angles and halves the noise.
        mirror_points, mirror_presence = self._run_mesh(crop[:, ::-1])
        mirror_points[:, 0] = MESH_INPUT_SIZE - mirror_points[:, 0]
        presence = (presence + mirror_presence) / 2.0
        keypoint_yaw, keypoint_roll = _pose_from_keypoints(det)
        if presence < MESH_MIN_PRESENCE:
            return FaceMeasurement(
                detection=det, landmarks=None, yaw_deg=keypoint_yaw, pitch_deg=None, roll_deg=keypoint_roll,
                confidence=det.score * DETECTOR_POSE_MAX_CONFIDENCE * max(presence, LOW_PRESENCE_FLOOR),
                method="face_detector", eye_distance_px=_keypoint_eye_distance(det),
            )
        landmarks = _crop_to_image(points, roi)
        poses = (_pose_from_landmarks(landmarks), _pose_from_landmarks(_crop_to_image(mirror_points, roi), True))
        yaw, pitch, roll = (float(v) for v in np.mean(poses, axis=0))
        eye_distance = _mesh_eye_distance(landmarks)
        if abs(yaw) > MESH_SATURATION_YAW and yaw * keypoint_yaw > 0 and abs(keypoint_yaw) > abs(yaw):
            # A profile beyond what the mesh can represent: the keypoints see it turned further.
            return FaceMeasurement(
                detection=det, landmarks=landmarks, yaw_deg=keypoint_yaw, pitch_deg=None, roll_deg=keypoint_roll,
                confidence=det.score * presence * DETECTOR_POSE_MAX_CONFIDENCE,
                method="face_detector", eye_distance_px=eye_distance,
            )
        return FaceMeasurement(
            detection=det, landmarks=landmarks, yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll,
            confidence=det.score * presence * _mesh_pose_trust(yaw),
            method="face_landmarks", eye_distance_px=eye_distance,
        )

    def _run_mesh(self, crop: np.ndarray) -> tuple[np.ndarray, float]:
        """(468, 3) landmarks in crop pixels and the face-presence probability of a mesh crop."""
        interpreter, input_index, landmarks_index, presence_index = self._load_mesh()
        interpreter.set_tensor(input_index, (crop.astype(np.float32) / 255.0)[None])
        interpreter.invoke()
        points = interpreter.get_tensor(landmarks_index).reshape(MESH_POINTS, 3).astype(np.float64)
        logit = float(interpreter.get_tensor(presence_index).ravel()[0])
        return points, 1.0 / (1.0 + math.exp(-logit))


# --- tiling --------------------------------------------------------------------------------


def _tile_sides(height: int, width: int):
    """Square tile sides to search, largest first: half the long side (at most the short
    side), then halving down to MIN_TILE_SIDE."""
    side = min(max(height, width) // 2, min(height, width))
    while side >= MIN_TILE_SIDE:
        yield side
        side //= 2


def _tile_starts(length: int, side: int) -> list[int]:
    """Evenly spaced tile offsets along one axis, overlapping by about half a tile."""
    if side >= length:
        return [0]
    count = math.ceil((length - side) / (side / 2)) + 1
    return [round(i * (length - side) / (count - 1)) for i in range(count)]


def _shifted(det: FaceDetection, x0: int, y0: int) -> FaceDetection:
    """A detection made in a tile whose top-left corner is (x0, y0), in full-image pixels."""
    x, y, w, h = det.box
    return FaceDetection((x + x0, y + y0, w, h), det.score, det.keypoints + (x0, y0))


def _overlap(a, b) -> float:
    """Intersection area over the smaller box's area."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    inter_w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    inter_h = max(0, min(ay + ah, by + bh) - max(ay, by))
    smaller = min(aw * ah, bw * bh)
    return inter_w * inter_h / smaller if smaller > 0 else 0.0


def _non_max_suppression(detections: list[FaceDetection]) -> list[FaceDetection]:
    kept: list[FaceDetection] = []
    for det in sorted(detections, key=lambda d: d.score, reverse=True):
        if all(_overlap(det.box, k.box) <= SAME_FACE_OVERLAP for k in kept):
            kept.append(det)
    return kept


# --- geometry ------------------------------------------------------------------------------


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an HxWx3 uint8 RGB image, got shape {rgb.shape} dtype {rgb.dtype}")
    return rgb


def _keypoint_eye_distance(det: FaceDetection) -> float:
    return float(np.linalg.norm(det.keypoints[KP_LEFT_EYE] - det.keypoints[KP_RIGHT_EYE]))


def _mesh_eye_distance(landmarks: np.ndarray) -> float:
    right = landmarks[list(_RIGHT_EYE_CORNERS), :2].mean(axis=0)
    left = landmarks[list(_LEFT_EYE_CORNERS), :2].mean(axis=0)
    return float(np.linalg.norm(left - right))


def _roi_from_detection(det: FaceDetection):
    """MediaPipe's mesh crop: (centre x, centre y, side, angle) with the eye line level."""
    x, y, w, h = det.box
    right_eye, left_eye = det.keypoints[KP_RIGHT_EYE], det.keypoints[KP_LEFT_EYE]
    angle = math.atan2(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0])
    return (x + w / 2.0, y + h / 2.0, max(w, h) * MESH_ROI_SCALE, angle)


def _roi_to_image_matrix(roi) -> np.ndarray:
    """2x3 affine map from mesh-input pixels to image pixels for a rotated square crop."""
    cx, cy, side, angle = roi
    scale = side / MESH_INPUT_SIZE
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    half = MESH_INPUT_SIZE / 2.0
    return np.array([[cos, -sin, cx - (cos - sin) * half],
                     [sin, cos, cy - (sin + cos) * half]])


def _mesh_crop(rgb: np.ndarray, roi) -> np.ndarray:
    """The mesh's square input: the ROI resampled to MESH_INPUT_SIZE, eye line level."""
    import cv2

    return cv2.warpAffine(np.ascontiguousarray(rgb), _roi_to_image_matrix(roi), (MESH_INPUT_SIZE, MESH_INPUT_SIZE),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT)


def _crop_to_image(points: np.ndarray, roi) -> np.ndarray:
    """Mesh points from crop pixels to image pixels (z scaled like x and y)."""
    to_image = _roi_to_image_matrix(roi)
    landmarks = np.empty_like(points)
    landmarks[:, :2] = points[:, :2] @ to_image[:, :2].T + to_image[:, 2]
    landmarks[:, 2] = points[:, 2] * roi[2] / MESH_INPUT_SIZE
    return landmarks


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _pose_from_landmarks(landmarks: np.ndarray, mirrored: bool = False) -> tuple[float, float, float]:
    """SPEC yaw, pitch, roll (degrees) from the mesh's 3D face frame.

    ``mirrored``: the landmarks come from the mirrored crop, flipped back; each point then
    sits where its left/right partner belongs, so the pairs are read the other way round.

    Image axes: x right, y down, z away from the camera (the mesh's z grows away from it),
    right-handed. The face frame's columns are ``across`` (subject's right to left side),
    ``down`` (forehead to chin) and ``back`` (across x down, into the head): the identity for
    a face looking into the camera. It is decomposed as R = Rx(a) Ry(b) Rz(c), the order
    AFLW2000-3D's labels use; SPEC angles are yaw = -b, pitch = -a, roll = c.
    """
    points = landmarks * (1.0, 1.0, MESH_DEPTH_SCALE)
    right = points[[pair[mirrored] for pair in _LEFT_RIGHT_PAIRS]].mean(axis=0)
    left = points[[pair[not mirrored] for pair in _LEFT_RIGHT_PAIRS]].mean(axis=0)
    across = _unit(left - right)
    down = points[list(_MIDLINE_LOW)].mean(axis=0) - points[list(_MIDLINE_HIGH)].mean(axis=0)
    down = _unit(down - down.dot(across) * across)
    back = np.cross(across, down)
    yaw = -math.asin(np.clip(back[0], -1.0, 1.0))
    pitch = math.atan2(back[1], back[2])
    roll = math.atan2(-down[0], down[1])
    return math.degrees(yaw), math.degrees(pitch), math.degrees(roll)


def _mesh_pose_trust(yaw: float) -> float:
    """1 for faces the mesh sees well, falling to MESH_EDGE_TRUST where it saturates."""
    excess = (abs(yaw) - MESH_FULL_TRUST_YAW) / (MESH_SATURATION_YAW - MESH_FULL_TRUST_YAW)
    return 1.0 - (1.0 - MESH_EDGE_TRUST) * min(max(excess, 0.0), 1.0)


def _pose_from_keypoints(det: FaceDetection) -> tuple[float, float | None]:
    """Coarse SPEC yaw and roll (degrees) from BlazeFace's six keypoints.

    Roll is the eye line's angle. Yaw comes from the nose tip's offset from the ear-tragion
    midpoint along the eye line, normalised by half the ear-to-ear span (see
    KEYPOINT_YAW_GAIN). When the eyes nearly coincide (a profile) their line's direction is
    noise: roll is None and the head is taken as upright (offsets along the image x axis).
    """
    keypoints = det.keypoints
    eye_line = keypoints[KP_LEFT_EYE] - keypoints[KP_RIGHT_EYE]
    eyes_apart = np.linalg.norm(eye_line) >= MIN_EYE_SPAN_FOR_ROLL * det.box[2]
    angle = math.atan2(eye_line[1], eye_line[0]) if eyes_apart else 0.0
    along = keypoints @ np.array([math.cos(angle), math.sin(angle)])
    ear_mid = (along[KP_RIGHT_EAR] + along[KP_LEFT_EAR]) / 2.0
    half_span = max(abs(along[KP_LEFT_EAR] - along[KP_RIGHT_EAR]) / 2.0, 1e-6)
    offset = (along[KP_NOSE] - ear_mid) / half_span
    yaw = math.degrees(math.atan(offset / KEYPOINT_YAW_GAIN))
    return yaw, (math.degrees(angle) if eyes_apart else None)
