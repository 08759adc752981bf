"""Export presets: what each video generator accepts as reference images, as data.

One ``Preset`` per target: which views it wants (required, recommended, how many), the file
limits it enforces (formats, pixel sides, aspect ratio, bytes), how refprep encodes for it,
and overrides of the quality thresholds in ``thresholds.QUALITY_THRESHOLDS`` by check id.
Every limit names where it comes from in ``sources``; ``refprep presets`` prints them.

Pure data and the standard library only: ``refprep presets`` must start without numpy.
``rules.py`` judges a package against a preset, ``export.py`` builds one to fit it.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field

from ..errors import UsageError
from ..thresholds import QUALITY_THRESHOLDS

# Coarse groups a preset asks for; each view class falls in one. The order is the order
# views are chosen and written in: the frontal first, the back last.
VIEW_GROUPS = {
    "front": ("front",),
    "three_quarter": ("three_quarter_left", "three_quarter_right"),
    "side": ("side_left", "side_right"),
    "back": ("back",),
}
GROUP_ORDER = tuple(VIEW_GROUPS)
# The slot of the head close-up ``--closeup`` adds after the views: an extra reference image,
# never the frontal one.
CLOSEUP_SLOT = "closeup"

# Vendors write "10MB"; decimal megabytes are the smaller reading, so a file under the
# decimal limit is under the binary one too.
MB = 1_000_000

# Formats refprep can write, with the file extension each gets.
FORMAT_EXTENSIONS = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}

# JPEG quality range searched when a PNG is over a preset's byte limit: 95 is visually
# lossless on flat-shaded art; under 80 block artefacts show along outlines and in hair,
# and the generator copies them, so refprep scales the image down rather than go lower.
JPEG_QUALITY_RANGE = (95, 80)

# Each vendor's page and the date its limits were read. "(checked ...)" means the wording was
# found in the page or an official API copy that date; "(issue 24, ...)" means the limit is as
# the issue recorded it from vendor documentation and could not be re-read here.
_KLING_DOC = ("Kling API image inputs (https://app.klingai.com/global/dev/document-api; same wording in "
              "https://docs.comfy.org/development/comfy-router/models/kling/kling-image-o1/code, checked 2026-12-07): "
              ".jpg/.jpeg/.png, at most 10MB, width and height at least 300px, aspect ratio between 1:2.5 and 2.5:1")
_KLING_ELEMENT_DOC = ("Kling API, POST /v1/general/advanced-custom-elements (https://app.klingai.com/global/dev/"
                      "document-api; same wording in https://docs.kkiai.com/Other-Model-APIs/kling-platform-api/"
                      "subject/advanced-custom-elements-api.html, checked 2026-12-07): "
                      "element_image_list.frontal_image plus 1 to 3 refer_images [{image_url}] that differ from it")
_KLING_4_DOC = ("Kling 4.0 API (https://app.klingai.com/global/dev/document-api; issue 24, 2026; up to 10 reference "
                "images and elements also in https://docs.comfy.org/tutorials/partner-nodes/kling/kling-image-4-0, "
                "checked 2026-12-07): up to 10 images per request including keyframes, each at least 300x300, "
                "aspect ratio 2:5 to 5:2, elements referenced by id")
_RUNWAY_DOC = ("Runway API, Inputs (https://docs.dev.runwayml.com/assets/inputs/; the image size limits, 16MB by URL "
               "and 5MB as a base64 data URI, checked there 2026-12-07; the rest issue 24, 2026): png/jpeg/webp, "
               "at most 3 referenceImages {uri, tag}, aspect ratio 0.5 to 2.0, each side under 8000 px, 16MB by URL, "
               "5MB as a base64 data URI")
_VIDU_DOC = ("Vidu reference2video (https://platform.vidu.com/docs/reference-to-video; official format copied in "
             "https://docs.octopusx.ai/en/videos/vidu/reference2video, checked 2026-12-07): subjects of at most 3 "
             "images, at most 7 images in all, png/jpeg/jpg/webp, at least 128x128, aspect ratio within 1:4 to 4:1, "
             "at most 50MB per image, the whole request body at most 20MB")
_VIDU_Q4_DOC = ("Vidu Q4 reference-to-video (https://platform.vidu.com/; up to 12 reference images also in "
                "https://wavespeed.ai/fr/vidu-q4-api, checked 2026-12-07; the aspect ratio issue 24, 2026): up to 12 "
                "images (15 in some copies; refprep takes the stricter 12), aspect ratio 1:5 to 5:1")
_HAILUO_DOC = ("MiniMax API, subject-reference video S2V-01 (https://platform.minimax.io/docs/api-reference/"
               "video-generation-s2v; same wording in "
               "https://gpt.morphogen.top/en/video/hailuo/reference-to-video.html, checked 2026-12-07): one "
               "character image, JPG/JPEG/PNG/WebP, under 20MB, short side over 300px, aspect ratio between 2:5 "
               "and 5:2")
_HAILUO_H3_DOC = ("MiniMax H3 reference images (https://platform.minimax.io/docs/; issue 24, 2026; up to 9 reference "
                  "images also in https://docs.inworld.ai/router/image-to-video, checked 2026-12-07): at most 9 "
                  "images, at least 256 px, aspect ratio 0.4 to 2.5")
_VEO_DOC = ("Gemini API, Veo 3.1 reference images (https://ai.google.dev/gemini-api/docs/video, checked 2026-12-07: "
            "up to three reference images; https://docs.cloud.google.com/vertex-ai/generative-ai/docs/video/"
            "use-reference-images-to-guide-video-generation, checked 2026-12-07: up to three asset images of a single "
            "person, character or product; the formats issue 24, 2026, where https://wavespeed.ai/models/google/"
            "veo3.1/reference-to-video/llms.txt also lists WebP and refprep keeps the stricter PNG and JPEG): up to 3 "
            "asset images of one subject, PNG or JPEG")
_SEEDANCE_DOC = ("BytePlus ModelArk, Seedance 2.0 video generation (https://docs.byteplus.com/en/docs/ModelArk/; at "
                 "most 9 reference images, at least 300x300 px and aspect ratio 0.4 to 2.5 also in "
                 "https://docs.comfy.org/zh/built-in-nodes/ByteDance2ReferenceNodeV2, checked 2026-12-07; the asset "
                 "library for real-human portraits in https://docs.byteplus.com/en/docs/ModelArk/2315856, checked "
                 "2026-12-07; that unregistered real faces are refused and stylised characters pass: issue 24, 2026): "
                 "at most 9 reference images, at least 300 px, aspect ratio 0.4 to 2.5; real or photoreal human faces "
                 "are refused unless registered in its asset library, stylised characters pass")
_WAN_DOC = ("Alibaba Model Studio, Wan 2.7 reference-to-video (https://www.alibabacloud.com/help/en/model-studio/; "
            "at most 5 references and 20MB each also in https://docs.evolink.ai/ and "
            "https://fal.ai/models/fal-ai/wan/v2.7/reference-to-video, sides 240 to 8000 px also in "
            "https://docs.oxen.ai/inference-api/reference/models/wan-v2-7-reference-to-video and "
            "https://docs.freepik.com/api-reference/reference-to-video/wan-2-7/overview, checked 2026-12-07; PNG "
            "without alpha issue 24, 2026): at most 5 reference images, sides 240 to 8000 px, at most 20MB, PNG "
            "without alpha")
_WAN_ASPECT_DOC = ("Wan 2.7 reference-to-video reference images, aspect ratio 1:8 to 8:1 "
                   "(https://docs.oxen.ai/inference-api/reference/models/wan-v2-7-reference-to-video, checked "
                   "2026-12-07; issue 24 named no aspect limit)")
_PIXVERSE_DOC = ("PixVerse platform API, Fusion (https://docs.platform.pixverse.ai/; png/webp/jpeg/jpg, at most "
                 "4000*4000 pixels and less than 20MB in https://docs.platform.pixverse.ai/upload-image-13016631e0, "
                 "checked 2026-12-07; V6 up to 7 reference images in https://docs.comfy.org/zh/built-in-nodes/"
                 "PixverseV6FusionVideoNode and https://www.atlascloud.ai/de/models/pixverse/v6/reference-to-video, "
                 "checked 2026-12-07, the 1 to 3 of PixVerse's earlier Fusion guide predating V6): V6 takes at most 7 "
                 "subject image_references, png/jpg/webp, at most 4000x4000, under 20MB")
_REFPREP = "refprep default"


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    generator: str = "any generator"
    # Accepted file formats ("png", "jpeg", "webp"); the first is what refprep writes.
    formats: tuple[str, ...] = ("png",)
    min_views: int = 1
    max_views: int | None = None
    # Every view found goes in (in sheet order), rather than the best one per group.
    include_all: bool = False
    required_views: tuple[str, ...] = ()
    recommended_views: tuple[str, ...] = ()
    # The first image must be the frontal view, and no other image may be frontal.
    frontal_first: bool = False
    # A head close-up cut from the front view may join the views as one more image
    # (``--closeup``), where the image count leaves room: only where the vendor's source says
    # its extra images are further pictures of the subject that may differ from the views.
    accepts_closeup: bool = False
    min_side: int | None = None
    max_side: int | None = None
    min_aspect: float | None = None  # width / height
    max_aspect: float | None = None
    max_bytes: int | None = None
    # Images with an alpha channel are accepted (``--background transparent``).
    transparency: bool = True
    # The generator refuses photographed (or photoreal) human faces: a warning names them.
    refuses_real_faces: bool = False
    # Limits of the vendor's request (``refprep request``): the longest data URI of one
    # image, and the largest JSON body, in bytes.
    max_data_uri_bytes: int | None = None
    max_request_bytes: int | None = None
    threshold_overrides: dict[str, dict[str, float]] = field(default_factory=dict)
    # Where each limit comes from, by rule id (see ``rules.RULES``).
    sources: dict[str, str] = field(default_factory=dict)

    def thresholds(self) -> dict[str, dict[str, float]]:
        merged = deepcopy(QUALITY_THRESHOLDS)
        for check_id, values in self.threshold_overrides.items():
            merged.setdefault(check_id, {}).update(values)
        return merged

    @property
    def aliases(self) -> tuple[str, ...]:
        """Earlier names of this preset that still select it."""
        return tuple(alias for alias, name in ALIASES.items() if name == self.name)

    def summary(self) -> str:
        """One line of the preset's numbers, e.g. 'formats png, jpeg; 2-4 images; sides >= 300 px'."""
        if self.include_all:
            count = "every view"
        elif self.max_views is None:
            count = f"{self.min_views}+ images"
        elif self.max_views == self.min_views:
            count = f"exactly {self.max_views} image" + ("s" if self.max_views > 1 else "")
        else:
            count = f"{self.min_views}-{self.max_views} images"
        parts = [f"formats {', '.join(self.formats)}", count]
        if self.required_views:
            parts.append("needs " + ", ".join(self.required_views) + (" first" if self.frontal_first else ""))
        if self.min_side:
            parts.append(f"sides >= {self.min_side} px")
        if self.max_side:
            parts.append(f"sides <= {self.max_side} px")
        if self.min_aspect or self.max_aspect:
            parts.append(f"width/height {self.min_aspect or 0:.2f}-{self.max_aspect or float('inf'):.2f}")
        if self.max_bytes:
            parts.append(f"<= {self.max_bytes / MB:.1f} MB")
        if self.accepts_closeup:
            parts.append("takes a head close-up")
        if not self.transparency:
            parts.append("no transparency")
        if self.refuses_real_faces:
            parts.append("warns on photographed faces")
        if self.max_data_uri_bytes:
            parts.append(f"data URI <= {self.max_data_uri_bytes / MB:.1f} MB")
        if self.max_request_bytes:
            parts.append(f"request <= {self.max_request_bytes / MB:.1f} MB")
        if self.threshold_overrides:
            parts.append("thresholds " + ", ".join(f"{k} {v}" for k, v in self.threshold_overrides.items()))
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {
            "name": self.name, "aliases": list(self.aliases), "generator": self.generator,
            "description": self.description,
            "formats": list(self.formats), "min_views": self.min_views, "max_views": self.max_views,
            "include_all": self.include_all, "required_views": list(self.required_views),
            "recommended_views": list(self.recommended_views), "frontal_first": self.frontal_first,
            "accepts_closeup": self.accepts_closeup,
            "min_side": self.min_side, "max_side": self.max_side, "min_aspect": self.min_aspect,
            "max_aspect": self.max_aspect, "max_bytes": self.max_bytes, "transparency": self.transparency,
            "refuses_real_faces": self.refuses_real_faces, "max_data_uri_bytes": self.max_data_uri_bytes,
            "max_request_bytes": self.max_request_bytes,
            "threshold_overrides": self.threshold_overrides, "sources": dict(self.sources),
            "summary": self.summary(),
        }


