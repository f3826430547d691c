"""Preload of the batch worker's fork server (``multiprocessing`` "forkserver" context).

A batch worker runs many lots, and each lot's notebook runs in its own process (stopped whole on
Ctrl-C, memory returned after the lot).  Started by ``python -m rmwork._papermill_child`` that
process would import papermill, nbformat and nbconvert and compile the report template again for
every lot: about 1.3 s of CPU per lot on our 2-core machine.  The fork server imports them once;
each lot's process is forked from it, warm, and so is the lot's kernel (:mod:`rmwork._warm_kernel`).
Importing this module is the warm-up; it starts no thread (forking a multi-threaded process is
unsafe).
"""

from rmwork._papermill_child import skip_iri_grammar

skip_iri_grammar()

import papermill  # noqa: E402,F401
from papermill.exceptions import PapermillExecutionError  # noqa: E402,F401

from rmwork.report import render  # noqa: E402

render.prepare()

# and what the lot's kernel imports, for the kernels forked from the lot's papermill process
from rmwork import _warm_kernel  # noqa: E402

_warm_kernel.preload()
