"""``maxpool explain``: the lesson, every window of a small input step by step."""

from __future__ import annotations

import click

from ..jobs.options import PoolOptions
from .app import cli
from .params import pooling_options


@cli.command()
@click.argument("source", metavar="[INPUT]", required=False, type=click.Path(allow_dash=True))
@pooling_options
@click.option(
    "--max-steps",
    type=click.IntRange(min=1),
    default=36,
    show_default=True,
    help="Refuse to walk more windows than this.",
)
@click.option("--key", help="The .npz member to walk.")
def explain(source: str | None, options: PoolOptions, max_steps: int, key: str | None) -> None:
    """Walk through pooling step by step: every window, its values, the result.

    Without INPUT it uses the classic 4x4 example. Inputs must be 1-D or 2-D and small.

    \b
    Examples:
      maxpool explain
      maxpool explain -k 2 -p 1 --op avg
      maxpool explain sample_data/classic_4x4.csv -k 3 -s 1 -p same
      maxpool explain --output-size 3,3
    """
    import numpy as np

    from .. import io
    from ..jobs.lesson import explanation
    from . import render, render_explain

    if source is None:
        name = "the classic 4x4 example"
        x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
        image = False
    else:
        doc = io.read(source, key=key)
        name, x, image = doc.name, doc.single(), doc.is_image
    walk = explanation(name, x, options, image, max_steps)
    render_explain.print_explanation(render.stdout_console(), name, x, walk, options)
