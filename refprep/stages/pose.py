"""Pose stage: each view -> a view class, yaw/pitch/roll where measured, and how sure.

Several readers look at every view (``refprep.evidence``), and one decision weighs them all
(``evidence.sheet.fuse``); ``pose_method`` names the reader that did most for the winner:

- ``label``: a printed caption under or over the view ("FRONT VIEW", "3/4 BACK", 側面...),
  read with PP-OCR on the whole sheet (``evidence.text``) and given to the view it sits
  under or over; the strongest evidence, since the creator wrote it;
- ``face_landmarks`` / ``face_detector``: BlazeFace and the face mesh (``evidence.face``):
  exact on photos, fooled by some drawn faces, blind to the back of a head;
- ``body``: BlazePose's world landmarks (``evidence.body``): the facing of shoulders, hips
  and head all the way round, on drawn and rendered figures too, but only for full figures;
- ``filename``: a single-view file named for its view ("hero_front.png", "side_left.png"):
  the creator's word, nearly as strong as a caption;
- ``silhouette``: outline rules (``evidence.silhouette``): weak, trusted little;
- ``face_absent``: no face found in a view while the face models found one in another
  view of the same sheet: that style's faces are detectable, so the view is likely turned
  away (a weak prior, ``evidence.sheet.face_absent_reading``);
- ``mirror``: the view of the same sheet that is its mirror image (``evidence.sheet.
  mirror_partners``): the two are turned opposite ways, so what the partner's own readers
  saw (a left profile, a front) says what this one is (a right profile, a back).

Each reading's weight comes from its own confidence (thresholds.POSE_READERS); the
decision's posterior probability is the view's confidence, so a view no reader is sure of
stays under ``UNSURE_BELOW`` and is flagged for the creator to declare. ``yaw_deg`` is a
measured angle that agrees with the class, else null. The creator's word (``--views``)
overrides all of it (``apply_declaration``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .. import thresholds as T
from ..data import VIEW_CLASSES, Pose, Source, View, classify_yaw, coarse_class
from ..evidence.sheet import (CLASSES, Reading, caption_target, class_reading, face_absent_reading, fuse, labels_for_views,
                              mirror_partners, mirror_reading, turn_readings, turn_rows, yaw_reading)
from ..evidence.silhouette import classify_sheet, measure_shape
from ..evidence.text import name_label

# Evidence strong enough, when confident, to question a class the creator declared.
STRONG_METHODS = ("face_landmarks", "label", "body")


class PoseEstimator:
    """Holds the pose readers for the whole run (each loads its model on first use)."""

    def __init__(self):
        from ..evidence.body import BodyPoseReader
        from ..evidence.face import FaceAnalyzer
        from ..evidence.text import TextReader

        self.faces = FaceAnalyzer()
        self.body = BodyPoseReader()
        # 960 px reads every devdata caption, 3840-wide sheets included, in 2/3 of 1280's time.
        self.text = TextReader(max_side=960)

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
        self.body.close()
        self.text.close()


@dataclass(frozen=True)
class ViewEvidence:
    """What each reader saw in one view (None: that reader had nothing to say)."""

    face: Pose
    body_yaw: float | None = None
    body_confidence: float = 0.0
    shape: Pose | None = None
    label: object | None = None  # evidence.text.LabelMatch: a caption printed on the sheet
    filename: object | None = None  # evidence.text.LabelMatch: what the file's name says
    # No face found here though the face models found one in another view of the sheet.
    face_absent: bool = False
    # The view of the same sheet that is this one's mirror image (index among the views
    # estimated together), and the class posterior that view's own readers gave it.
    mirror_partner: int | None = None
    mirror_posterior: np.ndarray | None = None
    # What the view's neighbours in a turnaround row say (``evidence.sheet.turn_readings``).
    turn: Reading | None = None

    def as_dicts(self) -> tuple[dict, ...]:
        """Each reader's raw say, rounded for the manifest."""
        out = []
        if self.mirror_partner is not None:
            out.append({"method": "mirror", "view": self.mirror_partner + 1})
        if self.face_absent:
            out.append({"method": "face_absent"})
        if self.turn is not None:
            out.append({"method": "turn", "yaw_deg": round(self.turn.yaw_deg, 1)})
        for method, label in (("label", self.label), ("filename", self.filename)):
            if label is not None:
                out.append({"method": method, "view": label.coarse, "side_word": label.side_word,
                            "facing": label.facing, "text": label.text})
        face = self.face
        if face.method != "none" and face.yaw_deg is not None:
            out.append({"method": face.method, "view": face.view, "yaw_deg": round(face.yaw_deg, 1),
                        "confidence": round(face.confidence, 3)})
        if self.body_yaw is not None:
            out.append({"method": "body", "view": classify_yaw(self.body_yaw), "yaw_deg": round(self.body_yaw, 1),
                        "confidence": round(self.body_confidence, 3)})
        if self.shape is not None and self.shape.view != "unknown":
            out.append({"method": "silhouette", "view": self.shape.view,
                        "confidence": round(self.shape.confidence, 3)})
        return tuple(out)


