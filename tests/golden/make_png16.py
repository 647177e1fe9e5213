"""Write the 16-bit colour PNGs of ``tests/data/png16`` with libpng and libvips (run by hand).

Pillow cannot write 16 bits a colour sample, and maxpool's own writer is what the files test
against, so they come from other encoders: OpenCV (libpng, adaptive filters) and libvips
(every filter tried per row, Adam7 interlace, grey and alpha). Each ``NAME.png`` is stored
with ``NAME.npy``, the pixels as those libraries decode them again (the test's oracle).

    cd /work/main && /work/fwenv/bin/python tests/golden/make_png16.py
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pyvips

OUT = Path(__file__).parent.parent / "data" / "png16"


def pixels(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Smooth ramps (so that Sub, Up, Average and Paeth rows all win somewhere) and noise."""
    rng = np.random.default_rng(seed)
    h, w = shape[:2]
    ramp = np.add.outer(np.arange(h) * 997, np.arange(w) * 613)
    ramp = ramp[..., None] * (np.arange(shape[2]) + 1) if len(shape) == 3 else ramp
    noise = rng.integers(0, 4096, shape)
    return ((ramp + noise) % 65536).astype(np.uint16)


def from_vips(image: pyvips.Image) -> np.ndarray:
    return np.ndarray(
        buffer=image.write_to_memory(),
        dtype=np.uint16,
        shape=(image.height, image.width, image.bands),
    ).squeeze()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rgb = pixels((23, 37, 3), 1)
    cv2.imwrite(str(OUT / "rgb16_libpng.png"), rgb[..., ::-1])  # (OpenCV is BGR)
    rgba = pixels((19, 28, 4), 2)
    cv2.imwrite(str(OUT / "rgba16_libpng.png"), rgba[..., [2, 1, 0, 3]])
    for name, array, options in [
        ("rgb16_vips_all_filters", pixels((21, 30, 3), 3), {"filter": "all"}),
        ("rgb16_vips_interlaced", pixels((29, 17, 3), 4), {"interlace": True}),
        ("la16_vips", pixels((18, 25, 2), 5), {"filter": "all"}),
    ]:
        image = pyvips.Image.new_from_array(array).copy(interpretation="rgb16")
        if array.shape[2] == 2:
            image = image.copy(interpretation="grey16")
        image.pngsave(str(OUT / f"{name}.png"), **options)
    for png in sorted(OUT.glob("*.png")):
        if "libpng" in png.name:
            decoded = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
            decoded = decoded[..., [2, 1, 0, 3][: decoded.shape[2]]]
        else:
            decoded = from_vips(pyvips.Image.new_from_file(str(png)))
        assert decoded.dtype == np.uint16, png
        np.save(png.with_suffix(".npy"), decoded)
        print(png.name, decoded.shape)


if __name__ == "__main__":
    main()
