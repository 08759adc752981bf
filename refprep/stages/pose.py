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

from dataclasses import replace

import numpy as np

from .. import thresholds as T
from ..data import Pose, View, classify_yaw
from ..evidence.silhouette import classify_sheet, measure_shape


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
