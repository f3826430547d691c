"""Sampling with nutpie: settings, the compiled-model cache, the fit result (STYLE.md section 6).

One model structure is compiled once per process with :func:`nutpie.compile_pymc_model` and kept
in a module-level cache; every later fit of the same structure swaps the data with
``compiled.with_data(...)`` (all data enter the models through ``pm.Data``) and samples in a
fraction of a second.  The seed and the settings are always explicit; settings, priors and seed
are stored with a SHA-256 of their canonical JSON (``json.dumps(sort_keys=True)``).

Where a fit runs is the caller's choice, never this module's: every fit goes through a *sampler*,
a callable ``sampler(key, build, data, *, var_names, seed, settings) -> _Run``.  The default,
:func:`sample_here`, compiles and samples in this process; the run layer (``rmwork run``/
``batch``) hands the models one that sends the fit to its sampling service
(:mod:`rmwork.run.service`), either explicitly (``sampler=``) or for a block of code with
:func:`using`.  The same structure and seed give the same draws whichever sampler runs them.

PyMC, PyTensor and nutpie are imported only when a fit runs: ``import rmwork.bayes`` stays cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, fields
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import InputError
from ..results import Result, plain
from .diagnostics import Diagnostics, _gate, chain_stats

__all__ = [
    "SamplerSettings",
    "BayesFit",
    "sample",
    "config_hash",
    "clear_cache",
    "cache_info",
    "SAMPLER",
    "BACKEND",
    "Sampler",
    "sample_here",
    "using",
    "set_default_sampler",
    "run",
    "compile_structure",
]

SAMPLER = "nutpie"  # nuts_sampler recorded in every fit (PyMC 6 would pick it silently; PITFALLS.md)
BACKEND = "numba"  # nutpie.compile_pymc_model backend (jax is not installed here)
ADAPTATION = "diag"  # nutpie's default mass-matrix adaptation, stated explicitly
NUMBA_FASTMATH = False  # bit-identical draws with a cold or warm compile cache (measured; PITFALLS.md)
QUANTILES = {"q025": 0.025, "q975": 0.975, "q95": 0.95}  # equal-tailed 95 % interval; one-sided 95 % bound


# ---------------------------------------------------------------------------------------------
# settings


@dataclass(frozen=True, slots=True, kw_only=True)
class SamplerSettings:
    """NUTS settings of one fit (nutpie; Hoffman & Gelman 2014 NUTS, Stan-style adaptation).

    ``cores`` only sets how many chains run in parallel: it does not change the draws (measured),
    so it is recorded with the run time, not hashed.
    """

    draws: int = 2000  # draws kept per chain
    tune: int = (
        500  # warm-up draws per chain (discarded); nutpie adapts in a few hundred (its default is 300)
    )
    chains: int = 4  # >= 2 for R-hat; 4 x 100 gives the ESS floor of 400 (Vehtari 2021)
    target_accept: float = 0.9  # above nutpie's 0.8: fewer divergences on few-lab posteriors
    maxdepth: int = 10  # nutpie default: at most 2^10 leapfrog steps per draw
    cores: int | None = None  # parallel chains; None = min(chains, CPUs)

    def __post_init__(self):
        def bad(name, rule):
            raise InputError(
                f"{name} must be {rule}, got {getattr(self, name)!r}",
                key=f"sampler.{name}",
                hint=f"set sampler.{name} to {rule}",
            )

        for name, low in (("draws", 100), ("tune", 100), ("chains", 1), ("maxdepth", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                bad(name, f"an integer >= {low}")
        ta = self.target_accept
        if isinstance(ta, bool) or not isinstance(ta, (int, float, np.floating)) or not 0.5 < ta < 1:
            bad("target_accept", "a number in (0.5, 1)")
        if self.cores is not None and (
            isinstance(self.cores, bool) or not isinstance(self.cores, (int, np.integer)) or self.cores < 1
        ):
            bad("cores", "a positive integer or null")

    @classmethod
    def coerce(cls, settings=None) -> SamplerSettings:
        """``None`` (defaults), a SamplerSettings, a mapping, or a pydantic model (``model_dump``)."""
        if settings is None:
            return cls()
        if isinstance(settings, cls):
            return settings
        if hasattr(settings, "model_dump"):
            settings = settings.model_dump()
        if isinstance(settings, Mapping):
            known = {f.name for f in fields(cls)}
            unknown = sorted(set(settings) - known)
            if unknown:
                raise InputError(
                    f"'{unknown[0]}' is not a sampler setting",
                    key=f"sampler.{unknown[0]}",
                    hint=f"use one of {', '.join(sorted(known))}",
                )
            return cls(**{k: v for k, v in settings.items() if v is not None or k == "cores"})
        raise TypeError(
            f"`settings` must be None, SamplerSettings or a mapping, got {type(settings).__name__}"
        )

    def to_dict(self) -> dict:
        return plain(asdict(self))

    def resolved_cores(self) -> int:
        return int(self.cores) if self.cores is not None else max(1, min(self.chains, os.cpu_count() or 1))


def _check_seed(seed) -> int:
    if (
        seed is None
        or isinstance(seed, bool)
        or not isinstance(seed, (int, np.integer))
        or not 0 <= seed < 2**63
    ):
        raise InputError(
            f"an MCMC fit needs an integer seed >= 0, got {seed!r}",
            key="seed",
            hint="set the lot's seed in the parameter file",
        )
    return int(seed)


def config_hash(config: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``config`` (FIPS 180-4; ``json.dumps(sort_keys=True)``).

    Canonical JSON here: plain types (numpy scalars to Python), sorted keys, ``","``/``":"``
    separators, ASCII, no NaN.
    """
    text = json.dumps(
        plain(config), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _versions() -> dict[str, str]:
    import nutpie
    import pymc
    import pytensor

    return {"pymc": pymc.__version__, "pytensor": pytensor.__version__, "nutpie": nutpie.__version__}


# ---------------------------------------------------------------------------------------------
# the result


@dataclass(frozen=True, slots=True, kw_only=True)
class BayesFit(Result):
    """One MCMC fit: settings, priors, hash, posterior summary and convergence gate
    (STYLE.md section 6; Vehtari et al. 2021 for the diagnostics).

    ``summary[param]`` holds ``mean, sd, median, q025, q975, q95, rhat, ess_bulk, ess_tail,
    mcse_mean`` of each reported parameter, in the data's units.  The draws (all chains,
    chain-major, flattened) are in :attr:`draws`; they are not exported by :meth:`to_dict`.
    """

    model: str
    sampler: str
    seed: int
    settings: Mapping[str, Any]
    priors: Mapping[str, str]
    config_hash: str
    summary: Mapping[str, Mapping[str, float]]
    diagnostics: Diagnostics
    notes: tuple[str, ...] = ()
    clauses: Mapping[str, str] = field(default_factory=dict, repr=False)
    _draws: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    _diverging: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool), repr=False)
    _runtime: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def draws(self) -> Mapping[str, np.ndarray]:
        """Posterior draws, parameter -> read-only 1-D array (chains concatenated in order)."""
        return MappingProxyType(self._draws)

    @property
    def runtime(self) -> Mapping[str, Any]:
        """Wall times, cache state and cores of this run (provenance; not hashed, not exported)."""
        return MappingProxyType(self._runtime)

    @property
    def gated(self) -> tuple[str, ...]:
        """Parameters the convergence gate checks (those in the summary)."""
        return tuple(self.summary)

    def _chain_draws(self) -> dict[str, np.ndarray]:
        chains = int(self.settings["chains"])
        return {k: v.reshape(chains, -1) for k, v in self._draws.items()}

    def credible_interval(self, param: str, level: float = 0.95):
        """Equal-tailed posterior interval of ``param`` (Gelman et al., BDA3, 2.3) from the draws."""
        from .._checks import require_level
        from ..results import ConfidenceInterval

        level = require_level(level)
        lo, hi = np.quantile(self._draws[param], [(1 - level) / 2, (1 + level) / 2])
        return ConfidenceInterval(float(lo), float(hi))

    def to_frame(self):
        """One row per reported parameter: the summary statistics."""
        import pandas as pd

        return pd.DataFrame.from_dict({k: dict(v) for k, v in self.summary.items()}, orient="index")


