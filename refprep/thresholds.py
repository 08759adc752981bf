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
# frame line) before the border as a whole stops counting as backdrop. A panel's border is
# that of a tile or a drawn frame, which a figure rarely covers. A whole sheet's border can be
# half covered: sheets with a big close-up or a cut-off figure along one side show the backdrop
# on only 55-60 % of it. No devdata photo changes kind between 0.25 and 0.5 for the sheet (walls
# and scenes are noisy or curved, CLUTTERED_BORDER_STD), while two real sheets of 97 stopped
# being one "photo".
BORDER_OUTLIER_SHARE = 0.25
SHEET_BORDER_OUTLIER_SHARE = 0.5
# A pixel belongs to a figure when its colour is this far (RGB Euclidean, 0..441) from the
# backdrop model, or BACKGROUND_NOISE_FACTOR times the border noise if that is larger:
# large enough to ignore JPEG noise and paper grain, small enough to keep pale clothing.
FOREGROUND_MIN_DISTANCE = 28.0
BACKGROUND_NOISE_FACTOR = 4.0
# Pixels this far from the backdrop model (or BACKGROUND_NOISE_FACTOR times its noise) are
# faint subject: too close to the backdrop to cut figures by (a white shirt on white, a
# grey one on grey: 8-17 levels off), but they tell which pieces one figure holds -- a head
# over a shirt of the backdrop's colour, a saddle in the outline that is a pale shirt, not
# backdrop between two heads. Measured on clean_bench's figures: 82-100 % of the subject is
# over it (51-77 % over FOREGROUND_MIN_DISTANCE), 5-16 % of the backdrop (its floor shadow).
FAINT_SUBJECT_MIN_DISTANCE = 6.0
# ...unless that faint region fills more than this share of a piece's box around it: then
# the backdrop model fits loosely there, and the faint pixels are backdrop too.
FAINT_FILL_MAX_SHARE = 0.5
# Alpha below this (0..255) is background in files that carry transparency.
ALPHA_BACKGROUND_BELOW = 16
# A fake transparency checkerboard (split.without_fake_checkerboard): two neutral colours
# (channels within CHECKER_MAX_TINT of each other) at least CHECKER_MIN_CONTRAST apart,
# alternating along the image's edges in at least CHECKER_MIN_RUNS whole cells of one length,
# each colour on at least CHECKER_MIN_COLOUR_SHARE of the line (editors paint 255/204 or
# 255/230 checks; devdata's JPEG toy render 155/93, cells of ~40 px). A pixel is checks when
# it lies within CHECKER_TOLERANCE of a blend of the two colours (JPEG noise, cell edges);
# blends past either colour are not taken (a grey-skinned figure in dark tights on 155/93
# checks then keeps its neck and legs, at the price of faint lines of JPEG ringing).
CHECKER_MAX_TINT = 12
CHECKER_MIN_CONTRAST = 12
CHECKER_MIN_RUNS = 6
CHECKER_MIN_COLOUR_SHARE = 0.2
CHECKER_TOLERANCE = 12.0
# Connected pieces smaller than this share of the (work-scale) image are specks: dust,
# JPEG noise. Small enough to keep the glyphs of a caption, which become annotations.
SPECK_AREA_SHARE = 0.00005
# Work on a copy whose longer side is at most this when finding figures: component
# analysis does not need full resolution and stays fast on 24 MP sheets.
SPLIT_WORK_LONG_SIDE = 1600
# Ruled lines (split.ruling): straight horizontal or vertical lines at least this share of the
# page across and at most RULING_BASE_WIDTH_PX thick (work pixels) are page, not figure: graph
# paper and guide lines otherwise join every figure into one piece. Up to RULING_MAX_WIDTH_PX
# where RULING_MIN_FAMILY or more such lines run side by side: the height lines of a 6000 px
# drawn turnaround are 5-6 work pixels thick, while a figure's staff (4-5 px) stands alone.
RULING_MIN_LENGTH_SHARE = 0.5
RULING_BASE_WIDTH_PX = 3
RULING_MAX_WIDTH_PX = 6
RULING_MIN_FAMILY = 3
# A piece is a view candidate when its height is at least this share of the tallest
# piece's height and its area this share of the largest piece's area: text labels,
# swatches and stray marks are much smaller than a character.
VIEW_MIN_HEIGHT_SHARE = 0.35
VIEW_MIN_AREA_SHARE = 0.08
# A piece standing apart from every figure is a view of its own, a close-up (expression
# heads, busts, detail crops), when it is at least this share of the tallest piece's height
# and area: heads beside full figures are 0.16-0.4 of their height on devdata's sheets.
CLOSEUP_MIN_HEIGHT_SHARE = 0.14
CLOSEUP_MIN_AREA_SHARE = 0.01
# ...and only where a face detector (BlazeFace, either range, on the piece alone on a white
# square) scores it at least this, its own reporting floor. On devdata's second batch and 11
# public sheets, 15 heads and busts that were dropped became views and no prop did (a laptop,
# cubes, a cable, a clipboard stay annotations); detail crops (an eye) have no face either.
CLOSEUP_FACE_MIN_SCORE = 0.5
# A piece holding several faces (that score) is one figure per face (split.separate_by_faces)
# when the faces are of one size, each at least this share of the largest face's side
# (heads of one character drawn at one scale; a face on a shirt or a badge is much smaller)...
SEPARATE_FACE_SIZE_RATIO = 0.6
# ...and each figure flooded from its face is at least this share of the largest's area
# (a face-like ornament beside a head floods only a sliver).
SEPARATE_MIN_PART_SHARE = 0.3
# In a view's full-resolution mask, loose specks smaller than this share of its pixels (at
# least VIEW_SPECK_MIN_PX) are dropped before its box is taken: JPEG ringing around dark
# outlines (quality 50 widened boxes by several px, IoU 0.89); the faint horn tips of
# devdata's MV-Adapter beast (0.0011 each) and hair strands are larger and stay.
VIEW_SPECK_SHARE = 0.0005
VIEW_SPECK_MIN_PX = 4
# Two view-sized pieces whose boxes overlap by more than this share of the smaller box are
# one subject (sheet views stand apart; a dark photo on black padding breaks into pieces; a
# figure in a shirt of the backdrop's colour breaks into head, left and right halves whose
# boxes overlap by only 6-18%). Touching figures cut apart by separate_touching are exempt.
VIEW_MERGE_OVERLAP = 0.05
# A smaller piece (hair strand, prop, tail) joins the nearest view when the gap between
# their boxes is below this share of that view's height; farther pieces are annotations.
ATTACH_GAP_SHARE = 0.12
# ...but a piece lying wholly below the feet or above the head, farther than this share of
# the view's height, is a caption or title, not part of the figure (a floor shadow touches).
CAPTION_GAP_SHARE = 0.02
# ...except a solid piece (no text) over the figure and narrower than it, up to this share
# of its height above: the head, where a shirt of the backdrop's colour leaves the neck and
# collar unseen (measured: 0.15-0.19 of the rest of the figure in clean_bench's figures;
# 0.55 where a green shirt on a green screen leaves the whole torso unseen -- split_bench's
# sheets and views came out the same at 0.25 and 0.6).
# A head is at most DETACHED_HEAD_MAX_HEIGHT_SHARE of the rest's height (0.33 measured); a
# taller piece above is a figure of the row above.
DETACHED_HEAD_GAP_SHARE = 0.6
DETACHED_HEAD_MAX_HEIGHT_SHARE = 0.5
# Touching figures (split.separate_touching). Where figures meet, the column occupancy
# profile (smoothed over VALLEY_SMOOTH_SHARE of the piece's height) has a valley; valleys
# closer than VALLEY_SPACING_SHARE of the height are one (a side view is ~0.2 of it wide).
VALLEY_SMOOTH_SHARE = 0.02
VALLEY_SPACING_SHARE = 0.12
# A seam through a valley keeps within SEAM_REACH_SHARE of the height of it, and may cross
# at most SEAM_MAX_CROSSING_SHARE of the height in the piece's pixels: touching figures
# share a hand, a sleeve or a head's edge, a seam through one figure crosses its body.
SEAM_REACH_SHARE = 0.1
SEAM_MAX_CROSSING_SHARE = 0.4
# At most this many valleys per piece are weighed (their subsets are tried; 12 -> 4096 sets).
SEAM_MAX_CANDIDATES = 12
# Every part of a cut piece is a whole figure of one character: it spans at least this share
# of the piece's height with its top within HEAD_BAND_SHARE of the height of the piece's top
# (a wing or an arm held out does not reach the feet), and no part is more than
# TOUCHING_PART_WIDTH_RATIO times wider than another.
TOUCHING_PART_HEIGHT_SHARE = 0.8
TOUCHING_PART_WIDTH_RATIO = 2.5
HEAD_BAND_SHARE = 0.15
# A cut part loses the columns at its sides where it is thinner than this share of the
# height (a ground line under the whole row; an arm or a hand is thicker).
PART_EDGE_MIN_SHARE = 0.04
# Heads and outlines are read with everything narrower than this share of the height opened
# away (a staff, an ear, a horn, a thin raised arm: a head is wider).
HEAD_MIN_WIDTH_SHARE = 0.07
# A seam runs between two heads: where it enters the figures, the top outline is at least
# HEAD_DIP_SHARE of the height below its highest point within HEAD_REACH_SHARE of the height
# on each side (a figure's head is within that of where it meets its neighbour; two heads
# touching at the crown dip about 0.03).
HEAD_DIP_SHARE = 0.02
HEAD_REACH_SHARE = 0.3
# A piece whose pixels fill less than this share of its box, and whose box holds another
# piece, is a drawn panel frame (a ring), not a figure.
FRAME_MAX_FILL = 0.15
# A mark standing apart beside a figure (a gap of more than CAPTION_GAP_SHARE) and shorter
# than this share of its height is a side label, not a detached part of the figure.
SIDE_MARK_HEIGHT_SHARE = 0.08
# A piece filling at least FLAT_MIN_FILL of its box (a rectangle fills 1, a small circle 0.74)
# with at least FLAT_MIN_COLOUR_SHARE of its pixels within FOREGROUND_MIN_DISTANCE of its
# median colour is a flat shape: a colour swatch, a UI button or scrollbar, never a view.
# A tile with a figure in it, or a figure, has far more colours than that.
FLAT_MIN_FILL = 0.7
FLAT_MIN_COLOUR_SHARE = 0.98
# ...judged on about this many of its pixels (a regular sample): plenty for a 2% share.
FLAT_SAMPLE_PIXELS = 20_000
# A flat shape closer than this share of a larger, many-coloured piece's height to it is a
# part of that figure drawn in one colour (a cel-shaded head above a white collar, a plain
# shoe), not a swatch: swatches and buttons stand apart from figures.
FLAT_PART_MAX_GAP_SHARE = 0.02
# Text: letters (or whole words, where letters touch) are thin (no pixel farther than
# TEXT_MAX_STROKE_SHARE of its height from its outline; a head is solid) or drawn in one ink
# (TEXT_INK_SHARE of the pixels near one colour; a figure has many). A line of text is
# TEXT_MIN_GLYPHS or more of them, or one line TEXT_MIN_LINE_ASPECT times wider than tall (a
# word whose letters touch), side by side: vertically overlapping by TEXT_LINE_OVERLAP of the
# shorter, heights within TEXT_HEIGHT_RATIO (capitals and small letters), at most
# TEXT_MAX_GAP_SHARE of their height apart (a word space in a wide font), no taller than
# TEXT_MAX_ASPECT times their width
# on the median (letters are squat, a standing figure 2.5-4 times taller than wide), and at
# most TEXT_MAX_HEIGHT_SHARE of the tallest piece's height (big headings; a row of line-art
# figures is as tall as the tallest). Text is never a view nor a part of one.
TEXT_MAX_STROKE_SHARE = 0.15
TEXT_INK_SHARE = 0.75
TEXT_MIN_GLYPHS = 3
TEXT_LINE_OVERLAP = 0.6
TEXT_HEIGHT_RATIO = 1.6
TEXT_MAX_GAP_SHARE = 1.2
TEXT_MIN_LINE_ASPECT = 3.0
TEXT_MAX_ASPECT = 1.8
TEXT_MAX_HEIGHT_SHARE = 0.6
# A view-sized piece filling at least this share of its box is a panel (a tile of another
# colour, a gallery cell): its inside is split again against the panel's own backdrop,
# read from a border inset by PANEL_INSET_SHARE of its shorter side (past rounded corners).
PANEL_MIN_FILL = 0.97
PANEL_INSET_SHARE = 0.03
# When a panel's figure covers much of its border, its backdrop is read from the top edge
# and this upper share of the sides only.
PANEL_TOP_BORDER_SHARE = 0.4
# Gutters and rules that divide a sheet into panels (``find_panels``): a straight line across
# the whole region (at most PANEL_WORK_LONG_SIDE px long side) whose colour varies by no more
# than PANEL_GUTTER_TOLERANCE in any channel along all of its length, with a
# panel's edge on both sides: the lines beside it differ from its colour on PANEL_EDGE_SHARE
# of their length. Empty page between figures has no such edge (a figure's outline meets a
# straight line at a few points); a photo grid's white gutter, a drawn frame line and a dark
# page's gaps between panels do, on all of their length. A line whose colour lies between the
# colours on its two sides on PANEL_BLEND_SHARE of its length is a blend of them (a fake
# transparency checkerboard, downscaled), not a gutter. Tiles thinner than PANEL_MIN_TILE_SHARE
# of the region are margins, not panels; panels nest PANEL_MAX_DEPTH deep at most. A line of
# PANEL_RULE_PX or less with the same colour on both sides rules the page (graph paper, guide
# lines) and divides nothing. All of the length: a container whose sides cross a gap between
# its rows of images is no gutter.
PANEL_WORK_LONG_SIDE = 800
PANEL_GUTTER_TOLERANCE = 14.0
PANEL_RULE_PX = 2
PANEL_EDGE_SHARE = 0.85
PANEL_BLEND_SHARE = 0.8
PANEL_MIN_TILE_SHARE = 0.06
PANEL_MAX_DEPTH = 4
# A piece of a view with at least this share of its pixels inside a text line the OCR read is
# printed text (a caption, a title), taken out of the view; a figure touching a caption has
# most of its pixels outside it.
TEXT_PIECE_INSIDE_SHARE = 0.8
# A "line" the text detector boxes with both sides over this share of a view's height is no
# print (devdata: such boxes cover whole figures); captions and titles are a few % of it.
TEXT_LINE_MAX_SHARE = 0.2
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
# A plain-looking border with more noise than this (per-channel std about the fitted
# backdrop; paper scans show 2.5-2.9, digital sheets under 1, clean_bench's scenes 4-12)
# whose views cover at least PHOTO_MIN_EDGE_SHARE of the image's edge is a photograph: one
# view. split_bench's 206 generated sheets have no view on the edge at all; scenes 0.036-0.23.
PHOTO_MIN_NOISE = 3.5
PHOTO_MIN_EDGE_SHARE = 0.02
# A view shorter than this share of its sheet's tallest view is a close-up (a head study
# beside full-body views).
CLOSE_UP_HEIGHT_SHARE = 0.6
# A view at least this share of the tallest view's height, on a sheet of standing figures, is
# a full figure however wide (a sword held out, wings).
FULL_HEIGHT_SHARE = 0.9
# Canvases are padded so neither side is more than this many times the other: Kling
# accepts 1:2.5 to 2.5:1 and Runway 1:2 to 2:1, so a tall full-body figure is padded to 1:2.
CANVAS_MAX_ASPECT = 2.0
# When the figures cover more than this share of a (plain-backdrop) image, or only one
# figure is found, the image is one view (a portrait photo, a single character).
SINGLE_VIEW_COVERAGE = 0.55
# A sheet on a busy backdrop (a pattern, a painted scene behind a drawn ref sheet) has no
# plain border to split against; the saliency model still sees its figures
# (split.salient_figures). Each one at least this share of the sheet's height and
# SALIENT_FIGURE_MIN_AREA_SHARE of its area (props, logos and badges are smaller), and two
# or more of them, or the sheet stays one picture. On devdata's 41 photos and portraits the
# model sees one such region each (two people hugging are one); on busy public ref sheets,
# one per standing figure, touching figures as one.
SALIENT_FIGURE_MIN_HEIGHT_SHARE = 0.25
SALIENT_FIGURE_MIN_AREA_SHARE = 0.01
# ...and comes within this many pixels of an edge of the frame (a portrait's shoulders, a bust
# cut by the frame). A figure with a margin all round stays a figure.
FRAME_TOUCH_PX = 2

