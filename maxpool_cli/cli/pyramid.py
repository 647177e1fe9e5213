"""``maxpool pyramid``: levels of repeated pooling, as OME-Zarr, a pyramidal TIFF or a folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..errors import ParameterError
from ..io.formats import FORMATS, check_compress_level, from_extension, is_zarr_store
from ..jobs.options import PoolOptions
from . import streams
from .app import cli
from .params import pyramid_pooling_options


@cli.command()
@click.argument("source", metavar="INPUT", type=click.Path(dir_okay=True))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(),
    help="OUT.zarr (OME-Zarr), OUT.tif (pyramidal TIFF) or a folder (a file per level).",
)
@pyramid_pooling_options
@click.option("--levels", type=click.IntRange(min=1), help="How many levels, the input included.")
@click.option(
    "--min-size",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Stop before a pooled axis would be shorter than this (without --levels).",
)
@click.option(
    "--chunks",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="OME-Zarr chunk size along each pooled axis.",
)
@click.option(
    "--axes-names",
    help="OME-Zarr axis names of an array, like c,z,y,x (images: y,x and c).",
)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(FORMATS), help="The levels' format in a folder."
)
@click.option("--key", help="The .npz member to build the pyramid of.")
@click.option("--max-pixels", type=click.IntRange(min=1), help="Raise the image size limit.")
@click.option("--memory-limit", help="Memory the job may use, like 256M (default: a quarter).")
@click.option(
    "--compress-level",
    type=click.IntRange(0, 9),
    help="zstd level of OME-Zarr chunks, zlib level of TIFF and PNG (0: none).",
)
@click.option(
    "--dask",
    "dask_address",
    metavar="local|tcp://HOST:PORT",
    help="Compute the levels on Dask (a .npy or Zarr array into OUT.zarr): a local cluster of "
    "-j workers, or a running scheduler.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Workers of --dask local (default: one per core).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("--json", "as_json", is_flag=True, help="Print the levels as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
def pyramid(
    source: str,
    output: str,
    options: PoolOptions,
    levels: int | None,
    min_size: int,
    chunks: int,
    axes_names: str | None,
    fmt: str | None,
    key: str | None,
    max_pixels: int | None,
    memory_limit: str | None,
    compress_level: int | None,
    dask_address: str | None,
    jobs: int | None,
    overwrite: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Build a multi-resolution pyramid: level 0 is the input, each next level the previous
    one pooled (default -k 2, ceil mode on, so odd sizes keep their last row and column).

    Each level is computed from the previous one band by band within --memory-limit (or on
    Dask with --dask), and the output appears whole at the end. OME-Zarr levels carry their
    scale and translation (the pooling geometry, exactly); --op mode keeps label maps labels.

    \b
    Examples:
      maxpool pyramid sample_data/astronaut.png -o astronaut.zarr --min-size 32
      maxpool pyramid labels.tif -o labels.zarr --op mode
      maxpool pyramid volume.npy -o volume.zarr --axes 0,1,2 --axes-names z,y,x --memory-limit 256M
      maxpool pyramid photo.png -o levels/ --levels 4
      maxpool pyramid big.npy -o big.zarr --axes 0,1 --axes-names y,x --dask local -j 4
    """
    from ..io.memory import default_budget
    from ..io.sizes import parse_size
    from ..jobs.options import Settings
    from ..jobs.pyramid import PyramidRequest, build_pyramid

    options.check()
    limit = parse_size(memory_limit) if memory_limit else default_budget()
    settings = Settings(options, fmt, overwrite, key, max_pixels, limit, compress_level)
    names = tuple(n.strip() for n in axes_names.split(",")) if axes_names else None
    if jobs is not None and dask_address != "local":
        raise ParameterError(
            "-j/--jobs: the workers of a local Dask cluster; expected --dask local"
        )
    workers = jobs or os.cpu_count() or 1
    request = PyramidRequest(levels, min_size, chunks, names, dask_address, workers)
    target = Path(output)
    if compress_level is not None and target.suffix.lower() != ".zarr":
        # A TIFF, or a folder of levels in the input's format (or -f's).
        level_format = "tiff" if from_extension(target) == "tiff" else fmt
        if level_format is None:
            level_format = "npy" if is_zarr_store(source) else from_extension(Path(source))
        check_compress_level(compress_level, level_format, output)
    built, notes = build_pyramid(source, target, settings, request)
    for note in notes:
        streams.note(note, source)
    if as_json:
        records = [
            {
                "level": n,
                "shape": list(level.shape),
                "dtype": str(level.dtype),
                "scale": list(level.scale),
                "translation": list(level.translation),
            }
            for n, level in enumerate(built)
        ]
        click.echo(json.dumps({"input": source, "output": output, "levels": records}))
    elif not quiet:
        click.echo(f"{source} -> {output}: {len(built)} levels, {options.op}")
        for n, level in enumerate(built):
            click.echo(f"  level {n}  {level.shape} {level.dtype}")
