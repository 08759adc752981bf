"""Every tunable number refprep uses, in one place, each with the reason for its value.

Stage modules import these constants; quality thresholds are collected in
``QUALITY_THRESHOLDS`` so a preset (see ``presets.py``) can override any of them by id.
"""

from __future__ import annotations

# --- load -------------------------------------------------------------------------------
# 100 megapixels: a 24 MP sheet is normal, 100 MP RGB is already ~300 MB decoded; beyond
# that an image is a decompression bomb or a mistake.
MAX_IMAGE_PIXELS = 100_000_000
# 1 GiB: an uncompressed 100-megapixel 16-bit RGBA TIFF is 800 MB; a bigger file is not an
# image refprep could use, and it is read into memory whole (once) before it is decoded.
MAX_FILE_BYTES = 2**30

# --- split ------------------------------------------------------------------------------
# The strip along the image edge that is assumed to show backdrop, as a fraction of the
# shorter side (at least BORDER_MIN_PX): wide enough to average paper texture and noise,
# narrow enough to stay clear of figures placed close to the edge.
BORDER_FRACTION = 0.015
BORDER_MIN_PX = 3
# Residual std (0..255) of the border around a fitted smooth background above which the
# border is not a backdrop but a scene: the image is treated as a photo (one view).
CLUTTERED_BORDER_STD = 14.0
# Share of border pixels that may differ from the backdrop (figures touching the edge, a
# frame line) before the border as a whole stops counting as backdrop.
BORDER_OUTLIER_SHARE = 0.25
# A pixel belongs to a figure when its colour is this far (RGB Euclidean, 0..441) from the
# backdrop model, or BACKGROUND_NOISE_FACTOR times the border noise if that is larger:
# large enough to ignore JPEG noise and paper grain, small enough to keep pale clothing.
FOREGROUND_MIN_DISTANCE = 28.0
BACKGROUND_NOISE_FACTOR = 4.0
# Alpha below this (0..255) is background in files that carry transparency.
ALPHA_BACKGROUND_BELOW = 16
# Connected pieces smaller than this share of the (work-scale) image are specks: dust,
# JPEG noise. Small enough to keep the glyphs of a caption, which become annotations.
SPECK_AREA_SHARE = 0.00005
# Work on a copy whose longer side is at most this when finding figures: component
# analysis does not need full resolution and stays fast on 24 MP sheets.
SPLIT_WORK_LONG_SIDE = 1600
# A piece is a view candidate when its height is at least this share of the tallest
# piece's height and its area this share of the largest piece's area: text labels,
# swatches and stray marks are much smaller than a character.
VIEW_MIN_HEIGHT_SHARE = 0.35
VIEW_MIN_AREA_SHARE = 0.08
# Two view-sized pieces whose boxes overlap by more than this share of the smaller box are
# one subject (sheet views stand apart; a dark photo on black padding breaks into pieces).
VIEW_MERGE_OVERLAP = 0.2
# A smaller piece (hair strand, prop, tail) joins the nearest view when the gap between
# their boxes is below this share of that view's height; farther pieces are annotations.
ATTACH_GAP_SHARE = 0.12
# ...but a piece lying wholly below the feet or above the head, farther than this share of
# the view's height, is a caption or title, not part of the figure (a floor shadow touches).
CAPTION_GAP_SHARE = 0.02
# Touching figures: a view-sized piece wider than this many median view widths is looked at
# for several heads:
# stretches of its top outline within HEAD_BAND_SHARE of its height from the highest point,
# at least HEAD_MIN_WIDTH_SHARE of its height wide (a staff tip is narrower).
TOUCHING_MIN_WIDTH_RATIO = 1.25
# Siblings for that comparison are pieces at least this share of the tallest's height: one
# character's views stand equally tall; a photo's second blob (a shoulder, a hand) does not.
TOUCHING_SIBLING_HEIGHT_SHARE = 0.8
# The parts of a cut piece are views of one character: no part may be more than this many
# times wider than another.
TOUCHING_PART_WIDTH_RATIO = 2.5
HEAD_BAND_SHARE = 0.15
HEAD_MIN_WIDTH_SHARE = 0.05
# A piece whose pixels fill less than this share of its box, and whose box holds another
# piece, is a drawn panel frame (a ring), not a figure.
FRAME_MAX_FILL = 0.15
# A mark standing apart beside a figure (a gap of more than CAPTION_GAP_SHARE) and shorter
# than this share of its height is a side label, not a detached part of the figure.
SIDE_MARK_HEIGHT_SHARE = 0.08
# A view-sized piece filling at least this share of its box is a panel (a tile of another
# colour, a gallery cell): its inside is split again against the panel's own backdrop,
# read from a border inset by PANEL_INSET_SHARE of its shorter side (past rounded corners).
PANEL_MIN_FILL = 0.97
PANEL_INSET_SHARE = 0.03
# When a panel's figure covers much of its border, its backdrop is read from the top edge
# and this upper share of the sides only.
PANEL_TOP_BORDER_SHARE = 0.4
# Leftover marks closer than this share of their height join into one annotation (the
# letters of a caption are reported as one label, not one per letter).
MARK_JOIN_SHARE = 1.2
# Margin added around every view's box on the shared canvas, as a share of the tallest
# view's height: generators crop tight subjects badly, and the spec asks for sensible margins.
VIEW_MARGIN_SHARE = 0.06
# More separate figures than this in one image is not a character sheet (a sprite atlas, a
# crowd, a page of specks): every view costs a segmentation and a face-model pass (~0.4 s on
# a laptop core), so the run would take minutes; refprep refuses it instead.
MAX_VIEWS_PER_IMAGE = 64
# A view shorter than this share of its sheet's tallest view is a close-up (a head study
# beside full-body views).
CLOSE_UP_HEIGHT_SHARE = 0.6
# Canvases are padded so neither side is more than this many times the other: Kling
# accepts 1:2.5 to 2.5:1 and Runway 1:2 to 2:1, so a tall full-body figure is padded to 1:2.
CANVAS_MAX_ASPECT = 2.0
# When the figures cover more than this share of a (plain-backdrop) image, or only one
# figure is found, the image is one view (a portrait photo, a single character).
SINGLE_VIEW_COVERAGE = 0.55