# --- clean ------------------------------------------------------------------------------
# Matte values (0..1) below which a pixel is pure background and above which pure subject:
# u2netp's soft output is noisy near 0 and 1, and SPEC wants an exactly flat background.
ALPHA_CLEAR_BELOW = 0.06
ALPHA_SOLID_ABOVE = 0.94
# A pixel is backdrop when its colour, averaged over 3x3, is within this RGB distance of the
# (locally corrected) backdrop model, or BACKDROP_MATCH_NOISE_FACTOR times the backdrop's
# per-channel noise if larger: above the averaged noise of clean and JPEG-compressed
# backdrops, below the 14+ that separates a white shirt's shading from white paper.
BACKDROP_MATCH_MIN_DISTANCE = 6.0
BACKDROP_MATCH_NOISE_FACTOR = 3.0
# The fitted backdrop surface is corrected by the clear pixels' residual averaged over this
# Gaussian sigma (px): small enough to follow paper blotches and a soft floor shadow up to
# the subject's edge, large enough to average away per-pixel noise.
LOCAL_BACKDROP_SIGMA_PX = 4.0
# A floor shadow is the backdrop darkened by one factor on all channels: brightness ratio
# at least SHADOW_MIN_BRIGHTNESS (deeper is a dark object, not a shadow), colour within
# SHADOW_HUE_TOLERANCE x |backdrop| of that darkened backdrop, and saliency below
# SHADOW_MAX_SALIENCY (u2netp sees no subject there; the subject's own shading is salient).
SHADOW_MIN_BRIGHTNESS = 0.35
SHADOW_HUE_TOLERANCE = 0.04
SHADOW_MAX_SALIENCY = 0.5
# A floor shadow lies around the feet: in this lowest share of the subject's height (as
# u2netp sees it) and below. Higher up, darker-than-backdrop pixels that u2netp misses are
# pale clothing in its own shade.
FLOOR_SHADOW_HEIGHT_SHARE = 0.25
# u2netp saliency above this marks the subject (its rim, upsampled from 320 px, is soft):
# the backdrop reached from the view's edge stops there, so a pale shirt's patch that
# matches the backdrop is judged like an enclosed hole, not swept away with the outside.
SALIENT = 0.5
# Backdrop-coloured pieces enclosed by a figure and smaller than this share of its area
# (eye whites, a collar, a button) stay subject where u2netp sees the subject; larger ones
# (between arm and torso, between the legs, inside a ring) are backdrop showing through.
ENCLOSED_HOLE_KEEP_SHARE = 0.003
# A backdrop-coloured piece inside a figure is backdrop showing through when it follows
# the backdrop: the mean offset of its clear pixels from the backdrop
# under HOLE_MAX_OFFSET x the tolerance, and a plane fitted to that offset rising across it
# by under HOLE_MAX_DRIFT x the tolerance. Backdrop seen through a hole measures 0.0-0.3 on
# both (clean_bench's figures: 90% under 0.3); a pale shirt whose shading crosses the
# backdrop colour matches in a band whose offset drifts by about the whole tolerance, and
# a white shirt on pure white (clipped, no drift) sits 0.5-0.6 off it.
HOLE_MAX_OFFSET = 0.45
HOLE_MAX_DRIFT = 0.5
# Where u2netp sees no subject in the piece either, less closely (paper blotches that the
# smooth backdrop model misses inside a figure measure up to 0.7), if the piece carries the
# backdrop's grain (a blotch is paper) and the backdrop has grain at all. Judged less closely
# wherever u2netp saw nothing, small pale-arm patches 0.55-0.70 off a clean vignette or flat
# grey went as holes: near-backdrop regions kept 93.0 -> 95.3 % (count 10, seed 33), 95.4 ->
# 96.2 % (count 12), 96.4 -> 96.8 % (count 20, seed 21), no hole lost on any draw. A piece
# too small to measure its grain in passes if under BLOTCH_MAX_SMOOTH_SHARE of it lies in
# the smooth areas (95.3 -> 96.1 % at seed 33; requiring a measured grain instead lost a
# paper hole)...
BLOTCH_MAX_SMOOTH_SHARE = 0.5
UNSEEN_HOLE_MAX_OFFSET = 0.75
UNSEEN_HOLE_MAX_DRIFT = 0.75
# ...and a piece reaching down to the floor (the gap between the legs) may fade into the
# cast shadow across it.
FLOOR_HOLE_MAX_DRIFT = 1.0
# Backdrop showing through a figure is bounded by the subject's edge: HOLE_EDGE_RING_PX out
# from it the colour differs from the backdrop by over HOLE_HARD_EDGE x the tolerance (past
# an anti-aliased rim). A piece with under HOLE_MIN_HARD_EDGE_SHARE of its boundary that
# hard is, at least in part, a shirt patch fading into the shirt at its sides (measured on
# clean_bench's figures: holes 0.93-1.0, holes joined to a shirt patch 0.71-0.87).
HOLE_EDGE_RING_PX = 3
HOLE_HARD_EDGE = 1.6
HOLE_MIN_HARD_EDGE_SHARE = 0.9
# Backdrop showing through carries the backdrop's grain (noise, paper texture): the rms of
# each pixel's departure from its 3x3 mean inside a piece (at least HOLE_GRAIN_MIN_PX pixels
# 2 px in from its edge) is at least HOLE_GRAIN_MIN_RATIO of the outside backdrop's.
# Measured on clean_bench: holes 0.86-1.09, painted shirt patches 0.07-0.6. (No upper
# bound: a textured shirt is rougher, 1.3-7, but so was a narrow gap between arm and body
# in fixtures/sheet_row6_gray.png, 7.7.)
# Only where the backdrop's grain is at least HOLE_GRAIN_MIN grey levels (a clean digital
# white has none to compare).
HOLE_GRAIN_MIN_RATIO = 0.6
HOLE_GRAIN_MIN = 0.5
HOLE_GRAIN_MIN_PX = 30
# The same grain, mapped per pixel, finds the smooth areas the outside backdrop may not flood
# and along which candidate pieces are cut: the median of the grain's size over
# GRAIN_MEDIAN_WINDOW_PX square (a median, so the subject's edges -- a line of large grain --
# do not count), under HOLE_GRAIN_MIN_RATIO of the backdrop's, in areas at least
# SMOOTH_AREA_MIN_WIDTH_PX wide (chance dips in the noise, and the band along an edge where
# the window half covers the subject, are narrower). On clean_bench (120 generated cases,
# seed 21) this kept 90.5 -> 95.9 % of near-backdrop regions on flat/gradient/vignette
# backdrops, and the holes 91.2 -> 93.2 %; windows of 5 and 7 px scored alike.
GRAIN_MEDIAN_WINDOW_PX = 7
SMOOTH_AREA_MIN_WIDTH_PX = 7
# A piece that fails whole may be a hole joined to a shirt patch; its parts where u2netp's
# saliency is at least SURE_SALIENCY (the shirt) and below (a gap u2netp half sees, ~0.5-0.7),
# and in and out of the smooth areas, are judged again apart.
SURE_SALIENCY = 0.85
# What still fails is judged once more by its level core: pixels whose 5x5 mean is within
# HOLE_LEVEL_CORE of the match tolerance of the backdrop, opened by a square of
# HOLE_LEVEL_CORE_MIN_WIDTH_PX (cuts the threads that join a hole to a shirt band), where the
# drift allowed across a part is HOLE_LEVEL_CORE_MAX_DRIFT of the tolerance. Measured on
# clean_bench (count 12, seed 5): true holes' cores drift 0.00-0.04 of it, cores that mix a
# hole and shirt 0.15-0.16, bands where a shirt's shading crosses the backdrop's colour
# 0.18-0.30 (without this cap, 5 points of the near-backdrop clothing were lost). Holes
# removed: 94.7 -> 95.7 % (count 12, seed 5), 93.2 -> 95.9 % (count 20, seed 21); none lost.
HOLE_LEVEL_CORE = 0.25
HOLE_LEVEL_CORE_MIN_WIDTH_PX = 3
HOLE_LEVEL_CORE_MAX_DRIFT = 0.1
# A hole found takes the pixels as level (5x5 mean within HOLE_LEVEL_CORE of the tolerance)
# within HOLE_GROW_PX of it: its rim along a pale shirt, cut off by the soft-edge rule or the
# opening, was what left holes 70-85 % removed (a fail at 10 % left). On clean_bench holes
# removed 84.7 -> 89.8 % (count 8, seed 11), 95.9 -> 98.0 % (count 20, seed 21), 95.7 % =
# (count 12, seed 5), with no near-backdrop clothing lost; 2 px did less, 8 px no more.
HOLE_GROW_PX = 4
# A piece that is mostly floor shade (under this share clear backdrop) is a shadow only
# where u2netp sees no subject: grey trousers on a grey floor are shade-coloured too.
HOLE_CLEAR_SHARE = 0.5
# A photo on a plain-looking border is matted against that backdrop only when at least this
# share of what u2netp calls background matches it; otherwise it is a scene (out-of-focus
# objects, a floor) and u2netp's mask is used. Shadows and edges stay well under 10%.
PLAIN_PHOTO_MIN_CLEAR = 0.9
# Parts within this share of the view's size of the split's figure mask belong to it: a
# hair strand too faint or thin to be found by the split is still the subject's.
DETACHED_STRAND_SHARE = 0.01
# The band along the subject's outline where alpha is measured rather than classified:
# this share of the view's longer side, at least EDGE_BAND_MIN_PX on each side (drawn
# anti-aliasing spans 1-2 px; photos blur edges in proportion to their size).
EDGE_BAND_MIN_PX = 2
EDGE_BAND_SHARE = 0.003
# Below this RGB distance between subject and backdrop colour the measured coverage is
# noise (white shirt on white paper): the band keeps the classification there.
EDGE_MIN_CONTRAST = 10.0
# ...and where the pixel is farther than this (RGB) from every mix of the two colours: it is
# a detail of another colour than the one spread to it (a button, a seam by the edge).
EDGE_MAX_UNEXPLAINED = 24.0
# Backdrop-matching pieces inside a figure smaller than this (px) are subject pixels that
# match by chance (where a grey line art crosses a grey backdrop's level).
BACKDROP_SPECK_PX = 4
# Scales (px) at which the subject's colour is spread outwards into the band: the finest
# that reaches a pixel wins, so a strand far from solid hair still gets a colour.
FOREGROUND_SPREAD_SIGMAS_PX = (2.0, 6.0, 18.0)
# Guided filter snapping u2netp's upsampled mask to a photo's edges: window radius as a
# share of the longer side (u2netp works at 320 px, so its rim is ~1/320 of the image
# blurred over a few pixels) and the regulariser on the 0..1 grey guide (edges weaker than
# ~0.03 grey contrast are smoothed over).
GUIDED_RADIUS_SHARE = 0.006
GUIDED_EPSILON = 1e-3
# A scene's saliency matte is checked against colour (GrabCut: a colour model of the subject
# and one of the scene, and a graph cut between them), which finds the scene showing through
# between arm and body or inside a ring that u2netp fills in. It runs on a copy at most
# SCENE_COLOUR_LONG_SIDE px long (0.06-0.2 s a view), SCENE_COLOUR_ITERATIONS rounds. Where
# u2netp is at least SCENE_SURE_SALIENCY sure (eroded by a pixel there) the pixel stays
# subject -- 0.98 kept every pale-shirt region the colour model alone had lost (a white
# shirt before a pale wall, 3 of 79), while the holes u2netp fills sit at 0.3-0.95 -- and
# farther than SCENE_SURE_BACKDROP_SHARE of the long side from the matte it stays scene.
# Over 32 of clean_bench's photo-like scenes (seeds 5, 11, 44): holes removed 30 -> 42 of 59,
# near-backdrop regions 68 of 79 kept as before; it takes 1 subject pixel for every 6.6 of
# scene it opens (at worst 1.7 % of a figure: part of a face whose skin matches the wall).
SCENE_COLOUR_LONG_SIDE = 320
SCENE_COLOUR_ITERATIONS = 3
SCENE_SURE_SALIENCY = 0.98
SCENE_SURE_BACKDROP_SHARE = 0.03
# A piece the cut takes opens only if under this share of its rim touches the outside: on
# devdata's 10 real scene portraits every piece it takes (hair, shoulders before a crowd)
# touches it along 0.18-1.0 of its rim, the benchmark's scene holes that u2netp's rim leaks
# into along 0.01-0.15.
SCENE_OPEN_MAX_OUTLINE_SHARE = 0.15
# ...and it needs this many pixels on either side to model their colours.
SCENE_MIN_MODEL_PX = 50

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