# ---------------------------------------------------------------------------------------------
# compiled-model cache

_CACHE: dict[Hashable, Any] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_STATS = {"hits": 0, "misses": 0, "compile_seconds": 0.0}
_CUSTOM_MODELS: dict[int, Any] = {}


def _compiled(key: Hashable, build: Callable[[], Any], var_names) -> tuple[Any, float, bool]:
    """The nutpie-compiled model of structure ``key``, compiled on first use in this process."""
    with _CACHE_LOCK:
        hit = key in _CACHE
        if hit:
            _CACHE_STATS["hits"] += 1
            return _CACHE[key], 0.0, True
        import nutpie
        import pytensor

        t0 = time.perf_counter()
        # fastmath off: with it, a cold and a warm numba cache gave draws differing in the last bits
        # (measured); without it the draws are identical whatever the cache state
        with pytensor.config.change_flags(numba__fastmath=NUMBA_FASTMATH):
            compiled = nutpie.compile_pymc_model(build(), backend=BACKEND, var_names=list(var_names))
        dt = time.perf_counter() - t0
        _CACHE[key] = compiled
        _CACHE_STATS["misses"] += 1
        _CACHE_STATS["compile_seconds"] += dt
        return compiled, dt, False


def clear_cache() -> None:
    """Forget every compiled model (compile-once cache of this module; PITFALLS.md)."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _CUSTOM_MODELS.clear()


def cache_info() -> dict:
    """Compiled structures and hit/miss counts of this process (compile-once cache; PITFALLS.md)."""
    with _CACHE_LOCK:
        return {"keys": list(_CACHE), **_CACHE_STATS}


# ---------------------------------------------------------------------------------------------
# running


@dataclass(frozen=True, slots=True)
class _Run:
    draws: dict[str, np.ndarray]  # name -> (chains, draws[, ...])
    diverging: np.ndarray  # (chains, draws) bool
    runtime: dict[str, Any]
    versions: dict[str, str] = field(default_factory=dict)  # pymc, pytensor, nutpie of the sampling process


Sampler = Callable[..., _Run]
"""``sampler(key, build, data, *, var_names, seed, settings) -> _Run`` (see the module docstring)."""

_SAMPLER: ContextVar[Sampler | None] = ContextVar("rmwork_sampler", default=None)
_DEFAULT: list[Sampler | None] = [None]  # this process's default, set by the run layer's plug-in


def set_default_sampler(sampler: Sampler | None) -> None:
    """Send this process's fits through ``sampler`` (None: :func:`sample_here`) unless a fit or
    a :func:`using` block names another; the run layer sets it in a report kernel."""
    _DEFAULT[0] = sampler


@contextmanager
def using(sampler: Sampler | None):
    """Fits started in this block (in this thread or context) go through ``sampler``."""
    token = _SAMPLER.set(sampler)
    try:
        yield sampler
    finally:
        _SAMPLER.reset(token)


def run(
    key: Hashable,
    build: Callable[[], Any],
    data: Mapping[str, Any],
    *,
    var_names,
    seed: int,
    settings: SamplerSettings,
    sampler: Sampler | None = None,
) -> _Run:
    """Sample the structure ``key`` (built by ``build()``) with ``data`` swapped in, through
    ``sampler``, else the sampler of the enclosing :func:`using` block, else the process default
    (:func:`set_default_sampler`), else :func:`sample_here`."""
    chosen = sampler or _SAMPLER.get() or _DEFAULT[0] or sample_here
    return chosen(key, build, data, var_names=tuple(var_names), seed=seed, settings=settings)


def compile_structure(key: Hashable, build: Callable[[], Any], var_names) -> bool:
    """Compile ``key`` now, as its first fit would; True if it was not compiled yet."""
    _, _, hit = _compiled(key, build, var_names)
    return not hit


def sample_here(
    key: Hashable,
    build: Callable[[], Any],
    data: Mapping[str, Any],
    *,
    var_names,
    seed: int,
    settings: SamplerSettings,
) -> _Run:
    """The default sampler: sample in this process (compiling ``key`` on first use)."""
    import nutpie
    import pytensor

    compiled, compile_s, hit = _compiled(key, build, var_names)
    cores = settings.resolved_cores()
    t0 = time.perf_counter()
    raw = nutpie.sample(
        compiled.with_data(**data),
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        cores=cores,
        seed=seed,
        target_accept=float(settings.target_accept),
        maxdepth=settings.maxdepth,
        adaptation=ADAPTATION,
        save_warmup=False,
        progress_bar=False,
        return_raw_trace=True,
    )
    draws, diverging = _from_arrow(raw, var_names, settings.draws)
    sample_s = time.perf_counter() - t0
    runtime = {
        "compile_seconds": compile_s,
        "sample_seconds": sample_s,
        "cache_hit": hit,
        "cache_key": repr(key),
        "cores": cores,
        "pid": os.getpid(),
        "pytensor_linker": str(pytensor.config.linker),
        "numba_cache": bool(pytensor.config.numba__cache),
    }
    return _Run(draws, diverging, runtime, _versions())


def _from_arrow(raw, var_names, n_draws: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(chains, draws[, shape]) arrays of ``var_names`` and the divergence flags of the kept draws,
    read straight from nutpie's Arrow record batches (the ArviZ/xarray trace it would build costs
    about 50 ms per fit and is not needed; the values are the same)."""
    import pyarrow

    draw_batches, stat_batches = raw.get_arrow_trace()
    out = {name: [] for name in var_names}
    div = []
    for db, sb in zip(draw_batches, stat_batches):
        keep = ~np.asarray(pyarrow.array(sb.column("tuning")).to_numpy(zero_copy_only=False), dtype=bool)
        if int(keep.sum()) != n_draws:
            raise RuntimeError(f"nutpie returned {int(keep.sum())} draws of a chain, expected {n_draws}")
        div.append(
            np.asarray(pyarrow.array(sb.column("diverging")).to_numpy(zero_copy_only=False), bool)[keep]
        )
        for name in var_names:
            col = db.column(name)
            shape = col.field.metadata.get(b"shape", b"")
            shape = tuple(int(v) for v in shape.decode().split(",")) if shape else ()
            arr = pyarrow.array(col)
            if shape:
                arr = arr.flatten()
            vals = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=float).reshape((len(keep),) + shape)
            out[name].append(vals[keep])
    return {k: np.stack(v) for k, v in out.items()}, np.stack(div)