# --- clean ------------------------------------------------------------------------------
# Matte values (0..1) below which a pixel is pure background and above which pure subject:
# u2netp's soft output is noisy near 0 and 1, and SPEC wants an exactly flat background.
ALPHA_CLEAR_BELOW = 0.06
ALPHA_SOLID_ABOVE = 0.94
# Matte pixels this far (in backdrop-distance units) from the known backdrop colour are
# certainly subject, whatever the saliency model says: keeps pale clothing on pale paper.
CERTAIN_SUBJECT_DISTANCE = 60.0
# Backdrop-coloured holes enclosed by a figure and smaller than this share of its area
# (eye whites, a collar, a button) are judged by the saliency model; larger ones (between
# arm and torso, between the legs) are backdrop showing through.
ENCLOSED_HOLE_KEEP_SHARE = 0.003

# --- pose -------------------------------------------------------------------------------
# View class boundaries on |yaw| in degrees, fixed by the spec.
FRONT_MAX_YAW = 22.5
THREE_QUARTER_MAX_YAW = 67.5
SIDE_MAX_YAW = 112.5

# Faces whose box is smaller than this (pixels) are not used for pose: the mesh input would
# be upscaled 6x, random texture produces detector hits at that size, and on the devdata
# 6-view strip a 21 px face read front for a three-quarter view.
MIN_FACE_BOX_PX = 32

# A face measurement below this confidence is not used: on stylised art the detector fires
# on eyes-like shapes and the mesh rejects the crop (confidence ~0.1); such readings had
# the wrong sign on devdata sheets, and a wrong class is worse than "unknown".
MIN_POSE_CONFIDENCE = 0.15

# A face reading at or above this confidence decides the view on its own; weaker readings
# are weighed against the silhouette evidence (stylised faces fool the face models).
FACE_TRUSTED_CONFIDENCE = 0.5