# A face reading at or above this confidence is strong enough to question a class the
# creator declared (stages/pose.py declared_pose). Photos read 0.84-0.98; stylised and rendered
# faces 0.5-0.8, and there the mesh can under-read a three-quarter turn as front (devdata
# and its mirror image: -21 and 13 deg for 45 deg views at 0.68-0.73).
FACE_TRUSTED_CONFIDENCE = 0.8
# How far the pose stage trusts each reader (stages/pose.py, evidence/sheet.py): a reading's
# weight is ``reliability`` x its own confidence (a label's is fixed), the rest of it spread
# evenly over the classes; ``spread_deg`` is the reader's typical yaw error. Calibrated on
# devdata's first batch and its second batch's ``tune`` half, checked on ``aside``
# (pose_bench): body yaw errs ~6-9 deg (median) on full figures, the face mesh ~3 deg on
# photos and much more on drawn faces; printed labels are right on every captioned sheet but
# one, where the caption named a panel's place, not its view.
# The face models under-read the turn of a drawn, rendered or AI-painted head on a sheet
# (a figure, not a photo). On devdata's first 40 entries and tune half the mesh read fronts
# 0-13 deg, three-quarter views (~45) 11-31 (median 21.5) and profiles 41-65; the keypoint
# estimate read profiles ~63. The held-aside half and the public sheets read the same (fronts
# 0-9 but two 20-22, three-quarters 11-35, profiles 41-59 / 58-69). So a figure's face yaw is
# mapped through these (measured, true) knots, which put the measured gaps between the
# classes on the class boundaries (22.5, 67.5) and a saturated profile on 90; a face reader
# never reports a back. Photos read true (AFLW2000), so they are not mapped.
FIGURE_FACE_YAW_KNOTS = {
    "face_landmarks": ((0.0, 0.0), (15.0, 22.5), (39.0, 67.5), (50.0, 90.0)),
    "face_detector": ((0.0, 0.0), (45.0, 45.0), (62.0, 90.0)),
}
POSE_READERS: dict[str, dict[str, float]] = {
    "label": {"reliability": 0.95, "side_weight": 0.1, "facing_weight": 1.0},
    # A file's name is the creator's word too, but names are reused more loosely than captions.
    "filename": {"reliability": 0.9, "side_weight": 0.1, "facing_weight": 1.0},
    "face_photo": {"reliability": 0.97, "spread_deg": 10.0},
    "face_landmarks": {"reliability": 0.8, "spread_deg": 15.0},
    "face_detector": {"reliability": 0.6, "spread_deg": 25.0},
    "body": {"reliability": 0.85, "spread_deg": 20.0},
    "silhouette": {"reliability": 0.6, "side_weight": 1.0},
    # A mirror partner on the sheet (evidence.sheet.mirror_partners): every pair it found on
    # devdata (10) and on 11 public sheets (3) had classes that mirror images can have; the
    # weight stays under the printed label's, as a symmetric character's pose can fool it.
    "mirror": {"reliability": 0.8},
    # A view between two sure neighbours of a turnaround row faces halfway between them
    # (evidence.sheet.turn_readings): a prior, weaker than any reader that looked at the view.
    "turn": {"reliability": 0.5, "spread_deg": 30.0},
    # No face found in a view while the face models found one in another view of the sheet
    # (evidence.sheet.face_absent_reading): the drawing style's faces are detectable, so this
    # view is likely turned away. A prior on the unsure views, weaker than any measurement.
    "face_absent": {"reliability": 0.5},
}
# How often a view has no face reading, by class, on sheets where some other view has one:
# devdata (all batches) and 73 public sheets, 406 views: fronts 34 of 176, three-quarters
# 11 of 77, profiles 51 of 77, backs 62 of 64 (a back shows no face; a drawn front can
# fool the detector).
FACE_ABSENT_RATE = {"front": 0.19, "three_quarter": 0.14, "side": 0.66, "back": 0.97}
# Mirror partners: one view flipped overlaps the other's outline by at least MIRROR_MIN_OUTLINE
# (IoU) and gains MIRROR_MIN_GAIN in outline IoU and in inner-edge correlation over the
# unflipped pair. Devdata's mirror-image pairs overlap 0.88-0.99 flipped, with gains 0.12-0.5;
# a front full figure against another front with an arm out overlaps 0.69-0.83.
MIRROR_MIN_OUTLINE = 0.85
MIRROR_MIN_GAIN = 0.1
# Body readings under this confidence are noise (devdata: 5 of 54 right below 0.3, 40 of 46
# above): busts, head tiles and non-human mascots.
BODY_MIN_CONFIDENCE = 0.3
# A view class inferred with less confidence than this is marked unsure (the view_class
# check warns and points to --views): the pose stage's confidences are calibrated so views
# at or above it are right on >= 95 % of labelled real sheets (pose_bench).
UNSURE_BELOW = 0.7

