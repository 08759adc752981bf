"""Pose stage: each view -> head yaw/pitch/roll, a view class and how sure we are.

Evidence, strongest first (``pose_method`` names the one that decided):
- ``face_landmarks``: BlazeFace finds the face, the 468-point mesh gives its 3D shape,
  the rotation of that shape gives yaw, pitch and roll (see ``face.py``);
- ``face_detector``: only the detector's six keypoints were usable (rougher yaw);
- ``silhouette``: no trustworthy face; the figure's symmetry, its width among its siblings
  and where skin shows in its head give the class (see ``silhouette.py``);
- ``none``: nothing to go on. The class is ``unknown`` with confidence 0: a wrong class
  silently ruins a package, so refprep does not guess.

A face reading with confidence of at least ``FACE_TRUSTED_CONFIDENCE`` decides alone. A
weaker one (stylised faces fool the face models) stands where the silhouette has no call,
agrees with it on the coarse class, or is less sure (its confidence counted
``SILHOUETTE_WEIGHT`` times, since it is capped low by design).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import thresholds as T
from ..data import Pose, View, classify_yaw
from ..evidence.silhouette import classify_sheet, measure_shape

# Evidence strong enough, when confident, to question a class the creator declared.
STRONG_METHODS = ("face_landmarks", "label", "body")


class PoseEstimator:
    """Holds the face models for the whole run; call ``estimate`` per view image."""

    def __init__(self):
        from ..evidence.face import FaceAnalyzer

        self.faces = FaceAnalyzer()

    def estimate(self, rgb: np.ndarray) -> Pose:
        """The face-based reading of one image (``none`` when no usable face)."""
        measurements = [m for m in self.faces.measure(rgb)
                        if min(m.detection.box[2:]) >= T.MIN_FACE_BOX_PX and m.confidence >= T.MIN_POSE_CONFIDENCE]
        if not measurements:
            return Pose(view="unknown", confidence=0.0, method="none", face_count=0)
        best = measurements[0]
        # Only faces the mesh confirmed count as people: a lone detector hit on a painted
        # backdrop or a cartoon's feet is not a second subject.
        counted = [m for m in measurements
                   if m.detection.score >= T.SECOND_FACE_MIN_SCORE and m.landmarks is not None]
        return Pose(
            view=classify_yaw(best.yaw_deg),
            yaw_deg=best.yaw_deg,
            pitch_deg=best.pitch_deg,
            roll_deg=best.roll_deg,
            confidence=best.confidence,
            method=best.method,
            face_box=best.detection.box,
            face_count=max(1, len(counted)),
            face_score=best.detection.score,
            eye_distance_px=best.eye_distance_px,
            keypoints=best.detection.keypoints,
        )

    def close(self) -> None:
        self.faces.close()


def _coarse(view_class: str) -> str:
    return view_class.replace("_left", "").replace("_right", "")


def combine(face: Pose, shape: Pose | None) -> Pose:
    """One view's pose from its face reading and its silhouette reading."""
    if face.method == "none" or (face.confidence < T.FACE_TRUSTED_CONFIDENCE and shape is not None
                                 and _coarse(shape.view) != _coarse(face.view)
                                 and T.SILHOUETTE_WEIGHT * shape.confidence >= face.confidence):
        if shape is None:
            return face
        # The silhouette decides the class; what the face models saw (a box, a score) still
        # serves the quality checks, but not a contradicting angle.
        return replace(shape, face_box=face.face_box, face_count=face.face_count, face_score=face.face_score,
                       eye_distance_px=face.eye_distance_px, keypoints=face.keypoints)
    return face


def estimate_poses(views: list[View], estimator: PoseEstimator, progress=None) -> list[View]:
    """Run the pose stage on every view (on the original pixels, not the cleaned ones).

    Views of one source are classified together: a sheet's siblings tell which view is the
    widest and which symmetric view shows the face.
    """
    faces = []
    for view in views:
        faces.append(estimator.estimate(np.ascontiguousarray(view.image)))
        if progress:
            progress()
    shapes: list[Pose | None] = [None] * len(views)
    for source_index in sorted({v.source_index for v in views}):
        members = [i for i, v in enumerate(views) if v.source_index == source_index]
        evidence = [measure_shape(views[i].image, views[i].subject_mask) for i in members]
        for i, pose in zip(members, classify_sheet(evidence)):
            # In a photo the face models see any visible face; the outline can only add
            # that a faceless person is seen from behind.
            if views[i].kind == "photo" and pose is not None and pose.view != "back":
                pose = None
            shapes[i] = pose
    return [replace(view, pose=combine(face, shape)) for view, face, shape in zip(views, faces, shapes)]


# --- the creator's word ----------------------------------------------------------------------

VIEW_CLASSES = ("front", "three_quarter_left", "three_quarter_right", "side_left", "side_right", "back", "unknown")