# Silhouette evidence (silhouette.py), measured on devdata sheets and the generated fixtures:
# figures at least this many times taller than wide are full-body (head = top 15% of the
# height), others are busts (head = top 45%).
FULL_BODY_ASPECT = 1.6
HEAD_SHARE_FULL_BODY = 0.15
HEAD_SHARE_BUST = 0.45
# Figures smaller than this (pixels), or heads with fewer skin pixels, give no shape cues.
SHAPE_MIN_PIXELS = 400
SHAPE_MIN_SKIN_PIXELS = 10
# Skin colour in HSV (hue in degrees, saturation and value 0..1): warm hues only, moderate
# saturation (red hair is more saturated), not dark (brown hair and shadows are darker).
SKIN_HUE_MAX = 28.0
SKIN_HUE_WRAP = 340.0
SKIN_SATURATION = (0.12, 0.62)
SKIN_VALUE_MIN = 0.35
# Mirror IoU at or above which a figure is seen from the front or the back: devdata fronts and
# backs score 0.91-0.98, three-quarter views 0.47-0.85, profiles 0.41-0.86.
SYMMETRIC_VIEW = 0.88
# Head regions with less skin than this share show no face: the back of the head (devdata
# backs 0.00-0.03 except a dark-faced creature, fronts 0.02-0.43).
FACE_COLOUR_MIN_SHARE = 0.015
# Of the two symmetric views of a turnaround, the front shows at least this many times more
# face colour or, failing that, this much more head detail (eyes, mouth; devdata and fixture
# front/back pairs: 1.2x for a dark-faced creature, 2-5x for the others).
FRONT_BACK_FACE_RATIO = 2.0
FRONT_BACK_DETAIL_RATIO = 1.15
# A head with no face colour is a back view only if the outline is at least this symmetric
# (devdata backs 0.74-0.98; a faceless profile scored 0.62).
BACK_MIN_SYMMETRY = 0.7
# Skin centroid offset from the head centre, in head widths: under this the face looks at
# the camera; the sign says where the nose points; beyond SIDE_FACE_OFFSET (single images,
# no siblings to compare widths with) it is a profile.
FACE_OFFSET_CENTRED = 0.08
FACE_OFFSET_MIN_DIRECTION = 0.02
SIDE_FACE_OFFSET = 0.25
# In a sheet of at least SHEET_MIN_VIEWS views, a view narrower than this share of the
# widest is a side view (shoulders edge-on): devdata profiles 0.57-0.83, 3/4 views 0.94-1.0.
SHEET_MIN_VIEWS = 3
SIDE_WIDTH_RATIO = 0.86
# Highest confidence the silhouette evidence ever claims: it has no face to measure.
SILHOUETTE_CONFIDENCE = 0.45