# Silhouette evidence (silhouette.py), measured on devdata sheets and the generated fixtures:
# figures at least this many times taller than wide are full-body (head = top 15% of the
# height), others are busts (head = top 45%).
FULL_BODY_ASPECT = 1.6
HEAD_SHARE_FULL_BODY = 0.15
HEAD_SHARE_BUST = 0.45
# Figures smaller than this (pixels), or heads with fewer skin pixels, give no shape cues.
SHAPE_MIN_PIXELS = 400
SHAPE_MIN_SKIN_PIXELS = 10
# Silhouette cues are read on a copy at most this long (a 12 MP photo in ~10 ms, not ~0.1 s);
# every devdata view is at most this long, so their cues are read at full size.
SHAPE_LONG_SIDE = 1024
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
# Busts in a sheet: turned views split into profiles and three-quarter views by symmetry only
# when their mirror IoUs span at least this (devdata bust and full-body sheets: profiles score
# 0.09-0.17 below their sheet's three-quarter views; views turned alike differ by < 0.02).
PROFILE_SYMMETRY_GAP = 0.1
# Toes (full-body figures): the feet are the bottom FOOT_SHARE of the height, the ankles the
# band ANKLE_BAND (shares of the height from the bottom) above them. Feet reaching past the
# ankles by at least TOE_MIN_REACH of the height on one side, and by at most
# TOE_MAX_BACK_REACH of that on the other, point that way. Standing fronts and backs reach
# evenly both ways (reach ratio near 0); turned views reach 0.03-0.09 of the height, one-sided.
FOOT_SHARE = 0.05
ANKLE_BAND = (0.07, 0.14)
TOE_MIN_REACH = 0.025
TOE_MAX_BACK_REACH = 0.35
# A direction read from the feet alone (no face colour to confirm it) is trusted this much
# of the silhouette's usual confidence: a pose can put one foot forward.
TOES_ONLY_TRUST = 0.7
# Highest confidence the silhouette evidence ever claims: it has no face to measure.
SILHOUETTE_CONFIDENCE = 0.45