# Kling's frontal + 1..3 more views, Runway's 3 references, Vidu's 3 per subject...: the
# views every preset that takes several images prefers, in this order.
_TURNAROUND = ("front", "three_quarter", "side")
_TURNAROUND_SOURCE = {"recommended": f"{_REFPREP}: front, three-quarter and side cover a character's turns"}
_KLING_LIMITS = dict(formats=("png", "jpeg"), min_side=300, min_aspect=1 / 2.5, max_aspect=2.5, max_bytes=10 * MB)
# Vidu's whole request body, images as base64 data URIs included.
_VIDU_BODY = 20 * MB


def _cite(doc: str, *rules: str, **more: str) -> dict[str, str]:
    """Sources by rule id: ``doc`` for each of ``rules``, plus ``more`` as given."""
    return {**{rule: doc for rule in rules}, **more}


_KLING_SOURCES = _cite(_KLING_DOC, "formats", "min_side", "aspect", "max_bytes")

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="generic",
            generator="any generator",
            description="Every view found, front, three-quarter and side expected, as PNG on the background.",
            include_all=True,
            required_views=("front",),
            recommended_views=("three_quarter", "side"),
            max_side=2048,
            # No generator's count to keep to: a close-up asked for goes in.
            accepts_closeup=True,
            sources={
                "formats": f"{_REFPREP}: lossless PNG keeps the background exactly flat",
                "closeup": f"{_REFPREP}: every view found, and a head close-up when one is asked for",
                "required": f"{_REFPREP}: every generator's reference guide asks for a clear frontal view",
                "recommended": f"{_REFPREP}: three-quarter and side views keep the character consistent in turns",
                "max_side": f"{_REFPREP}: 2048 px long side, more detail than generators working at 720p-1080p use",
            },
        ),
        Preset(
            name="kling-element",
            generator="Kling 3.0 / O1 Subject Library and element binding",
            description="A frontal image first, then 1 to 3 other views of the same subject.",
            min_views=2,
            max_views=4,
            required_views=("front",),
            recommended_views=("three_quarter", "side"),
            frontal_first=True,
            # refer_images are the 1-3 images that differ from the frontal one: a close-up of
            # the face is such an image (it is never the frontal_image).
            accepts_closeup=True,
            **_KLING_LIMITS,
            sources={
                **_KLING_SOURCES,
                "views": _KLING_ELEMENT_DOC,
                "closeup": _KLING_ELEMENT_DOC + " (a head close-up is one of the refer_images, after the views)",
                "required": _KLING_ELEMENT_DOC + " (the frontal image is required)",
                "frontal_first": _KLING_ELEMENT_DOC,
                "recommended": f"{_REFPREP}: three-quarter and side views are what the extra slots are for",
            },
        ),
        Preset(
            name="kling-omni",
            generator="Kling O1 / 3.0 Omni reference images",
            description="Up to 4 views (7 images per request, 4 when a reference video is attached).",
            max_views=4,
            recommended_views=_TURNAROUND,
            **_KLING_LIMITS,
            sources={
                **_KLING_SOURCES, **_TURNAROUND_SOURCE,
                "views": ("Kling Omni API (https://app.klingai.com/global/dev/document-api; as read for refprep 0.1, "
                          "2026): at most 7 reference images and elements, 4 with a reference video; refprep takes "
                          "4 so the package fits both"),
            },
        ),
        Preset(
            name="kling-4",
            generator="Kling 4.0 reference images",
            description="Up to 8 views, leaving 2 of the request's 10 images for a first and a last keyframe.",
            max_views=8,
            recommended_views=_TURNAROUND,
            formats=("png", "jpeg"),
            min_side=300,
            min_aspect=0.4,
            max_aspect=2.5,
            max_bytes=10 * MB,
            # Its reference images are any pictures of the element, not fixed views.
            accepts_closeup=True,
            sources=_cite(_KLING_4_DOC, "min_side", "aspect", "closeup", **_TURNAROUND_SOURCE,
                          formats=_KLING_DOC, max_bytes=_KLING_DOC,
                          views=_KLING_4_DOC + "; refprep takes 8 so a first and a last keyframe still fit"),
        ),
        Preset(
            name="runway-gen4",
            generator="Runway Gen-4 References",
            description="Up to 3 references, small enough to send inline as data URIs.",
            formats=("png", "jpeg", "webp"),
            max_views=3,
            recommended_views=_TURNAROUND,
            max_side=7999,
            min_aspect=0.5,
            max_aspect=2.0,
            # A data URI is base64 (4/3 of the raw bytes) under 5MB; 3.3MB raw leaves room
            # for the header and for 16MB-by-URL uploads alike.
            max_bytes=int(3.3 * MB),
            max_data_uri_bytes=5 * MB,
            sources=_cite(_RUNWAY_DOC, "formats", "max_side", "aspect", "data_uri", **_TURNAROUND_SOURCE,
                          max_bytes=_RUNWAY_DOC + "; 5MB of base64 is 3.75MB raw, refprep keeps 3.3MB",
                          views=_RUNWAY_DOC),
        ),
        Preset(
            name="vidu-q2",
            generator="Vidu Q2 reference-to-video",
            description="One subject of up to 3 images (Vidu takes 7 in all, 3 per subject).",
            formats=("png", "jpeg", "webp"),
            max_views=3,
            recommended_views=_TURNAROUND,
            min_side=128,
            min_aspect=0.25,
            max_aspect=4.0,
            max_bytes=50 * MB,
            max_request_bytes=_VIDU_BODY,
            # A subject is a set of images of one character, not fixed views.
            accepts_closeup=True,
            sources=_cite(_VIDU_DOC, "formats", "min_side", "aspect", "max_bytes", "request_bytes",
                          **_TURNAROUND_SOURCE, views=_VIDU_DOC + " (one character is one subject)",
                          closeup=_VIDU_DOC + " (a head close-up is one more image of the subject)"),
        ),
        Preset(
            name="vidu-q4",
            generator="Vidu Q4 reference-to-video",
            description="Up to 12 images of the subject.",
            formats=("png", "jpeg", "webp"),
            max_views=12,
            recommended_views=_TURNAROUND,
            min_side=128,
            min_aspect=0.2,
            max_aspect=5.0,
            max_bytes=50 * MB,
            max_request_bytes=_VIDU_BODY,
            # As Q2: the subject's images are any pictures of the character.
            accepts_closeup=True,
            sources=_cite(_VIDU_Q4_DOC, "views", "aspect", **_TURNAROUND_SOURCE,
                          closeup=_VIDU_DOC + " (a head close-up is one more image of the subject)",
                          formats=_VIDU_DOC + " (not restated for Q4)", min_side=_VIDU_DOC + " (not restated for Q4)",
                          max_bytes=_VIDU_DOC + " (not restated for Q4)",
                          request_bytes=_VIDU_DOC + " (the same reference2video endpoint)"),
        ),
        Preset(
            name="hailuo-s2v",
            generator="MiniMax Hailuo S2V-01 subject reference",
            description="Exactly one image: the frontal view with one human face.",
            formats=("png", "jpeg", "webp"),
            max_views=1,
            required_views=("front",),
            min_side=301,  # "short side greater than 300px"
            min_aspect=0.4,
            max_aspect=2.5,
            max_bytes=20 * MB - 1,  # "under 20MB"
            threshold_overrides={
                # One image carries the whole identity: there is no other view to average a
                # tilt out or to add facial detail, so both are held to a stricter standard.
                "pose_extreme": {"warn": 15.0, "fail": 30.0},
                "face_size": {"warn": 120, "fail": 60},
            },
            sources=_cite(_HAILUO_DOC, "formats", "min_side", "aspect", "max_bytes",
                          views=_HAILUO_DOC + " (subject_reference takes a single image)",
                          required=_HAILUO_DOC + " (subject type character: a human face)",
                          thresholds=f"{_REFPREP}: one reference image, so tilt and small faces weigh more"),
        ),
        Preset(
            name="hailuo-h3",
            generator="MiniMax Hailuo H3 reference images",
            description="Up to 9 images of the subject.",
            formats=("png", "jpeg", "webp"),
            max_views=9,
            recommended_views=_TURNAROUND,
            min_side=256,
            min_aspect=0.4,
            max_aspect=2.5,
            max_bytes=20 * MB - 1,
            sources=_cite(_HAILUO_H3_DOC, "views", "min_side", "aspect", **_TURNAROUND_SOURCE,
                          formats=_HAILUO_DOC + " (MiniMax's image formats, not restated for H3)",
                          max_bytes=_HAILUO_DOC + " (MiniMax's image size limit, not restated for H3)"),
        ),
        Preset(
            name="veo-3.1",
            generator="Google Veo 3.1 ingredients (reference images)",
            description="Up to 3 asset images of the single subject.",
            formats=("png", "jpeg"),
            max_views=3,
            recommended_views=_TURNAROUND,
            max_bytes=10 * MB,
            sources=_cite(_VEO_DOC, "formats", "views", **_TURNAROUND_SOURCE,
                          max_bytes=f"{_REFPREP}: no size limit documented; 10MB is what the other generators accept"),
        ),
        Preset(
            name="seedance-2",
            generator="ByteDance Seedance 2.0 reference images",
            description="Up to 9 images; photographed human faces are refused unless registered with the vendor.",
            formats=("png", "jpeg", "webp"),
            max_views=9,
            recommended_views=_TURNAROUND,
            min_side=300,
            min_aspect=0.4,
            max_aspect=2.5,
            refuses_real_faces=True,
            sources=_cite(_SEEDANCE_DOC, "views", "min_side", "aspect", "real_faces", **_TURNAROUND_SOURCE,
                          formats=_SEEDANCE_DOC + " (jpeg, png and webp among the formats it lists)"),
        ),
        Preset(
            name="wan-2.7",
            generator="Alibaba Wan 2.7 reference-to-video",
            description="Up to 5 reference images, opaque PNG or JPEG.",
            formats=("png", "jpeg"),
            max_views=5,
            recommended_views=_TURNAROUND,
            min_side=240,
            max_side=8000,
            min_aspect=1 / 8,
            max_aspect=8.0,
            max_bytes=20 * MB,
            transparency=False,
            sources=_cite(_WAN_DOC, "views", "min_side", "max_side", "max_bytes", "transparency",
                          **_TURNAROUND_SOURCE, formats=_WAN_DOC + " (JPEG and PNG among the formats it lists)",
                          aspect=_WAN_ASPECT_DOC),
        ),
        Preset(
            name="pixverse-v6",
            generator="PixVerse V6 Fusion (reference-to-video)",
            description="Up to 7 subject images, each at most 4000x4000.",
            formats=("png", "jpeg", "webp"),
            max_views=7,
            recommended_views=_TURNAROUND,
            max_side=4000,
            max_bytes=20 * MB - 1,  # "under 20MB"
            sources=_cite(_PIXVERSE_DOC, "formats", "views", "max_side", "max_bytes", **_TURNAROUND_SOURCE),
        ),
    )
}

# Earlier preset names, kept working: packages and scripts made with them still validate.
ALIASES = {"vidu-reference": "vidu-q2", "veo-ingredients": "veo-3.1", "pixverse-fusion": "pixverse-v6"}
PRESET_NAMES = (*PRESETS, *ALIASES)


def find_preset(name: str) -> Preset | None:
    """The preset called ``name`` (or an alias of it), or None."""
    return PRESETS.get(ALIASES.get(name, name))


def get_preset(name: str) -> Preset:
    preset = find_preset(name)
    if preset is None:
        raise UsageError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return preset


def view_group(view_class: str) -> str | None:
    for group, classes in VIEW_GROUPS.items():
        if view_class in classes:
            return group
    return None