# --- quality ----------------------------------------------------------------------------
# Each entry: check id -> {"warn": value, "fail": value}. Direction (low or high is bad) is
# fixed by the check itself in quality.py; the numbers are what presets override.
QUALITY_THRESHOLDS: dict[str, dict[str, float]] = {
    # Pixels the generator gets: the subject's longer side, at most the source's shorter side
    # (for a photo: its shorter side). Video generators render 720p-1080p: under 720 px the
    # reference is upscaled; under 512 px (devdata's own "low_res" line) it is upscaled 1.4x
    # or more even for 720p and much of the detail is invented.
    "resolution": {"warn": 720, "fail": 512},
    # Face box height in pixels (BlazeFace's box spans brows to mouth, about 60% of the
    # head). Under 40 px the detail a generator must copy is not there; under 80 px it is
    # thin (astronaut, a 512 px portrait, has a 95 px box and is a usable reference).
    "face_size": {"warn": 80, "fail": 40},
    # Inter-eye distance in pixels, divided by cos(yaw). The same lines as face_size: the
    # box is ~2.4 eye distances tall on devdata photos, so 32 px ~ an 80 px box, 16 ~ 40.
    # (ISO/IEC 39794-5 asks 90 px for passports, far more than a video reference needs.)
    "eye_distance": {"warn": 32, "fail": 16},
    # Crete-Roffet sharpness (1 - blur score, 0..1) of the face, or the subject, with regions
    # taller than 256 px scaled down to 256. Measured on astronaut's face: sharp 0.61,
    # Gaussian blur sigma 0.5: 0.56, sigma 1: 0.43, sigma 2: 0.27. Devdata: clean photos
    # 0.48-0.70, renders and drawn views 0.54-0.83, GFPGAN's blurred inputs 0.37 and 0.40.
    # Blurred (fail) from a sigma of about 1 px per 256 px of face; soft just before that.
    "sharpness": {"warn": 0.47, "fail": 0.42},
    # Estimated JPEG quality (IJG scale) of the head. Quality 10-20 shows 8x8 blocks and
    # smeared skin; 30-40 ringing around eyes and hair; from 50 up artefacts are hard to see
    # at the generator's scale. Devdata photos read 42-96.
    "jpeg_artifacts": {"warn": 45, "fail": 25},
    # Larger of the shares of face (or subject) pixels under-exposed (luminance <= 25) and
    # over-exposed (>= 247), OFIQ's bounds. Clean devdata faces stay under 0.16 (a dark-
    # skinned render with dark hair in the box: 0.28); astronaut at 1.5x her brightness has
    # 0.55 of her face blown out. (Darkening keeps few pixels at 25 or less: see brightness.)
    "exposure": {"warn": 0.25, "fail": 0.45},
    # Mean luminance of the face (OFIQ's luminance mean), two-sided. Devdata faces 49-186:
    # the lowest well-exposed one is a dark-skinned render at 59, so only a face darker than
    # any skin tone under good light warns (astronaut darkened with gamma 5: 55) or fails
    # (gamma 7: 35); above 205 (astronaut with gamma 0.45) skin starts washing out.
    "brightness": {"dark_fail": 40, "dark_warn": 55, "bright_warn": 205, "bright_fail": 230},
    # Grey levels between the face's 1st and 99th luminance percentile. Devdata faces 148-255
    # (photos, drawings) and a flat-lit 3D render at 122; astronaut 227, at half her contrast
    # 113, at 0.4 of it 91 (warn), at 0.3 of it 68 (fail): a hazy, murky or washed-out face.
    # (At a quarter of her contrast the face detector no longer finds her face.)
    "dynamic_range": {"warn": 100, "fail": 72},
    # Ratio of the brighter to the darker half of the face (mean luminance, symmetric about
    # the eyes). Even studio light stays under ~1.4; devdata's key-lit clean portrait 2.0;
    # Yale's half-face shadows 2.9 and 3.8.
    "shadow": {"warn": 1.5, "fail": 2.2},
    # Brightness of the brighter eye region over the cheeks below it. Devdata open eyes
    # 0.39-1.1 (deep-set eyes under top light and smoky make-up are the low end); dark
    # sunglasses 0.23 and 0.28. A warning only: shades can be part of a character's design,
    # and the generator will then copy them as it should.
    "eyes_visible": {"warn": 0.33},
    # Spread of the subject's colours in CIELAB a*b* (Delta E). Black and white is 0 (JPEG
    # chroma noise ~1); sepia ~5; devdata colour photos and art 7.7 and up.
    "colour": {"warn": 5.0, "fail": 2.0},
    # Backdrop after cleaning: share of background pixels that are not exactly the target
    # colour (any is a defect) plus the share of the subject's opaque outline that still has
    # the old backdrop's colour (a halo). Clean cuts measure ~0.1-0.3% (outline pixels that
    # really are backdrop-grey); a visible halo covers several percent of the outline.
    "background": {"warn": 0.005, "fail": 0.03},
    # For an untouched image: share of the backdrop around the subject that differs visibly
    # (Delta E >= 5) from a smooth plain surface. Devdata plain walls and sheets 0-0.04 (a
    # caption on the wall), cluttered scenes 0.1-0.97 (two dark ones 0.03-0.09).
    "background_untouched": {"warn": 0.03, "fail": 0.08},
    # Share of the head (face box grown for hair and ears) outside the frame, or of a sheet
    # edge that a figure touches: a head or a limb cut off.
    "cropped": {"warn": 0.01, "fail": 0.05},
    # Number of faces (or separate figures) in one view.
    "single_subject": {"fail": 2},
    # Largest of |pitch|, |roll| in degrees: generators copy a tilted head into every clip.
    "pose_extreme": {"warn": 25.0, "fail": 40.0},
}

# Face detector score below which a face is not counted for single_subject (a second,
# doubtful face in a painted background should not fail a reference).
SECOND_FACE_MIN_SCORE = 0.7