# --- quality ----------------------------------------------------------------------------
# Each entry: check id -> {"warn": value, "fail": value}. Direction (low or high is bad) is
# fixed by the check itself in quality.py; the numbers are what presets override.
# --- consistency (stages/consistency.py) -------------------------------------------------
# Palettes are read on a copy of each view at most this long, from an even sample of at
# most CONSISTENCY_SAMPLES subject pixels: a palette is a statistic of a few thousand pixels.
CONSISTENCY_LONG_SIDE = 128
CONSISTENCY_SAMPLES = 3000
# Colours per view (k-means clusters in CIELAB).
PALETTE_CLUSTERS = 12
# A cluster covering at least this share of a view's figure is one of its colours (eyes,
# buttons and the blends along edges between two colours are smaller).
PALETTE_MIN_SHARE = 0.01
# Lightness counts this much against a* and b*: one colour in light and in shadow differs
# mostly in L (views of a turnaround are lit from different sides); a recolour moves a*, b*.
LIGHTNESS_WEIGHT = 0.5
# A pixel whose colour is farther than this (CIELAB with L scaled as above) from every colour
# of the other views appears in no other view.
PALETTE_MATCH_DISTANCE = 12.0
# Two figures of a sheet stand in one row when their boxes' vertical spans overlap by at least
# this share of the taller one; only figures in one row are held to one height. Devdata's
# dense sheets put a big main view beside a small turnaround (the small figures 0.63-0.64 of
# its height, inside its span): that is another scale on purpose, not a drift. A figure
# scaled by 0.8 in its row overlaps 0.8 and is compared.
ROW_OVERLAP = 0.7

