"""End to end: the whole job (start-up, decode, pool, encode) against real tools, same files.

    python benchmarks/bench_end_to_end.py                 # full size: ~3 GiB of disk, ~15 min
    python benchmarks/bench_end_to_end.py --repeat 1 --size 2048 --files 40 --npy-gib 0.25
    python benchmarks/bench_end_to_end.py --maxpool VENV/bin/maxpool \\
        --baseline-python OTHER_VENV/bin/python --work e2e   # keeps the inputs

Issue 17. Every command runs as a whole process, the way a user runs it, started by a small
intermediate Python process that reports the wall time and the command's peak RSS (the
kernel's ``ru_maxrss`` of its children: the largest process of the command's tree), median
of ``--repeat`` runs, the tools taking turns. maxpool is ``maxpool run IN -k 2 -o OUT``
(``--maxpool``: a Python with maxpool installed, or a ``maxpool`` script, or a command line;
default: this Python's ``-m maxpool_cli``). The baselines run as ``--baseline-python -c
SCRIPT`` (read the file, pool, write the file) with the calls that give maxpool's windows
(the obvious ones put a 2x2 window at ``[x-1, x]``, one pixel off):

- OpenCV: ``cv2.dilate(a, np.ones((2, 2), np.uint8), anchor=(0, 0))[::2, ::2]``;
- libvips (pyvips, sequential access): ``rank(2, 2, 3)``, ``crop(1, 1, W-1, H-1)``,
  ``embed(0, 0, W, H, extend="copy")``, ``subsample(2, 2)``;
- ImageMagick: ``-morphology Dilate Rectangle:2x2 -define sample:offset=75 -sample 50%``
  (``xargs -P 2`` for the folder).

Each tool's default encoder settings are kept (so file sizes differ; they are reported). Every
output is checked once, before timing, against NumPy's exact 2x2 max pooling of the input as
Pillow decodes it: it must decode to identical pixels. A tool that is not installed is
skipped with a line saying so; only maxpool, NumPy and Pillow are needed.

Inputs, generated in ``--work`` (reused when there): an 8192x8192 photo-like RGB PNG (the
sample astronaut upscaled, with noise, so that PNG compression behaves as on a photo), the
same pixels as an uncompressed TIFF, an 8192x8192 16-bit grey PNG (gradients and noise),
200 PNGs of 512x512, a 1 GiB float32 ``.npy`` and a 64x64 PNG for start-up.

Targets (ratio = the other tool's time / maxpool's, so below 1 means maxpool is slower):
- RGB PNG, 16-bit PNG and TIFF, k2 s2: ratio >= 1.0 against pyvips and OpenCV, outputs
  bit-identical;
- peak RSS for one image <= decoded input + output + encoded output + 64 MiB;
- 200 PNGs with ``-j 2``: at least as fast as OpenCV's single-process loop, start-up included;
- the 1 GiB ``.npy`` with default options: streamed (within 1.1x of the time of
  ``--memory-limit 256M``) and under 256 MiB peak RSS;
- ``maxpool run small.png -o out.png`` within 1.3x of ``python -c "import numpy, PIL.Image"``.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from measure import (  # (benchmarks/measure.py, beside this script)
    Run,
    median,
    peak_rss,
    run,
    spread,
)
from PIL import Image

Image.MAX_IMAGE_PIXELS = None  # our own 8192x8192 inputs
MiB = 2**20
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "astronaut.png"

# Each script pools one file (SRC DST) or every file of a folder (SRC_DIR DST_DIR).
OPENCV = """
import os, sys
import cv2
import numpy as np
KERNEL = np.ones((2, 2), np.uint8)
def job(src, dst):
    a = cv2.imread(src, cv2.IMREAD_UNCHANGED)
    if a is None:
        sys.exit(f"cannot read {src}")
    h, w = a.shape[0] // 2 * 2, a.shape[1] // 2 * 2
    b = cv2.dilate(a, KERNEL, anchor=(0, 0))[:h:2, :w:2]
    tiff = dst.endswith((".tif", ".tiff"))  # uncompressed, as the input (OpenCV's default: LZW)
    if not cv2.imwrite(dst, b, [cv2.IMWRITE_TIFF_COMPRESSION, 1] if tiff else []):
        sys.exit(f"cannot write {dst}")
