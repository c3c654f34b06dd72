"""A stand-in for a phone photo: 4032 × 3024 pixels (12 megapixels), about 5 Mo of JPEG."""
from __future__ import annotations

import io

from PIL import Image

WIDTH, HEIGHT = 4032, 3024


def phone_photo() -> bytes:
    """Colour grain at a quarter of the resolution, scaled up: JPEG spends about 5 Mo on it."""
    bands = []
    for _ in range(3):
        grain = Image.effect_noise((WIDTH // 4, HEIGHT // 4), 60)
        bands.append(grain.resize((WIDTH, HEIGHT), Image.BICUBIC))
    out = io.BytesIO()
    Image.merge("RGB", bands).save(out, "JPEG", quality=89)
    return out.getvalue()
