"""Pose stage: each view -> head yaw/pitch/roll, a view class and how sure we are.

Evidence, strongest first:
- ``face_landmarks``: BlazeFace finds the face, the 468-point mesh gives its 3D shape,
  the rotation of that shape gives yaw, pitch and roll (see ``face.py``);
- ``face_detector``: only the detector's six keypoints were usable (rougher angles);
- ``none``: no face evidence, or evidence too weak to trust (confidence under
  ``MIN_POSE_CONFIDENCE``). The class is ``unknown`` with confidence 0: a wrong class
  silently ruins a package, so refprep does not guess.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import thresholds as T
from .data import Pose, View


def classify_yaw(yaw_deg: float | None) -> str:
    """SPEC classes by |yaw|: front < 22.5 <= three_quarter < 67.5 <= side <= 112.5 < back."""
    if yaw_deg is None:
        return "unknown"
    magnitude = abs(yaw_deg)
    side = "right" if yaw_deg > 0 else "left"
    if magnitude < T.FRONT_MAX_YAW:
        return "front"
    if magnitude < T.THREE_QUARTER_MAX_YAW:
        return f"three_quarter_{side}"
    if magnitude <= T.SIDE_MAX_YAW:
        return f"side_{side}"
    return "back"


class PoseEstimator:
    """Holds the face models for the whole run; call ``estimate`` per view image."""

    def __init__(self):
        from .face import FaceAnalyzer

        self.faces = FaceAnalyzer()

    def estimate(self, rgb: np.ndarray) -> Pose:
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


def estimate_poses(views: list[View], estimator: PoseEstimator, progress=None) -> list[View]:
    """Run the pose stage on every view (on the original pixels, not the cleaned ones)."""
    result = []
    for view in views:
        result.append(replace(view, pose=estimator.estimate(np.ascontiguousarray(view.image))))
        if progress:
            progress()
    return result