# --- upscale ----------------------------------------------------------------------------
# Real-ESRGAN realesr-animevideov3 enlarges x4 in one pass; a view is never grown more than
# that (a second pass would only invent more), then it is resized down to what it needs.
UPSCALE_MAX_FACTOR = 4.0
# Input pixels of edge-replicated context around the image and around each tile: what
# realesrgan-ncnn-vulkan uses (its "prepadding"), so the border and the tile seams come out as
# ncnn's do (the ONNX model matched ncnn within 1/255 with it; zero padding darkened the
# outermost 10 px of the output by up to 141/255).
UPSCALE_CONTEXT = 10
# Tiles of at most this many input pixels a side: a 256 px tile with its context keeps the
# network's largest activation (64 channels) near 20 MB; a 180 px view is one tile.
UPSCALE_TILE = 256
# Nothing is enlarged past this long side (px), nor past the preset's own maximum: generators
# render 720p to 4K, so more pixels only make the file and the work bigger (x4 of a 3000 px
# view would be 144 megapixels and a minute of CPU).
UPSCALE_MAX_LONG_SIDE = 4096

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
    # For an untouched image: share of the backdrop around the subject that shows structure
    # (edges, objects, text: Delta E >= 5 off the smooth surface under it, see
    # measures.backdrop_clutter). Devdata views on plain backdrops (154): plain walls, studio
    # gradients, paper and soft cast shadows 0-0.03; a logo or a bokeh light on the wall and
    # drawn ground shadows 0.04-0.10 (warn: build removes them); 0.17 a stucco wall under a
    # hard side light; 0.28-0.51 three sheet views cut with other figures and text in them.
    # Cluttered scenes (17 images): 14 at 0.1-0.84 (fail), 0.06-0.07 for two blurred ones
    # and 0 for a near-black one (warn: plain but not white).
    "background_untouched": {"warn": 0.03, "fail": 0.12},
    # The larger of: the share of the head (face box grown for hair and ears) outside the
    # view's frame, and the share of the subject's width (height) that runs into a frame edge
    # where that is a cut (quality._frame_contact). Any contact is a cut somewhere; devdata:
    # all 23 clean references 0; labelled crops 0.13 (horn tips on the top edge) to 0.96
    # (shins on the bottom edge), heads cut at the top 0.34 and 0.95.
    "cropped": {"warn": 0.01, "fail": 0.05},
    # Number of faces (or separate figures) in one view.
    "single_subject": {"fail": 2},
    # Largest of |pitch|, |roll| in degrees: generators copy a tilted head into every clip.
    "pose_extreme": {"warn": 25.0, "fail": 40.0},
    # Share of the figure whose colour appears in no other view (PALETTE_MATCH_DISTANCE), see
    # benchmarks/consistency_bench.py. Real devdata sheets (tune: 80 views of 15 sheets) reach
    # 0.069 and 0.067 at most (a CharacterGen 2x2 render's front, a chibi sheet's big main
    # view: they warn), 0.049 after those; held-out sheets (49 views) 0.027. A hue shift of 40
    # degrees that visibly changes >= 15 % of a figure fails in 38 of 40 tune cases and 28 of
    # 28 held out (one more warns); 5-15 % changed, 58 % and 75 %. Another character's view
    # swapped in fails in 87 % (tune) and 79 % (held out): the rest share its colours.
    "consistency": {"warn": 0.06, "fail": 0.08},
    # How far a full figure's height is from the median of the other full figures in its row
    # of the sheet, 1 - smaller/larger: 0.2 for a figure scaled by 0.8 (71 of 73 such edits
    # fail; the other two are big main views, with no other figure in their row). Real
    # turnaround rows 0-0.061 (tune), 0.111 (held out: a settei sheet's front and back, hair
    # and pose differ).
    "proportions": {"warn": 0.12, "fail": 0.15},
    # A view class inferred less surely than this warns and points to --views (UNSURE_BELOW).
    "view_class": {"min_confidence": UNSURE_BELOW},
}

