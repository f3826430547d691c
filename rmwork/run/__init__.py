"""The execution layer: everything that runs a lot, apart from the statistics it runs.

Read it in this order:

* :mod:`rmwork.run.cli` -- the ``rmwork`` command (run, batch, validate, verify);
* :mod:`rmwork.run.runner` -- one lot: validate, papermill in a child, render, manifest, swap;
* :mod:`rmwork.run.child` -- the child process: ``papermill.execute_notebook`` then nbconvert;
* :mod:`rmwork.run.kernel` -- the plug-in inside the report kernel (kernel record, whole errors,
  background Bayesian fits);
* :mod:`rmwork.run.errors` -- the errors the CLI tells apart.

Plug-ins that make it faster without changing a byte of the report:

* :mod:`rmwork.run.warm`, :mod:`rmwork.run._warm_preload`, :mod:`rmwork.run.warm_kernel` -- a
  batch worker's fork server and the kernel provisioner that forks warm kernels;
* :mod:`rmwork.run.service` -- the sampling service that compiles each Bayesian model structure
  once per run or batch and samples for the kernels.

Nothing outside this package imports papermill, nbclient, jupyter_client or multiprocessing
(``tests/test_style.py``); the statistics (``rmwork.bayes`` included) never import this package.
"""