src, dst = sys.argv[1:3]
if os.path.isdir(src):
    for name in sorted(os.listdir(src)):
        job(os.path.join(src, name), os.path.join(dst, name))
else:
    job(src, dst)
"""

PYVIPS = """
import os, sys
import pyvips
def job(src, dst):
    a = pyvips.Image.new_from_file(src, access="sequential")
    w, h = a.width, a.height
    b = a.rank(2, 2, 3).crop(1, 1, w - 1, h - 1).embed(0, 0, w, h, extend="copy")
    b.subsample(2, 2).write_to_file(dst)
src, dst = sys.argv[1:3]
if os.path.isdir(src):
    for name in sorted(os.listdir(src)):
        job(os.path.join(src, name), os.path.join(dst, name))
else:
    job(src, dst)
"""

MAGICK_OPS = ["-morphology", "Dilate", "Rectangle:2x2", "-define", "sample:offset=75"]
MAGICK_OPS += ["-sample", "50%"]


# --- inputs -------------------------------------------------------------------------------------


def make_photo(size: int) -> np.ndarray:
    """The sample photograph upscaled to ``size`` x ``size``, with noise like a sensor's."""
    with Image.open(SAMPLE) as sample:
        big = np.asarray(sample.convert("RGB").resize((size, size), Image.Resampling.BICUBIC))
    big = big.copy()
    rng = np.random.default_rng(17)
    for top in range(0, size, 512):
        band = big[top : top + 512].astype(np.int16)
        band += rng.integers(-6, 7, band.shape, dtype=np.int16)
        big[top : top + 512] = np.clip(band, 0, 255)
    return big


def make_grey16(size: int) -> np.ndarray:
    """16-bit grey: crossed gradients, a slow ripple and noise in the low bits."""
    rng = np.random.default_rng(16)
    x = np.linspace(0.0, 1.0, size)
    out = np.empty((size, size), np.uint16)
    for top in range(0, size, 512):
        y = x[top : top + 512, None]
        smooth = 20000 * x[None, :] + 30000 * y + 6000 * np.sin(12 * x[None, :] + 7 * y)
        noise = rng.normal(0, 60, (len(y), size))
        out[top : top + 512] = np.clip(smooth + 4000 + noise, 0, 65535).astype(np.uint16)
    return out


def make_small_pngs(folder: Path, count: int) -> None:
    with Image.open(SAMPLE) as sample:
        base = np.asarray(sample.convert("RGB"))
    rng = np.random.default_rng(200)
    folder.mkdir()
    for i in range(count):
        shifted = np.roll(base, (7 * i, 13 * i), axis=(0, 1)).astype(np.int16)
        shifted += rng.integers(-6, 7, shifted.shape, dtype=np.int16)
        image = np.clip(shifted, 0, 255).astype(np.uint8)
        Image.fromarray(image if i % 2 else image[:, ::-1]).save(folder / f"img{i:04d}.png")


def make_npy(path: Path, gib: float) -> None:
    """A float32 .npy of ``gib`` GiB (rows of 8192), written without holding it."""
    rows = max(2, int(gib * 2**30 / (8192 * 4)) // 2 * 2)
    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, 8192))
    rng = np.random.default_rng(1)
    for start in range(0, rows, 4096):
        stop = min(rows, start + 4096)
        array[start:stop] = rng.random((stop - start, 8192), dtype=np.float32)
    array.flush()
    del array


@dataclass
class Inputs:
    photo_png: Path
    grey_png: Path
    photo_tiff: Path
    small_dir: Path
    npy: Path
    tiny_png: Path


