"""The jobs layer: running work on files (the options model, one file, out of core, batches
in worker processes, Dask). It may import the engine and io, never the command line.

Nothing here prints: jobs return what they did, and the command line renders it.
"""
