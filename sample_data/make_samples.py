"""Regenerate the synthetic files of sample_data/ (astronaut.png is copied, see README.md).

python sample_data/make_samples.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
rng = np.random.default_rng(2026)

CLASSIC = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.uint8)


def main() -> None:
    np.save(HERE / "classic_4x4.npy", CLASSIC)
    (HERE / "classic_4x4.csv").write_text("".join(",".join(map(str, r)) + "\n" for r in CLASSIC))

    # A binary mask of thin lines and dots: what max pooling keeps and resizing blurs away.
    mask = np.zeros((128, 128), dtype=bool)
    mask[20, 10:118] = True
    mask[10:118, 64] = True
    for i in range(16, 112):
        mask[i, i] = True
    mask[rng.integers(0, 128, 40), rng.integers(0, 128, 40)] = True
    Image.fromarray(mask).save(HERE / "mask.png")

    # 16-bit grayscale: a smooth "depth map" with fine ridges that 8 bits could not hold.
    yy, xx = np.mgrid[0:160, 0:200]
    depth = 20000 + 150 * xx + 80 * yy + 3000 * np.sin(xx / 7.0) * np.cos(yy / 11.0)
    Image.fromarray(np.clip(depth, 0, 65535).astype(np.uint16)).save(HERE / "depth_16bit.png")

    # RGBA with transparency: a soft-edged disc on a transparent background.
    r = np.hypot(yy[:96, :96] - 48, xx[:96, :96] - 48)
    rgba = np.zeros((96, 96, 4), dtype=np.uint8)
    rgba[..., 0] = 230
    rgba[..., 1] = np.clip(255 - 4 * r, 0, 255)
    rgba[..., 2] = 60
    rgba[..., 3] = np.clip((44 - r) * 40, 0, 255)
    Image.fromarray(rgba).save(HERE / "disc_rgba.png")

    # Feature maps as a network would give them, (channels, height, width) float32: two
    # ReLU outputs and heat maps of three class scores.
    centres = [(9, 15), (4, 4), (18, 10)]
    heat = [np.exp(-((yy[:24, :24] - r) ** 2 + (xx[:24, :24] - c) ** 2) / 20) for r, c in centres]
    features = {
        "conv1": rng.normal(size=(8, 32, 32)).astype(np.float32).clip(0, None),
        "conv2": rng.normal(size=(16, 16, 16)).astype(np.float32).clip(0, None),
        "heatmap": np.stack(heat).astype(np.float32),
    }
    np.savez(HERE / "features.npz", **features)

    # A small animated GIF: a dot moving over four frames, 120 ms each.
    frames = []
    for i in range(4):
        frame = np.full((32, 32, 3), 20, dtype=np.uint8)
        frame[8 + 4 * i : 12 + 4 * i, 4 + 6 * i : 8 + 6 * i] = (250, 200, 0)
        frames.append(Image.fromarray(frame))
    frames[0].save(HERE / "dot.gif", save_all=True, append_images=frames[1:], duration=120, loop=0)


if __name__ == "__main__":
    main()