def make_inputs(work: Path, size: int, files: int, gib: float) -> Inputs:
    inputs = Inputs(
        photo_png=work / f"photo_{size}.png",
        grey_png=work / f"grey16_{size}.png",
        photo_tiff=work / f"photo_{size}.tif",
        small_dir=work / f"pngs_{files}",
        npy=work / f"floats_{gib:g}gib.npy",
        tiny_png=work / "small.png",
    )
    if not inputs.photo_png.exists() or not inputs.photo_tiff.exists():
        print(f"generating {size}x{size} RGB PNG and TIFF...", flush=True)
        photo = Image.fromarray(make_photo(size))
        photo.save(inputs.photo_tiff)  # Pillow's default: uncompressed
        photo.save(inputs.photo_png)
        del photo
    if not inputs.grey_png.exists():
        print(f"generating {size}x{size} 16-bit grey PNG...", flush=True)
        Image.fromarray(make_grey16(size)).save(inputs.grey_png)
    if not inputs.small_dir.exists():
        print(f"generating {files} PNGs of 512x512...", flush=True)
        make_small_pngs(inputs.small_dir, files)
    if not inputs.npy.exists():
        print(f"generating a {gib:g} GiB float32 .npy...", flush=True)
        make_npy(inputs.npy, gib)
    if not inputs.tiny_png.exists():
        with Image.open(SAMPLE) as sample:
            sample.convert("RGB").resize((64, 64)).save(inputs.tiny_png)
    return inputs


# --- checking -----------------------------------------------------------------------------------


