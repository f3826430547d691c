"""Preload of the batch worker's fork server (:mod:`rmwork.run.warm`).

Importing this module is the warm-up: papermill, nbconvert with the report template compiled,
and what the lot's kernel imports (:mod:`rmwork.run.warm_kernel`).  It starts no thread (forking
a multi-threaded process is unsafe).
"""

from rmwork.run.child import skip_iri_grammar

skip_iri_grammar()

import papermill  # noqa: E402,F401
from papermill.exceptions import PapermillExecutionError  # noqa: E402,F401

from rmwork.report import render  # noqa: E402

render.prepare()

# and what the lot's kernel imports, for the kernels forked from the lot's papermill process
from rmwork.run import warm_kernel  # noqa: E402

warm_kernel.preload()
