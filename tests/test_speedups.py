"""The fast paths give exactly what the plain formulas give."""

from __future__ import annotations

import numpy as np
import pytest

from refprep.data import Background, View


@pytest.mark.parametrize("target", [(255, 255, 255), (0, 177, 64), None])
def test_composite_matches_the_blend_over_the_whole_canvas(target):
    from refprep.stages.clean import composite_view, decontaminate

    rng = np.random.default_rng(1)
    h, w = 40, 30
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    alpha = rng.choice([0.0, 1.0, 0.3, 0.75, 0.02], size=(h, w)).astype(np.float32)
    backdrop = np.full((h, w, 3), 200.0, np.float32) + rng.normal(0, 5, (h, w, 3)).astype(np.float32)
    view = View(0, (5, 5, w, h), image, canvas=(50, 60, 7, 11),
                backdrop=Background("flat", (200, 200, 200), 1.0, None, (100, 100)))
    got = composite_view(view, alpha, backdrop, target)

    # The plain formula: decontaminate everything, blend everything, on the canvas.
    alpha_canvas = np.zeros((60, 50), np.float32)
    alpha_canvas[11:11 + h, 7:7 + w] = alpha
    colour = np.zeros((60, 50, 3), np.float32)
    colour[11:11 + h, 7:7 + w] = decontaminate(image, alpha, backdrop)
    if target is None:
        expected = np.dstack([np.round(colour * (alpha_canvas[:, :, None] > 0)),
                              np.round(alpha_canvas * 255)]).astype(np.uint8)
    else:
        a = alpha_canvas[:, :, None]
        expected = np.round(a * colour + (1.0 - a) * np.array(target, np.float32)).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(got, expected)