def pool2(x: np.ndarray) -> np.ndarray:
    """Exact 2x2 stride-2 max pooling of the first two axes (VALID)."""
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    return x[:h, :w].reshape(h // 2, 2, w // 2, 2, *x.shape[2:]).max(axis=(1, 3))


def decode(path: Path) -> tuple[np.ndarray, str]:
    """Pixels and mode as Pillow decodes them (palettes expanded; tifffile as a fallback)."""
    try:
        with Image.open(path) as image:
            if image.mode == "P":
                image = image.convert("RGBA" if "transparency" in image.info else "RGB")
            return np.asarray(image), image.mode
    except (OSError, ValueError):
        import tifffile  # only for TIFFs that Pillow cannot read

        return tifffile.imread(path), "tifffile"


def same_image(path: Path, expected: np.ndarray, mode: str) -> str:
    """'' when ``path`` decodes to exactly ``expected`` in ``mode``, else what differs."""
    if not path.is_file():
        return "no output"
    got, got_mode = decode(path)
    if got_mode not in (mode, "tifffile") and {got_mode, mode} != {"I", "I;16"}:
        return f"mode {got_mode}, not {mode}"
    if got.shape != expected.shape:
        return f"shape {got.shape}, not {expected.shape}"
    if not np.array_equal(got, expected):
        return f"{np.count_nonzero(got != expected):,} values differ"
    return ""


# --- running ------------------------------------------------------------------------------------


def fresh(path: Path, folder: bool = False) -> None:
    """Remove an output (maxpool skips outputs that exist), or empty an output folder."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    if folder:
        path.mkdir()


@dataclass
class Tool:
    name: str
    command: list[str]
    output: Path
    folder: bool = False  # the output is a folder of files
    env: dict[str, str] = field(default_factory=dict)  # set for the command
    runs: list[Run] = field(default_factory=list)
    problem: str = ""  # why it is not timed (its check failed), or ''

    @property
    def median(self) -> float:
        return median(self.runs)

    @property
    def spread(self) -> str:
        return spread(self.runs)

    @property
    def rss(self) -> float:
        return peak_rss(self.runs)

    def size(self) -> int:
        if self.folder:
            return sum(p.stat().st_size for p in self.output.iterdir())
        return self.output.stat().st_size if self.output.exists() else 0


def check_and_time(tools: list[Tool], check: Callable[[Tool], str], repeat: int) -> None:
    """One run of each tool, checked; then ``repeat`` timed runs, the tools taking turns."""
    for tool in tools:
        fresh(tool.output, tool.folder)
        first = run(tool.command, tool.env)
        if first.returncode != 0:
            lines = first.stderr.strip().splitlines() or ["(no message)"]
            tool.problem = f"exit {first.returncode}: {lines[-1][:160]}"
        else:
            tool.problem = check(tool)
        if tool.problem:
            print(f"  {tool.name}: NOT TIMED, {tool.problem}", flush=True)
    for _ in range(repeat):
        for tool in tools:
            if tool.problem:
                continue
            fresh(tool.output, tool.folder)
            result = run(tool.command, tool.env)
            if result.returncode != 0:
                tool.problem = f"a timed run failed: {result.stderr.strip()[-160:]}"
                print(f"  {tool.name}: {tool.problem}", flush=True)
            tool.runs.append(result)
    for tool in tools:
        if tool.problem:
            continue
        print(
            f"  {tool.name:28} {tool.spread:26} peak RSS {tool.rss:7.0f} MiB   "
            f"output {tool.size() / MiB:8.2f} MiB",
            flush=True,
        )


# --- the tools ----------------------------------------------------------------------------------


def maxpool_command(spec: str) -> tuple[list[str], str]:
    """The maxpool command line, and the Python it runs on (for the start-up floor)."""
    words = shlex.split(spec)
    first = shutil.which(words[0]) or words[0]
    if len(words) == 1 and Path(first).name.startswith("python"):
        return [first, "-m", "maxpool_cli"], first
    if Path(first).name.startswith("python"):
        return [first, *words[1:]], first
    shebang = Path(first).read_bytes()[:200].split(b"\n")[0]  # a console script
    python = shebang[2:].decode().strip() if shebang.startswith(b"#!") else sys.executable
    return [first, *words[1:]], python


def available(python: str, module: str) -> str:
    """'' when ``python`` can import ``module``, else the reason it cannot."""
    done = subprocess.run([python, "-c", f"import {module}"], capture_output=True, text=True)
    if done.returncode == 0:
        return ""
    return (done.stderr.strip().splitlines() or ["import failed"])[-1][:120]


def imagemagick() -> list[str] | None:
    """ImageMagick's command (``magick`` 7, or ``convert`` 6), or None."""
    for name in ("magick", "convert"):
        path = shutil.which(name)
        if path:
            done = subprocess.run([path, "-version"], capture_output=True, text=True)
            if "ImageMagick" in done.stdout:
                return [path]
    return None


# Debian's ImageMagick policy caps the pixel cache (memory 256 MiB, disk 1 GiB): 8192x8192
# then fails with "cache resources exhausted". A policy.xml found first on MAGICK_CONFIGURE_PATH
# takes precedence, so the benchmark gives ImageMagick its own, with room for the images.
MAGICK_POLICY = """<policymap>
  <policy domain="resource" name="memory" value="16GiB"/>
  <policy domain="resource" name="map" value="16GiB"/>
  <policy domain="resource" name="area" value="16GP"/>
  <policy domain="resource" name="disk" value="16GiB"/>
</policymap>
"""


@dataclass
class Baselines:
    python: str
    opencv: str  # '' when available, else why not
    pyvips: str
    magick: list[str] | None
    xargs: str | None
    magick_env: dict[str, str] = field(default_factory=dict)

    def tools(self, src: Path, out: Path, ext: str, folder: bool = False) -> list[Tool]:
        found = []
        if not self.pyvips:
            found.append(Tool("libvips (pyvips)", [self.python, "-c", PYVIPS, str(src), ""], out))
        if not self.opencv:
            found.append(Tool("OpenCV", [self.python, "-c", OPENCV, str(src), ""], out))
        for tool in found:
            tool.output = out / f"{tool.name.split()[0].lower()}{ext}"
            tool.command[-1] = str(tool.output)
            tool.folder = folder
        if self.magick is not None:
            name = "ImageMagick"
            target = out / f"imagemagick{ext}"
            if not folder:
                command = [*self.magick, str(src), *MAGICK_OPS, str(target)]
                found.append(Tool(name, command, target, env=self.magick_env))
            elif self.xargs is not None:
                each = [*self.magick, f"{src}/{{}}", *MAGICK_OPS, f"{target}/{{}}"]
                listing = out / "names.txt"
                listing.write_text("".join(f"{p.name}\n" for p in sorted(src.iterdir())))
                xargs = [self.xargs, "-a", str(listing), "-P", "2", "-I{}", *each]
                found.append(Tool(f"{name} (xargs -P2)", xargs, target, True, self.magick_env))
        return found

    def report_missing(self) -> None:
        if self.pyvips:
            print(f"skipped: libvips (pyvips) not usable by {self.python}: {self.pyvips}")
        if self.opencv:
            print(f"skipped: OpenCV (cv2) not usable by {self.python}: {self.opencv}")
        if self.magick is None:
            print("skipped: ImageMagick (no `magick` or `convert` of ImageMagick on PATH)")
        elif self.xargs is None:
            print("skipped: ImageMagick for the folder (no xargs)")


# --- the cases ----------------------------------------------------------------------------------


@dataclass
class ImageCase:
    label: str
    tools: list[Tool]
    decoded_bytes: int = 0
    output_bytes: int = 0


def image_case(
    label: str, src: Path, ext: str, maxpool: list[str], base: Baselines, out: Path, repeat: int
) -> ImageCase:
    print(f"\n{label}:", flush=True)
    with Image.open(src) as image:
        pixels, mode = np.asarray(image), image.mode
    expected = pool2(pixels)
    out = out / src.name.replace(
        ".", "_"
    )  # each case's outputs stay until the report reads their sizes
    out.mkdir()
    target = out / f"maxpool{ext}"
    tools = [Tool("maxpool", [*maxpool, "run", str(src), "-k", "2", "-o", str(target)], target)]
    tools += base.tools(src, out, ext)
    check_and_time(tools, lambda tool: same_image(tool.output, expected, mode), repeat)
    return ImageCase(label, tools, pixels.nbytes, expected.nbytes)


def batch_case(src: Path, maxpool: list[str], base: Baselines, out: Path, repeat: int) -> ImageCase:
    names = sorted(p.name for p in src.iterdir())
    print(f"\n{len(names)} PNGs of 512x512, k2 s2:", flush=True)
    expected = {}
    for name in names:
        with Image.open(src / name) as image:
            expected[name] = (pool2(np.asarray(image)), image.mode)
    target = out / "maxpool_batch"
    command = [*maxpool, "run", str(src), "-k", "2", "-o", f"{target}/", "-j", "2"]
    tools = [Tool("maxpool -j 2", command, target, folder=True)]
    tools += base.tools(src, out, "_batch", folder=True)

    def check(tool: Tool) -> str:
        problems = [same_image(tool.output / n, *expected[n]) for n in names]
        bad = [f"{n}: {p}" for n, p in zip(names, problems) if p]
        return f"{len(bad)} of {len(names)} differ, e.g. {bad[0]}" if bad else ""

    check_and_time(tools, check, repeat)
    return ImageCase(f"{len(names)} PNGs of 512x512, `-j 2`", tools)


def npy_case(src: Path, maxpool: list[str], out: Path, repeat: int) -> list[Tool]:
    size = src.stat().st_size
    print(f"\n{size / 2**30:.2f} GiB float32 .npy, k2 s2:", flush=True)
    target = out / "pooled.npy"
    command = [*maxpool, "run", str(src), "-k", "2", "-o", str(target)]
    tools = [
        Tool("maxpool, default options", command, target),
        Tool("maxpool --memory-limit 256M", [*command, "--memory-limit", "256M"], target),
    ]

    def check(tool: Tool) -> str:
        x = np.load(src, mmap_mode="r")
        y = np.load(tool.output, mmap_mode="r")
        if y.shape != (x.shape[0] // 2, x.shape[1] // 2) or y.dtype != x.dtype:
            return f"shape {y.shape} {y.dtype}"
        for top in range(0, x.shape[0], 4096):  # band by band: the check stays small too
            if not np.array_equal(y[top // 2 : (top + 4096) // 2], pool2(x[top : top + 4096])):
                return f"rows from {top} differ"
        return ""

    check_and_time(tools, check, repeat)
    fresh(target)
    return tools


def startup_case(
    tiny: Path, maxpool: list[str], python: str, out: Path, runs: int
) -> tuple[Tool, Tool]:
    print(f"\nstart-up (64x64 PNG), median of {runs}:", flush=True)
    target = out / "small_out.png"
    floor = Tool("import numpy, PIL.Image", [python, "-c", "import numpy, PIL.Image"], out / "-")
    tool = Tool("maxpool", [*maxpool, "run", str(tiny), "-k", "2", "-o", str(target)], target)
    with Image.open(tiny) as image:
        expected, mode = pool2(np.asarray(image)), image.mode
    check_and_time([floor], lambda _: "", runs)
    check_and_time([tool], lambda t: same_image(t.output, expected, mode), runs)
    return tool, floor


# --- report -------------------------------------------------------------------------------------


def ratio(other: Tool | None, mine: Tool) -> str:
    if other is None:
        return "skipped"
    if other.problem or mine.problem:
        return "failed"
    return f"{other.median / mine.median:.2f}"


def find(tools: list[Tool], prefix: str) -> Tool | None:
    return next((t for t in tools if t.name.startswith(prefix)), None)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def report(
    images: list[ImageCase],
    batch: ImageCase,
    npy: list[Tool],
    startup: tuple[Tool, Tool],
    npy_label: str,
) -> None:
    print(
        "\n| input (k2 s2) | maxpool | libvips (pyvips) | OpenCV | ImageMagick | "
        "maxpool peak RSS | libvips RSS | OpenCV RSS |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for case in [*images, batch]:
        me = case.tools[0]
        cells = [case.label, me.spread if not me.problem else f"failed: {me.problem}"]
        cells += [ratio(find(case.tools, p), me) for p in ("libvips", "OpenCV", "ImageMagick")]
        for tool in (me, find(case.tools, "libvips"), find(case.tools, "OpenCV")):
            cells.append(f"{tool.rss:.0f} MiB" if tool is not None and tool.runs else "")
        print("| " + " | ".join(cells) + " |")
    for tool in npy:
        name = npy_label + (", default options" if tool.name.endswith("options") else "")
        name += ", `--memory-limit 256M`" if "memory" in tool.name else ""
        figures = (
            f"failed: {tool.problem}" if tool.problem else f"{tool.spread}, {tool.rss:.0f} MiB"
        )
        print(f"| {name} | {figures} | | | | | | |")
    me, floor = startup
    print(
        f"| start-up, `maxpool run small.png -o out.png` | {me.median * 1e3:.0f} ms | "
        f'`python -c "import numpy, PIL.Image"` {floor.median * 1e3:.0f} ms: '
        f"{me.median / floor.median:.2f}x | | | | | |"
    )

    print("\noutput sizes (MiB):")
    for case in [*images, batch]:
        sizes = ", ".join(f"{t.name} {t.size() / MiB:.2f}" for t in case.tools if not t.problem)
        print(f"  {case.label}: {sizes}")

    print("\ntargets:")
    for case in images:
        me = case.tools[0]
        for prefix in ("libvips", "OpenCV"):
            other = find(case.tools, prefix)
            if other is None or other.problem or me.problem:
                print(f"  {case.label}: vs {prefix}: not measured")
                continue
            r = other.median / me.median
            print(f"  {case.label}: ratio vs {prefix} {r:.2f} >= 1.0: {verdict(r >= 1.0)}")
        identical = not me.problem and all(not t.problem for t in case.tools)
        print(f"  {case.label}: every output bit-identical: {verdict(identical)}")
        budget = (case.decoded_bytes + case.output_bytes + me.size()) / MiB + 64
        print(
            f"  {case.label}: peak RSS {me.rss:.0f} MiB <= {budget:.0f} MiB (decoded input + "
            f"output + encoded output + 64 MiB): {verdict(me.rss <= budget)}"
        )
    me, cv = batch.tools[0], find(batch.tools, "OpenCV")
    if cv is not None and not cv.problem and not me.problem:
        r = cv.median / me.median
        print(f"  PNG batch -j 2: ratio vs OpenCV loop {r:.2f} >= 1.0: {verdict(r >= 1.0)}")
    default, banded = npy
    if default.problem or banded.problem:
        print("  .npy default options: not measured")
    else:
        slower = default.median / banded.median
        print(
            f"  .npy default options: {slower:.2f}x the --memory-limit 256M time (<= 1.1x): "
            f"{verdict(slower <= 1.1)}; peak RSS {default.rss:.0f} MiB < 256 MiB: "
            f"{verdict(default.rss < 256)}"
        )
    if startup[0].problem:
        print("  start-up: not measured")
    else:
        r = startup[0].median / startup[1].median
        print(f"  start-up: {r:.2f}x `import numpy, PIL.Image` (<= 1.3x): {verdict(r <= 1.3)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8192, help="side of the big images (even)")
    parser.add_argument("--files", type=int, default=200, help="small PNGs in the batch")
    parser.add_argument("--npy-gib", type=float, default=1.0, help="size of the .npy")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each command")
    parser.add_argument("--startup-runs", type=int, default=20)
    parser.add_argument("--maxpool", default=sys.executable, help="Python or maxpool command")
    parser.add_argument("--baseline-python", default=sys.executable)
    parser.add_argument("--work", type=Path, help="folder for inputs (kept) and outputs")
    args = parser.parse_args()
    if args.size % 2:
        parser.error("--size must be even")
    maxpool, maxpool_python = maxpool_command(args.maxpool)
    base = Baselines(
        python=args.baseline_python,
        opencv=available(args.baseline_python, "cv2"),
        pyvips=available(args.baseline_python, "pyvips"),
        magick=imagemagick(),
        xargs=shutil.which("xargs"),
    )
    print(f"maxpool: {shlex.join(maxpool)}; baselines: {args.baseline_python}")
    base.report_missing()
    work = args.work or Path(tempfile.mkdtemp(prefix="maxpool-e2e-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "magick").mkdir(exist_ok=True)
    (work / "magick" / "policy.xml").write_text(MAGICK_POLICY)
    base.magick_env = {"MAGICK_CONFIGURE_PATH": str(work / "magick")}
    need = (7.5 * args.size**2 * 3 + 1.4 * args.npy_gib * 2**30 + args.files * 2 * MiB) * 1.2
    free = shutil.disk_usage(work).free
    if free < need:
        raise SystemExit(f"{work}: {free / 2**30:.1f} GiB free, needs {need / 2**30:.1f} GiB")
    try:
        inputs = make_inputs(work, args.size, args.files, args.npy_gib)
        out = work / "out"
        fresh(out, folder=True)
        s = f"{args.size}x{args.size}"
        images = [
            image_case(label, src, src.suffix, maxpool, base, out, args.repeat)
            for label, src in [
                (f"{s} RGB PNG", inputs.photo_png),
                (f"{s} 16-bit grey PNG", inputs.grey_png),
                (f"{s} RGB TIFF (uncompressed)", inputs.photo_tiff),
            ]
        ]
        batch = batch_case(inputs.small_dir, maxpool, base, out, args.repeat)
        npy = npy_case(inputs.npy, maxpool, out, args.repeat)
        startup = startup_case(inputs.tiny_png, maxpool, maxpool_python, out, args.startup_runs)
        npy_label = f"{inputs.npy.stat().st_size / 2**30:.2f} GiB float32 `.npy`"
        report(images, batch, npy, startup, npy_label)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            shutil.rmtree(work / "out", ignore_errors=True)


if __name__ == "__main__":
    main()