# Short forms a creator types after --views / --view; full class names work too.
VIEW_ALIASES = {
    "f": "front", "front": "front",
    "3/4l": "three_quarter_left", "3/4-l": "three_quarter_left", "tql": "three_quarter_left",
    "3/4r": "three_quarter_right", "3/4-r": "three_quarter_right", "tqr": "three_quarter_right",
    "sl": "side_left", "l": "side_left", "left": "side_left",
    "sr": "side_right", "r": "side_right", "right": "side_right",
    "b": "back", "back": "back",
    "u": "unknown", "?": "unknown",
}


def parse_view_class(text: str) -> str:
    """A view class from its name or short form (``f``, ``3/4l``, ``sr``, ``b``...).

    Raises ValueError naming the accepted forms when ``text`` is none of them.

    Examples
    --------
    >>> parse_view_class("3/4L"), parse_view_class("side_right")
    ('three_quarter_left', 'side_right')
    """
    key = text.strip().lower().replace(" ", "")
    if key in VIEW_CLASSES:
        return key
    if key in VIEW_ALIASES:
        return VIEW_ALIASES[key]
    raise ValueError(f"unknown view class {text!r}: use one of {', '.join(VIEW_CLASSES[:-1])} "
                     "or f, 3/4l, 3/4r, sl, sr, b (- skips a view)")


@dataclass(frozen=True)
class ViewDeclaration:
    """What the creator says about the views, numbered 1.. in sheet order (row-major) over
    all inputs: ``classes`` from ``--views`` (None where ``-`` skips one), ``overrides`` from
    ``--view N=CLASS``, ``excluded`` from ``--exclude N``. ``--view`` wins over ``--views``."""

    classes: tuple[str | None, ...] = ()
    overrides: tuple[tuple[int, str], ...] = ()
    excluded: frozenset[int] = frozenset()

    @classmethod
    def parse(cls, views: str | None = None, view: tuple[str, ...] | list[str] = (),
              exclude: tuple[int, ...] | list[int] = ()) -> ViewDeclaration:
        """From the CLI's strings, e.g. ``parse("f,3/4l,-,b", ["2=side_left"], [5])``.

        Raises ValueError with a one-line reason for a malformed item.
        """
        classes = tuple(None if item.strip() in ("-", "") else parse_view_class(item)
                        for item in views.split(",")) if views else ()
        overrides = []
        for item in view:
            number, _, name = item.partition("=")
            if not number.strip().isdigit() or int(number) < 1 or not name:
                raise ValueError(f"--view takes N=CLASS with N counted from 1, got {item!r}")
            overrides.append((int(number), parse_view_class(name)))
        if any(n < 1 for n in exclude):
            raise ValueError("--exclude takes view numbers counted from 1")
        return cls(classes, tuple(overrides), frozenset(exclude))

    def __bool__(self) -> bool:
        return bool(self.classes or self.overrides or self.excluded)

    def class_of(self, number: int) -> str | None:
        """The declared class of view ``number`` (1-based), or None where nothing is declared."""
        for n, name in reversed(self.overrides):
            if n == number:
                return name
        if number <= len(self.classes):
            return self.classes[number - 1]
        return None

    def check_count(self, found: int) -> None:
        """Raise ValueError when the declaration names views the inputs do not have."""
        named = [n for n, _ in self.overrides] + list(self.excluded)
        if len(self.classes) > found or any(n > found for n in named):
            raise ValueError(f"views declared for {max([len(self.classes), *named])} views "
                             f"but {found} were found (see `refprep split` for their numbers)")


def declared_pose(measured: Pose, declared: str) -> Pose:
    """The pose of a view whose class the creator declared.

    The declared class wins; the measured angles stay only where they agree with it (an
    angle of another class would contradict the manifest's own ``view``). Where strong
    evidence (a trusted face, a printed label) names another coarse class, ``conflict``
    says so, for a warning.
    """
    agrees = _coarse(measured.view) == _coarse(declared) and measured.view.split("_")[-1] == declared.split("_")[-1]
    strong = measured.method in STRONG_METHODS and measured.confidence >= T.FACE_TRUSTED_CONFIDENCE
    conflict = None
    if strong and measured.view != "unknown" and _coarse(measured.view) != _coarse(declared):
        conflict = (f"{measured.method.replace('_', ' ')} reads {measured.view} "
                    f"(confidence {measured.confidence:.2f})")
    angles = {} if agrees else {"yaw_deg": None, "pitch_deg": None, "roll_deg": None}
    return replace(measured, view=declared, confidence=1.0, method="declared", conflict=conflict, **angles)


def apply_declaration(views: list[View], declaration: ViewDeclaration) -> list[View]:
    """``views`` with their declared classes (``--exclude`` is the export's to apply, so the
    numbers of the other views stay as the creator counted them)."""
    out = []
    for number, view in enumerate(views, 1):
        declared = declaration.class_of(number)
        out.append(replace(view, pose=declared_pose(view.pose, declared)) if declared else view)
    return out
