"""Consistency stage: does every view show the same character?

Each view is described by what survives a change of viewpoint: its colour palette (the
subject's pixels as CIELAB clusters weighted by area: hair, skin, outfit) and, for the
full figures of one sheet, the figure's height. A view is then held against all the
others: the share of its figure whose colour appears in no other view (a jacket that turns
from red to orange in the back view, another character swapped in), and how far its figure's
height is from the other figures of its sheet (one figure drawn at another scale). Each
becomes a ``Check`` (``consistency`` and ``proportions``), declared like the quality
checks with value, threshold and advice; ``package_consistency`` sums them up for the
manifest.

Comparing a view with the *union* of the others' palettes, not pair by pair, is what lets a
back view pass whose hair covers half the figure while it is a tenth of the front: the hair
is still there in another view. A close-up head passes the same way (its skin and hair are
in the full figures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..data import SUBJECT_ALPHA, Check, View, worst_status
from .quality import _grade
from ..thresholds import (CONSISTENCY_LONG_SIDE, CONSISTENCY_SAMPLES, LIGHTNESS_WEIGHT, PALETTE_CLUSTERS,
                          PALETTE_MATCH_DISTANCE, PALETTE_MIN_SHARE, ROW_OVERLAP)

CHECK_IDS = ("consistency", "proportions")


@dataclass
class Palette:
    """A view's colours: ``pixels`` (n x 3, CIELAB with L scaled by LIGHTNESS_WEIGHT) an
    even sample of the subject, ``labels`` (n,) each pixel's cluster, ``centres`` (k x 3, the
    same space) and ``shares`` (k,) the clusters' shares of the subject's area."""

    pixels: np.ndarray
    labels: np.ndarray
    centres: np.ndarray
    shares: np.ndarray

    @property
    def present(self) -> np.ndarray:
        """The centres of clusters large enough to count as the view's colours."""
        return self.centres[self.shares >= PALETTE_MIN_SHARE]