def summarize(chain_draws: Mapping[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Posterior summary of scalar parameters (Vehtari et al. 2021 for R-hat, ESS and MCSE).

    ``chain_draws`` maps names to (chains, draws) arrays; quantiles are numpy's default
    (type 7), the SD uses ddof=1; no ArviZ display defaults are involved.
    """
    out = {}
    for name, a in chain_draws.items():
        a = np.asarray(a, dtype=float)
        flat = a.ravel()
        q = np.quantile(flat, list(QUANTILES.values()))
        out[name] = {
            "mean": float(flat.mean()),
            "sd": float(flat.std(ddof=1)),
            "median": float(np.median(flat)),
            **{k: float(v) for k, v in zip(QUANTILES, q)},
            **chain_stats(a),
        }
    return out


def make_fit(
    cls,
    *,
    model: str,
    seed: int,
    settings: SamplerSettings,
    extra_settings: Mapping[str, Any],
    priors: Mapping[str, str],
    chain_draws: Mapping[str, np.ndarray],
    run: _Run,
    notes=(),
    clauses=None,
    **fields_,
):
    """Build a :class:`BayesFit` (or subclass) from transformed (chains, draws) arrays (STYLE.md 6)."""
    all_settings = {
        **settings.to_dict(),
        **dict(extra_settings),
        "nuts_sampler": SAMPLER,
        "backend": BACKEND,
        "adaptation": ADAPTATION,
        "numba_fastmath": NUMBA_FASTMATH,
        "versions": dict(run.versions) or _versions(),
    }
    all_settings.pop("cores", None)  # does not change the draws (measured): see runtime
    config = {"model": model, "priors": dict(priors), "settings": all_settings, "seed": seed}
    summary = summarize(chain_draws)
    label = model
    table = {k: {s: v[s] for s in ("rhat", "ess_bulk", "ess_tail")} for k, v in summary.items()}
    diag = _gate(table, run.diverging, _default_thresholds(), label=label, warn=True)
    draws = {}
    for k, v in chain_draws.items():
        arr = np.ascontiguousarray(np.asarray(v, dtype=float).ravel())
        arr.flags.writeable = False
        draws[k] = arr
    return cls(
        model=model,
        sampler=SAMPLER,
        seed=seed,
        settings=all_settings,
        priors=dict(priors),
        config_hash=config_hash(config),
        summary=summary,
        diagnostics=diag,
        notes=tuple(notes),
        clauses=dict(clauses or {}),
        _draws=draws,
        _diverging=run.diverging,
        _runtime=dict(run.runtime),
        **fields_,
    )


def _default_thresholds() -> dict:
    from .diagnostics import ESS_BULK_MIN, ESS_TAIL_MIN, MAX_DIVERGENT, RHAT_MAX

    return {
        "rhat_max": RHAT_MAX,
        "ess_bulk_min": float(ESS_BULK_MIN),
        "ess_tail_min": float(ESS_TAIL_MIN),
        "max_divergent": MAX_DIVERGENT,
    }


# ---------------------------------------------------------------------------------------------
# generic entry point


def sample(
    model,
    *,
    seed: int,
    settings=None,
    var_names=None,
    name: str = "custom",
    priors: Mapping[str, str] | None = None,
    sampler: Sampler | None = None,
) -> BayesFit:
    """Sample any PyMC model with NUTS and gate it (Hoffman & Gelman 2014, JMLR 15, 1593; nutpie).

    The generic step of STYLE.md section 6 (build / sample / diagnose) for models built outside
    this package; :func:`hierarchical`, :func:`random_effects` and :func:`linear_trend` call the
    same machinery with their own transformations.

    Parameters
    ----------
    model : pymc.Model
        Built by a ``build_*`` function; its data should be ``pm.Data`` so that it can be reused.
        The compiled model is cached per model object (by identity) for this process.
    seed : int
        Seed of the sampler (required; same seed, same draws).
    settings : SamplerSettings, mapping or None
        Sampler settings; None gives the defaults.
    var_names : list of str, optional
        Free variables to keep and summarise (default: every free variable); vector variables
        are summarised per element as ``name[i]``.
    name : str
        Model name recorded in the fit and the hash.
    priors : mapping, optional
        Prior statements (name -> text) recorded in the fit and the hash.
    sampler : callable, optional
        Where the fit runs (default :func:`sample_here`: this process, which holds the model).

    Returns
    -------
    BayesFit
        Summary and diagnostics in the model's own parametrisation.
    """
    seed = _check_seed(seed)
    settings = SamplerSettings.coerce(settings)
    if var_names is None:
        var_names = [rv.name for rv in model.free_RVs]
    _CUSTOM_MODELS[id(model)] = model  # keeps the object alive, so its id stays a valid cache key
    # a model object lives in this process only: it is sampled here unless a sampler is given
    run_ = run(
        ("custom", id(model), tuple(var_names)),
        lambda: model,
        {},
        var_names=var_names,
        seed=seed,
        settings=settings,
        sampler=sampler or sample_here,
    )
    chain_draws = {}
    for k, v in run_.draws.items():
        if v.ndim == 2:
            chain_draws[k] = v
        else:
            flat = v.reshape(v.shape[0], v.shape[1], -1)
            for i in range(flat.shape[2]):
                chain_draws[f"{k}[{i}]"] = flat[:, :, i]
    return make_fit(
        BayesFit,
        model=name,
        seed=seed,
        settings=settings,
        extra_settings={},
        priors=priors or {},
        chain_draws=chain_draws,
        run=run_,
    )
