"""Export presets: which views a target generator wants and how strict the checks are.

A preset is data: required and recommended view groups, and overrides of the quality
thresholds in ``thresholds.QUALITY_THRESHOLDS`` by check id.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field

from .thresholds import QUALITY_THRESHOLDS

# Coarse groups a preset asks for; each view class falls in one.
VIEW_GROUPS = {
    "front": ("front",),
    "three_quarter": ("three_quarter_left", "three_quarter_right"),
    "side": ("side_left", "side_right"),
    "back": ("back",),
}


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    required_views: tuple[str, ...] = ("front",)
    recommended_views: tuple[str, ...] = ()
    max_views: int | None = None
    threshold_overrides: dict[str, dict[str, float]] = field(default_factory=dict)
    source: str = ""

    def thresholds(self) -> dict[str, dict[str, float]]:
        merged = deepcopy(QUALITY_THRESHOLDS)
        for check_id, values in self.threshold_overrides.items():
            merged.setdefault(check_id, {}).update(values)
        return merged


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="generic",
            description="Front, three-quarter and side views (back if present) as PNG on white.",
            required_views=("front",),
            recommended_views=("three_quarter", "side"),
            source="refprep default: what every generator's reference guide asks for",
        ),
    )
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}") from None


def view_group(view_class: str) -> str | None:
    for group, classes in VIEW_GROUPS.items():
        if view_class in classes:
            return group
    return None