def figure_face_yaw(yaw_deg: float, method: str) -> float:
    """A face reader's yaw on a sheet figure, undoing the models' under-reading of drawn and
    rendered heads (thresholds.FIGURE_FACE_YAW_KNOTS); photos need no correction.

    Examples
    --------
    >>> figure_face_yaw(-25.0, "face_landmarks"), figure_face_yaw(62.0, "face_landmarks")
    (-41.25, 90.0)
    """
    measured, true = zip(*T.FIGURE_FACE_YAW_KNOTS[method])
    return float(np.copysign(np.interp(abs(yaw_deg), measured, true), yaw_deg))


def readings(evidence: ViewEvidence, photo: bool = False) -> list[Reading]:
    """The evidence of one view as readings for ``fuse``, each weighed by its reader's
    confidence as thresholds.POSE_READERS says."""
    out = []
    face = evidence.face
    if face.method != "none" and face.yaw_deg is not None:
        weight = T.POSE_READERS["face_photo" if photo else face.method]
        yaw = face.yaw_deg if photo else figure_face_yaw(face.yaw_deg, face.method)
        out.append(yaw_reading(face.method, yaw, weight["reliability"] * face.confidence, weight["spread_deg"]))
    if evidence.body_yaw is not None and evidence.body_confidence >= T.BODY_MIN_CONFIDENCE:
        weight = T.POSE_READERS["body"]
        out.append(yaw_reading("body", evidence.body_yaw, weight["reliability"] * evidence.body_confidence,
                               weight["spread_deg"]))
    if evidence.shape is not None and evidence.shape.view != "unknown":
        weight = T.POSE_READERS["silhouette"]
        side = evidence.shape.view.rsplit("_", 1)[-1] if evidence.shape.view.endswith(("_left", "_right")) else None
        out.append(class_reading("silhouette", coarse_class(evidence.shape.view),
                                 weight["reliability"] * evidence.shape.confidence, side, weight["side_weight"]))
    if evidence.face_absent and not photo:
        out.append(face_absent_reading(T.FACE_ABSENT_RATE, T.POSE_READERS["face_absent"]["reliability"]))
    if evidence.mirror_posterior is not None:
        out.append(mirror_reading(evidence.mirror_posterior, T.POSE_READERS["mirror"]["reliability"]))
    if evidence.turn is not None:
        out.append(evidence.turn)
    for method, label in (("label", evidence.label), ("filename", evidence.filename)):
        if label is None:
            continue
        weight = T.POSE_READERS[method]
        if label.facing:
            side, side_weight = label.facing, weight["facing_weight"]
        else:
            # A printed LEFT/RIGHT most often names the side of the character shown (a left
            # profile faces the image's right); only a small say, the image decides.
            side, side_weight = {"left": "right", "right": "left"}.get(label.side_word), weight["side_weight"]
        out.append(class_reading(method, label.coarse, weight["reliability"], side, side_weight))
    return out


def decide(evidence: ViewEvidence, photo: bool = False) -> Pose:
    """One view's pose from all its evidence (``unknown`` with confidence 0 when none)."""
    face = evidence.face
    found = {"face_box": face.face_box, "face_count": face.face_count, "face_score": face.face_score,
             "eye_distance_px": face.eye_distance_px, "keypoints": face.keypoints, "evidence": evidence.as_dicts()}
    decision = fuse(readings(evidence, photo))
    if decision is None:
        return Pose(view="unknown", confidence=0.0, method="none", **found)
    # Pitch and roll come from the face mesh alone, and only where its yaw agrees.
    face_agrees = face.method != "none" and face.view == decision.view
    return Pose(view=decision.view, yaw_deg=decision.yaw_deg,
                pitch_deg=face.pitch_deg if face_agrees else None,
                roll_deg=face.roll_deg if face_agrees else None,
                confidence=round(decision.confidence, 3), method=decision.method, **found)