def subject_pixels(image: np.ndarray, matte: np.ndarray, *, long_side: int = CONSISTENCY_LONG_SIDE,
                   samples: int = CONSISTENCY_SAMPLES) -> np.ndarray:
    """The subject's colours as an even sample (at most ``samples``) of RGB pixels, read on a
    copy at most ``long_side`` px long with the outline's pixels (mixed with the backdrop)
    left out.

    Examples
    --------
    >>> image = np.zeros((40, 20, 3), np.uint8); matte = np.zeros((40, 20)); matte[5:35, 5:15] = 1
    >>> subject_pixels(image, matte).shape  # 30 x 10 less its outline
    (224, 3)
    """
    import cv2

    height, width = matte.shape
    scale = min(1.0, long_side / max(height, width))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        matte = cv2.resize(matte.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    solid = (matte > SUBJECT_ALPHA).astype(np.uint8)
    inner = cv2.erode(solid, np.ones((3, 3), np.uint8)).astype(bool)
    if inner.sum() >= max(1, solid.sum() // 4):  # thin line art would vanish: keep its pixels
        solid = inner
    pixels = image[solid.astype(bool)]
    step = max(1, math.ceil(len(pixels) / samples))
    return pixels[::step]


def palette(rgb_pixels: np.ndarray, *, clusters: int = PALETTE_CLUSTERS,
            lightness_weight: float = LIGHTNESS_WEIGHT) -> Palette:
    """The pixels' palette: k-means (fixed seed) in CIELAB with lightness scaled down by
    ``lightness_weight``, because one colour in light and in shadow differs mostly in L
    (views of a turnaround are lit from different sides) while a recolour moves a* and b*.

    Examples
    --------
    >>> pixels = np.array([[200, 30, 30]] * 70 + [[30, 30, 200]] * 30, np.uint8)
    >>> found = palette(pixels)
    >>> sorted(np.round(found.shares[found.shares > 0], 2).tolist())
    [0.3, 0.7]
    """
    import cv2

    from .measures import lab

    points = lab(rgb_pixels.reshape(-1, 3)).astype(np.float32)
    points[:, 0] *= lightness_weight
    k = min(clusters, len(np.unique(rgb_pixels.reshape(-1, 3), axis=0)))
    if k == 0:
        empty = np.zeros((0, 3), np.float32)
        return Palette(points, np.zeros(0, np.int32), empty, np.zeros(0))
    cv2.setRNGSeed(0)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 0.5)
    _, labels, centres = cv2.kmeans(points, k, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    labels = labels.ravel()
    shares = np.bincount(labels, minlength=k) / len(labels)
    return Palette(points, labels, centres, shares)


def view_palette(view: View) -> Palette | None:
    """The palette of a view's subject (its matte over the source pixels), None without one."""
    matte = view.alpha if view.alpha is not None else view.mask
    if matte is None:
        return None
    pixels = subject_pixels(view.image, matte)
    return palette(pixels) if len(pixels) else None


def unmatched(own: Palette, others: list[Palette], *, distance: float = PALETTE_MATCH_DISTANCE
              ) -> tuple[float, str | None, float]:
    """How much of ``own`` appears in none of ``others``: (the share of its pixels farther than
    ``distance`` from every colour present in another view, the name of the colour most of
    them have, that colour's unmatched share). A colour in light and shade takes several
    clusters; they are counted together under its name.

    Examples
    --------
    >>> red = palette(np.array([[200, 30, 30]] * 50 + [[250, 220, 190]] * 50, np.uint8))
    >>> blue = palette(np.array([[30, 30, 200]] * 50 + [[250, 220, 190]] * 50, np.uint8))
    >>> share, name, name_share = unmatched(red, [blue])
    >>> round(share, 2), name, round(name_share, 2)
    (0.5, 'red', 0.5)
    """
    pooled = [other.present for other in others if len(other.present)]
    if not len(own.pixels) or not pooled:
        return 0.0, None, 0.0
    centres = np.concatenate(pooled)
    nearest = np.sqrt(((own.pixels[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    far = nearest > distance
    if not far.any():
        return 0.0, None, 0.0
    per_name = by_name(own, np.bincount(own.labels[far], minlength=len(own.centres)) / len(own.pixels))
    name = max(per_name, key=per_name.get)
    return float(far.mean()), name, per_name[name]


def by_name(own: Palette, shares: np.ndarray) -> dict[str, float]:
    """``shares`` (one per cluster of ``own``) summed by the clusters' colour names."""
    totals: dict[str, float] = {}
    for centre, share in zip(own.centres, shares):
        if share > 0:
            name = colour_name(centre)
            totals[name] = totals.get(name, 0.0) + float(share)
    return totals


def colour_name(lab_colour, *, lightness_weight: float = LIGHTNESS_WEIGHT) -> str:
    """A plain name for a palette colour (L scaled by ``lightness_weight``, as in ``palette``).

    Examples
    --------
    >>> from refprep.stages.measures import lab
    >>> rgbs = ([200, 30, 30], [20, 20, 20], [40, 60, 200], [230, 190, 160], [120, 70, 30])
    >>> [colour_name(lab(np.array(rgb, np.uint8)) * [0.5, 1, 1]) for rgb in rgbs]
    ['red', 'black', 'blue', 'beige', 'brown']
    """
    lightness, a, b = float(lab_colour[0]) / lightness_weight, float(lab_colour[1]), float(lab_colour[2])
    chroma = math.hypot(a, b)
    if chroma < 12:
        return "black" if lightness < 25 else "white" if lightness > 85 else "grey"
    hue = math.degrees(math.atan2(b, a)) % 360
    if 45 <= hue < 105 and lightness < 45:
        return "brown"
    if 40 <= hue < 80 and chroma < 35 and lightness > 60:
        return "beige"  # skin tones
    names = ((20, "pink"), (45, "red"), (75, "orange"), (105, "yellow"), (170, "green"), (230, "teal"),
             (310, "blue"), (345, "purple"), (360, "pink"))
    return next(name for limit, name in names if hue < limit)


def figure_height(view: View) -> int | None:
    """Height in source pixels of the view's subject (rows of its matte), None without one."""
    mask = view.subject_mask
    if mask is None or not mask.any():
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    return int(rows[-1] - rows[0] + 1)


def same_row_of_sheet(view: View, other: View) -> bool:
    """Do two views stand in one row of one sheet (their boxes' vertical spans overlapping by
    at least ROW_OVERLAP of the taller)? A turnaround's figures share a row and a scale; a
    big main view beside it, or a row of action poses under it, is drawn at its own."""
    if view.source_index != other.source_index:
        return False
    (_, top, _, height), (_, other_top, _, other_height) = view.bbox, other.bbox
    overlap = min(top + height, other_top + other_height) - max(top, other_top)
    return overlap >= ROW_OVERLAP * max(height, other_height)


def height_deviation(height: float, others: list[float]) -> float:
    """How far a figure's height is from the median of the others: 1 - smaller/larger
    (0.2 for a figure scaled by 0.8 among figures of one height).

    Examples
    --------
    >>> round(height_deviation(80, [100, 101, 99]), 2)
    0.2
    """
    typical = float(np.median(others))
    return 1.0 - min(height, typical) / max(height, typical)


def palette_check(number: int, own: Palette | None, others: list[Palette], limits: dict) -> Check:
    """The ``consistency`` check of view ``number`` (1-based) against the other views' palettes."""
    if own is None or not len(own.pixels):
        return Check("consistency", "skip", None, limits["fail"], "No subject outline, so its colours were not compared.")
    if not others:
        return Check("consistency", "skip", None, limits["fail"], "The only view: nothing to compare it with.")
    share, name, name_share = unmatched(own, others)
    status, threshold = _grade(share, limits, higher_is_worse=True)
    if status == "pass":
        return Check("consistency", "pass", share, threshold,
                     f"Its colours appear in the other views ({share:.0%} of the figure has a colour no other view shows).")
    totals = by_name(own, own.shares)
    main = "main " if totals[name] == max(totals.values()) else ""
    lead = (f"view {number}'s {main}colour ({name}, {name_share:.0%} of the figure) appears in no other view"
            f"{f' ({share:.0%} of the figure in all)' if share - name_share >= 0.01 else ''}")
    if status == "warn":
        return Check("consistency", "warn", share, threshold,
                     f"{lead[0].upper()}{lead[1:]}: check it shows the same character and outfit.")
    return Check("consistency", "fail", share, threshold,
                 f"{lead[0].upper()}{lead[1:]}: the generator will not know which is right; fix the colours or "
                 f"leave the view out (--exclude {number}).")


def proportions_check(number: int, height: int | None, others: list[int], limits: dict) -> Check:
    """The ``proportions`` check: view ``number``'s figure height against the other full
    figures in its row of the sheet."""
    if height is None or not others:
        return Check("proportions", "skip", None, limits["fail"],
                     "No other full figure beside it on its sheet: its height was not compared.")
    value = height_deviation(height, others)
    status, threshold = _grade(value, limits, higher_is_worse=True)
    relation = "shorter" if height < np.median(others) else "taller"
    if status == "pass":
        return Check("proportions", "pass", value, threshold,
                     f"The figure is as tall as the others in its row ({value:.0%} off).")
    lead = f"The figure is {value:.0%} {relation} than the other figures in its row"
    if status == "warn":
        return Check("proportions", "warn", value, threshold,
                     f"{lead}: check it is drawn at the same scale (a crouching pose is fine).")
    return Check("proportions", "fail", value, threshold,
                 f"{lead}: the generator will copy a character whose size changes between views; redraw it at the "
                 f"others' scale or leave it out (--exclude {number}).")


def check_consistency(views: list[View], limits: dict[str, dict], numbers: list[int] | None = None) -> list[View]:
    """Every view with its ``consistency`` and ``proportions`` checks appended: its palette
    against all the other views', its figure's height against the other full figures in its
    row of the same sheet. ``limits`` are the preset's thresholds by check id; ``numbers``
    the views' numbers in the advice (as ``--exclude`` counts them; default 1, 2, ...).

    Examples
    --------
    >>> red = np.full((40, 20, 3), (200, 30, 30), np.uint8); blue = red[:, :, ::-1].copy()
    >>> figure = lambda rgb: View(0, (0, 0, 20, 40), rgb, mask=np.ones((40, 20), bool))
    >>> from refprep.thresholds import QUALITY_THRESHOLDS
    >>> checked = check_consistency([figure(red), figure(red), figure(blue)], QUALITY_THRESHOLDS)
    >>> [view.checks[0].status for view in checked]
    ['pass', 'pass', 'fail']
    """
    return judge_views(views, [view_palette(view) for view in views], limits, numbers)


def judge_views(views: list[View], palettes: list[Palette | None], limits: dict[str, dict],
                numbers: list[int] | None = None) -> list[View]:
    """``check_consistency`` with the views' palettes already read (the benchmark reuses them)."""
    numbers = numbers or list(range(1, len(views) + 1))
    heights = [figure_height(view) if view.kind == "figure" and view.framing == "full_body" else None
               for view in views]
    checked = []
    for i, view in enumerate(views):
        others = [p for j, p in enumerate(palettes) if j != i and p is not None]
        same_row = [h for j, h in enumerate(heights)
                    if j != i and h is not None and same_row_of_sheet(view, views[j])]
        checks = [palette_check(numbers[i], palettes[i], others, limits["consistency"]),
                  proportions_check(numbers[i], heights[i], same_row, limits["proportions"])]
        checked.append(replace(view, checks=[*view.checks, *checks]))
    return checked


def package_consistency(entries: list[dict]) -> dict:
    """The package-level verdict over the manifest's view entries: ``status`` (the worst of
    their consistency and proportions checks), ``views_compared`` and the views flagged.

    Examples
    --------
    >>> package_consistency([{"file": "01_front.png", "checks": [{"id": "consistency", "status": "pass"}]},
    ...                      {"file": "02_back.png", "checks": [{"id": "consistency", "status": "fail"}]}])
    {'status': 'fail', 'views_compared': 2, 'flagged': ['02_back.png'], 'message': 'The views may not show one character: see the consistency checks of 02_back.png.'}
    """
    judged = [(entry.get("file"), [c for c in entry.get("checks", []) if c.get("id") in CHECK_IDS
                                   and c.get("status") != "skip"]) for entry in entries]
    judged = [(name, checks) for name, checks in judged if checks]
    status = worst_status(c.get("status") for _, checks in judged for c in checks)
    flagged = [name for name, checks in judged if worst_status(c.get("status") for c in checks) != "pass"]
    if not judged:
        message = "Fewer than two views: nothing to compare."
        status = "skip"
    elif flagged:
        message = f"The views may not show one character: see the consistency checks of {', '.join(flagged)}."
    else:
        message = f"One character in every view: the {len(judged)} views agree in colours and proportions."
    return {"status": status, "views_compared": len(judged), "flagged": flagged, "message": message}