# Face detector score below which a face is not counted for single_subject (a second,
# doubtful face in a painted background should not fail a reference; the mesh must confirm
# it too). Real faces in a line-up score lower than a lone portrait: three devdata portraits
# side by side, faces 49-110 px, score 0.51-0.92, so 0.7 counted two of three people. At 0.5
# devdata views count more than one face only where there are: the couple, and two sheet
# views cut with a second head in them.
SECOND_FACE_MIN_SCORE = 0.5
# A subject within this share of its frame's longer side of a frame edge runs into it
# (cropped): find_panels places a panel's edge to a work pixel or two at
# PANEL_WORK_LONG_SIDE (1/800 of the side each), and a matte fades out over a pixel or two.
FRAME_TOUCH_SHARE = 0.005

# --- closeup (stages/closeup.py) --------------------------------------------------------
# The head-and-shoulders close-up of --closeup is the face box (BlazeFace: brows to chin,
# cheek to cheek) grown by these shares of its own size, then clipped to the view: a face
# width each side takes in the ears, hair and the shoulders (about three face widths across
# on a drawn or real figure); 0.75 of its height above takes in the hair the box stops under
# (more than quality's HEAD_TOP_GROWTH: drawn hair is often tall); 1.5 below takes in the
# neck (about half a face) and the shoulders down to the top of the chest.
CLOSEUP_SIDE_GROWTH = 1.0
CLOSEUP_TOP_GROWTH = 0.75
CLOSEUP_BOTTOM_GROWTH = 1.5
# Without a face box (a face the models could not read on a view declared front), the top
# of the figure's matte, this share of its height: the head and shoulders of an adult figure
# of seven to eight heads (the shoulder line is under two heads from the top); the head alone
# of a chibi figure, which is what a close-up of it should show.
CLOSEUP_FIGURE_SHARE = 0.25
# Background left around the cut, as a share of its longer side: the views' own margin
# (VIEW_MARGIN_SHARE), so the picture's border is the flat background and the head is not
# pressed to the edge.
CLOSEUP_MARGIN_SHARE = VIEW_MARGIN_SHARE

# --- batch ------------------------------------------------------------------------------
# Sheets sent to a Dask worker thread ahead of the one it is on: 2 keeps every worker busy
# while a result travels back (a package is a few MB), and bounds what the client holds in
# memory (each sheet's bytes wait in it until sent) however large the folder is.
DASK_SHEETS_PER_WORKER_THREAD = 2
# A local Dask cluster's housekeeping runs every this many seconds instead of at Dask's
# defaults (event-loop tick 0.02 s, system monitor 0.5 s, memory monitor 0.1 s, in the
# scheduler, each nanny and each worker): at the defaults an idle 2-worker cluster burnt a
# tenth of a core (1.5 % with these), CPU the local pool leaves to the sheets. Nothing reads
# these figures but Dask's dashboard, which a batch does not start; the memory monitor still
# restarts a worker that outgrows its limit, a second later at most.
DASK_TICK_S = 1
DASK_SYSTEM_MONITOR_S = 5
DASK_MEMORY_MONITOR_S = 1