def estimate_poses(views: list[View], estimator: PoseEstimator, progress=None,
                   sources: list[Source] | None = None, texts: list[list] | None = None) -> list[View]:
    """Run the pose stage on every view (on the original pixels, not the cleaned ones).

    Views of one source are read together: printed labels are read once over the whole
    sheet (or taken from ``texts``, what the split read on each source) and given to the
    views they caption, and the outline cues compare siblings.
    """
    faces, bodies = [], []
    for view in views:
        image = np.ascontiguousarray(view.image)
        faces.append(estimator.estimate(image))
        # Busts and head tiles too: the body reader's own confidence falls where no legs show.
        bodies.append(estimator.body.read(image, view.subject_mask))
        if progress:
            progress()
    shapes: list[Pose | None] = [None] * len(views)
    labels: list[object | None] = [None] * len(views)
    names: list[object | None] = [None] * len(views)
    groups = _sheet_groups(views)
    for members in groups:
        evidence = [measure_shape(views[i].image, views[i].subject_mask) for i in members]
        for i, pose in zip(members, classify_sheet(evidence)):
            # In a photo the face models see any visible face; the outline can only add
            # that a faceless person is seen from behind.
            if views[i].kind == "photo" and pose is not None and pose.view != "back":
                pose = None
            shapes[i] = pose
    for source_index in sorted({v.source_index for v in views}):
        members = [i for i, v in enumerate(views) if v.source_index == source_index]
        if sources is not None and len(members) == 1:
            # One view per file: the creator may have named it ("hero_front.png").
            names[members[0]] = name_label(Path(sources[source_index].path).stem)
        if sources is not None and len(members) >= 2:
            boxes = [views[i].bbox for i in members]
            lines = texts[source_index] if texts is not None else estimator.text.read(
                sources[source_index].rgb, where=lambda box: caption_target(box, boxes) is not None)
            for i, label in zip(members, labels_for_views(lines, boxes)):
                labels[i] = label
    absent = [False] * len(views)
    for members in groups:
        seen = [faces[i].method != "none" and faces[i].yaw_deg is not None for i in members]
        if any(seen):
            for i, found in zip(members, seen):
                absent[i] = not found
    evidence = [ViewEvidence(face, body.yaw_deg, body.confidence, shape, label, name, face_absent=missing)
                for face, body, shape, label, name, missing in zip(faces, bodies, shapes, labels, names, absent)]
    # Mirror images on one sheet are turned opposite ways: each view hears what its partner's
    # own readers said (one message each way, so no view's evidence counts twice).
    own = [fuse(readings(e, photo=v.kind == "photo")) for e, v in zip(evidence, views)]
    for i, partner in enumerate(_mirror_partners(views)):
        if partner is not None:
            posterior = own[partner].posterior if own[partner] is not None else np.full(len(CLASSES), 1 / len(CLASSES))
            evidence[i] = replace(evidence[i], mirror_partner=partner, mirror_posterior=posterior)
    # An unsure view between sure ones in a turnaround row faces in between.
    weight = T.POSE_READERS["turn"]
    for row in _turn_rows(views):
        for i, turn in zip(row, turn_readings([own[i] for i in row], T.UNSURE_BELOW, weight["reliability"],
                                              weight["spread_deg"])):
            if turn is not None:
                evidence[i] = replace(evidence[i], turn=turn)
    return [replace(view, pose=decide(e, photo=view.kind == "photo")) for view, e in zip(views, evidence)]


def _turn_rows(views: list[View]) -> list[list[int]]:
    """The turnaround rows of each source, left to right (indices in ``views``)."""
    rows = []
    for source_index in sorted({v.source_index for v in views}):
        members = [i for i, v in enumerate(views) if v.source_index == source_index]
        rows += [[members[j] for j in row] for row in turn_rows([views[i].bbox for i in members])]
    return rows


def _sheet_groups(views: list[View]) -> list[list[int]]:
    """The views compared with each other (indices in ``views``): those of each multi-view
    source, and the figures of all single-view files together, as if on one sheet (one
    character's views cut apart, ``refprep split`` fed back to ``build``); a photo alone."""
    by_source = [[i for i, v in enumerate(views) if v.source_index == s] for s in sorted({v.source_index for v in views})]
    groups = [members for members in by_source if len(members) >= 2]
    singles = [members[0] for members in by_source if len(members) == 1]
    figures = [i for i in singles if views[i].kind != "photo"]
    return groups + ([figures] if figures else []) + [[i] for i in singles if views[i].kind == "photo"]


def _mirror_partners(views: list[View]) -> list[int | None]:
    """Each view's mirror partner among the views it is compared with (``_sheet_groups``)."""
    partners: list[int | None] = [None] * len(views)
    for members in _sheet_groups(views):
        if len(members) < 2:
            continue
        matches = mirror_partners([views[i].image for i in members], [views[i].subject_mask for i in members],
                                  min_outline=T.MIRROR_MIN_OUTLINE, min_gain=T.MIRROR_MIN_GAIN)
        for i, match in zip(members, matches):
            if match is not None:
                partners[i] = members[match.partner]
    return partners


# --- the creator's word ----------------------------------------------------------------------

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
    agrees = coarse_class(measured.view) == coarse_class(declared) and measured.view.split("_")[-1] == declared.split("_")[-1]
    strong = measured.method in STRONG_METHODS and measured.confidence >= T.FACE_TRUSTED_CONFIDENCE
    conflict = None
    if strong and measured.view != "unknown" and coarse_class(measured.view) != coarse_class(declared):
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
