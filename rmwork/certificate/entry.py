"""One analyte's certificate entry: budget, k and U, reviewer checks, validity and status
(ISO Guide 35:2017, clauses 7-9 and B.3; ISO 17034:2016, 7.13 certificate content; GUM 5.1.2, G.4).

:func:`certificate_entry` is the one place where the study results meet: it transfers u_bb, u_lts
and u_sts into the certified value's unit, gives every component its degrees of freedom and their
source, certifies, runs the reviewer checks, assesses the validity period and decides the status
(``certified`` or ``withheld`` with the blocking reasons).  The workbook only collects the studies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from ..errors import InputError
from ..results import Result, plain
from .budget import BudgetResult, Component, budget
from .certified import CertifiedValue, certify
from .checks import CheckItem, ChecksResult, checks
from .policy import CHECK_POLICY_DEFAULT  # a leaf module: rmwork.params reads it too
from .reasons import REASONS, Reason, given, join, reason, text
from .validity import ValidityAssessment, assess_validity

POLICIES = ("block", "advise")
STATUSES = ("certified", "withheld")
TRANSFERS = ("relative", "absolute")
TRANSFER_MAX_RATIO = (
    1.5  # absolute transfer refused when study mean / certified value is outside [1/1.5, 1.5]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateEntry(Result):
    """One analyte on (or withheld from) the certificate (ISO 17034:2016, 7.13; ISO Guide 35:2017).

    ``status`` is ``certified`` or ``withheld``; ``blocking`` holds the reasons that withhold it,
    ``advice`` the checks that only ask the reviewer to look.
    """

    analyte: str
    unit: str  # unit of the certified value
    status: str
    blocking: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()
    budget: BudgetResult | None = None
    certified: CertifiedValue | None = None
    checks: ChecksResult | None = None
    validity: ValidityAssessment | None = None
    shelf_life: Any = None  # ShelfLifePrediction/SuggestionResult
    monitoring: Any = None
    notes: tuple[str, ...] = ()  # transfer notes

    # read like the dict the report sections were written for ("budget" in entry, entry["checks"])
    def __getitem__(self, key: str):
        if key not in self:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: str) -> bool:
        return key in self.__dataclass_fields__ and getattr(self, key) is not None

    def get(self, key: str, default=None):
        return getattr(self, key) if key in self else default

    @property
    def is_certified(self) -> bool:
        return self.status == "certified"

    def blocking_text(self, lang: str = "en") -> tuple[str, ...]:
        """The blocking reasons in ``lang`` (en, zh): one table gives both (rmwork.certificate.reasons)."""
        return tuple(text(b, lang) for b in self.blocking)

    def to_dict(self) -> dict:
        """The results.json ``certified`` entry (CONTRACT.md keys first, then status and details)."""
        d = self.certified.to_dict() if self.certified is not None else {}
        if self.budget is not None:
            d["budget"] = self.budget.to_dict()
        if self.checks is not None:
            d["checks"] = self.checks.to_dict()
        d["transfer_notes"] = list(self.notes)
        if self.shelf_life is not None:
            d["shelf_life"] = self.shelf_life.to_dict()
        if self.validity is not None:
            d["validity"] = self.validity.to_dict()
        d.update(
            status=self.status,
            blocking=list(self.blocking),
            blocking_zh=list(self.blocking_text("zh")),
            advice=list(self.advice),
            unit=self.unit,
        )
        return plain(d)

    def __str__(self) -> str:
        head = f"{self.analyte}: {self.status}"
        if self.certified is not None:
            c = self.certified
            head += (
                f" — {c.value_rounded} ± {c.U_rounded} {self.unit} (k = {c.k:.3g}, ν_eff = {c.dof_eff:.3g})"
            )
        lines = [head] + [f"  blocking: {b}" for b in self.blocking] + [f"  advice: {a}" for a in self.advice]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# transfer of a study's uncertainty into the certified value's unit
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    """A study's standard uncertainty as it enters the budget (ISO Guide 35:2017, 7.10 and 8.7: u relative)."""

    what: str
    u: float | None
    how: str  # relative | absolute | none
    study_unit: str
    note: str = ""
    problem: str = ""  # a reason that blocks (unknown unit): a Reason (en and zh)


def transfer(
    u_abs,
    u_rel,
    *,
    study_unit: str,
    certified_unit: str,
    value: float,
    study_mean: float,
    what: str,
    mode: str = "relative",
    max_ratio: float = TRANSFER_MAX_RATIO,
) -> Transfer:
    """A study's u in the certified value's unit (ISO Guide 35:2017, 7.10 and 8.7; eCerto transfers u_rel).

    ``relative`` (default): u = u_rel × |certified value|, whatever the study's unit or scale.
    ``absolute``: the study's own u, only when both units are known and equal and the study mean
    lies within a factor ``max_ratio`` of the certified value (else InputError: the study measured
    something at another level, and its absolute u would not describe the certified value).
    A study without a unit cannot be transferred safely: the transfer carries a ``problem``.
    """
    if u_abs is None:
        return Transfer(what=what, u=None, how="none", study_unit=study_unit)
    problem = "" if study_unit else reason("transfer_unit.no_unit", what=what)
    if mode == "absolute":
        if not (study_unit and certified_unit and study_unit == certified_unit):
            raise InputError(
                f"{what}: an absolute transfer needs the study and the certified value in "
                f"the same unit (study '{study_unit}', certified '{certified_unit}')",
                key="certificate.transfer",
                hint="use relative (the default)",
            )
        ratio = abs(study_mean / value) if value else math.inf
        if not (1 / max_ratio <= ratio <= max_ratio):
            raise InputError(
                f"{what}: study mean {study_mean:.6g} differs from the certified value "
                f"{value:.6g} by a factor {max(ratio, 1 / ratio if ratio else math.inf):.3g} "
                f"(more than {max_ratio:g}); its absolute uncertainty does not describe "
                "the certified value",
                key="certificate.transfer",
                hint="use relative (the default), or set certificate.transfer_max_ratio",
            )
        return Transfer(what=what, u=float(u_abs), how="absolute", study_unit=study_unit, problem=problem)
    note = f"{what}: transferred as u_rel × value = {float(u_rel):.4g} × {abs(value):.6g}" + (
        f" (study in {study_unit}, certified value in {certified_unit})"
        if study_unit and study_unit != certified_unit
        else ""
    )
    return Transfer(
        what=what,
        u=float(u_rel) * abs(value),
        how="relative",
        study_unit=study_unit,
        note=note,
        problem=problem,
    )


# ---------------------------------------------------------------------------------------------
# degrees of freedom with their source
# ---------------------------------------------------------------------------------------------


def dof_u_bb(anova) -> tuple[float, str]:
    r"""ν of u_bb from the one-way ANOVA (ISO Guide 35:2017, 7.7 and B.3; GUM JCGM 100:2008, G.4).

    When u_bb = s_bb, s_bb² = (MS_between − MS_within)/n0 is a linear combination of mean squares;
    Satterthwaite's approximation (GUM G.4, Formula (G.2b) applied to the two mean squares) gives

    .. math:: \nu = \frac{(MS_b - MS_w)^2}{MS_b^2/(p-1) + MS_w^2/(N-p)}

    When u_bb = u*_bb = sqrt(MS_within/n0) (2/ν_w)^{1/4}, it is a function of MS_within alone:
    ν = ν_w = N − p.
    """
    msb, msw = float(anova.ms_between), float(anova.ms_within)
    p, n = int(anova.n_units), int(anova.n_results)
    if anova.s_bb >= anova.u_bb_star and anova.s_bb > 0:
        nu = (msb - msw) ** 2 / (msb**2 / (p - 1) + msw**2 / (n - p))
        return nu, (
            f"Satterthwaite for s_bb from MS_between ({p - 1} dof) and MS_within ({n - p} dof) "
            "(ISO Guide 35:2017, 7.7; GUM G.4)"
        )
    return float(n - p), f"ν_w = N − p = {n - p} for u*_bb (ISO Guide 35:2017, 7.8)"


def dof_u_char(res) -> tuple[float, str]:
    """ν of u_char from the characterization result: its ``dof`` and ``dof_source`` (ISO Guide 35:2017, 9; GUM G.4)."""
    d = getattr(res, "dof", None)
    src = getattr(res, "dof_source", None)
    if d is None or not math.isfinite(float(d)):
        nu = _dof_from_interval(res)
        if nu is not None:
            return nu
        return math.inf, src or f"not stated by the estimator ({getattr(res, 'method', '')}): ν = ∞"
    return float(d), src or f"characterization result ({getattr(res, 'method', '')})"


def _dof_from_interval(res) -> tuple[float, str] | None:
    """An estimator whose 95 % interval is not a t interval (NICOB's bootstrap, the linear pool's
    mixture, a posterior) states k = half-width/u; the ν with t_0.975(ν) = k carries that width into
    the Welch–Satterthwaite ν_eff (GUM G.4.1, G.6.4) instead of ν = ∞, which would let k fall to 1.96."""
    from scipy import optimize, stats

    k = getattr(res, "k", None)
    if getattr(res, "u_method", None) not in ("bootstrap", "mixture", "posterior") or k is None:
        return None
    k = float(k)
    z = float(stats.norm.ppf(0.975))
    if not math.isfinite(k) or k <= z * (1 + 1e-9):
        return None  # no wider than the normal interval: ν = ∞
    nu = optimize.brentq(lambda v: stats.t.ppf(0.975, v) - k, 1e-3, 1e9, xtol=1e-10, rtol=1e-12)
    return float(nu), (
        f"ν = {nu:.3g}, the degrees of freedom for which t_0.975(ν) equals the k = {k:.4g} "
        f"of the {res.u_method} 95 % interval ({getattr(res, 'method', '')})"
    )


def dof_trend(res, what: str) -> tuple[float, str]:
    """ν of u_lts or u_sts = s(b1) t: that of the regression residuals, n − 2 (ISO Guide 35:2017, 8.7.3; GUM G.4)."""
    d = getattr(res, "dof", None)
    if d is None:
        return math.inf, f"{what}: regression dof not given: ν = ∞"
    return float(d), f"n − 2 = {int(d)} of the regression of the {what} study (ISO Guide 35:2017, 8.7.3)"


# ---------------------------------------------------------------------------------------------
# the entry
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Studies:
    """What the lot provides for one analyte (collected by the workbook)."""

    analyte: str
    characterization: Any = None  # ConsensusResult (or a "not characterized" result)
    homogeneity: Sequence[Any] = ()  # HomogeneityStudy per sub-group
    long_term: Any = None
    transport: Any = None
    monitoring: Any = None  # DataFrame of monitoring results (value, u)
    missing: Sequence[str] = ()  # studies the lot names that did not run
    unit: str = ""  # the lot's analyte unit (fallback for the certified unit)
    extra: Sequence[Component] = ()
    bayes_failed: Sequence[str] = ()  # values entering the certificate whose MCMC gate failed
    long_term_named: bool = False  # the lot names a long-term stability study
    unit_required: bool = False  # listed under the lot's analytes: the certified value needs a unit


def _not_characterized(res) -> str:
    if res is None:
        return reason("characterized.none")
    v = getattr(res, "value", None)
    if getattr(res, "characterized", True) is False or v is None or not math.isfinite(float(v)):
        return getattr(res, "reason", "") or reason("characterized.not")
    return ""


def _study_name(name: str) -> Reason | str:
    return reason(f"study.{name}") if f"study.{name}" in REASONS else name


def _item(check: str, ok: bool | None, reason: str, clause: str = "", quantity=math.nan, limit=math.nan):
    status = "not evaluated" if ok is None else ("pass" if ok else "attention")
    return CheckItem(
        check=check, status=status, quantity=quantity, limit=limit, reason="" if ok else reason, clause=clause
    )


def decide(items: Sequence[CheckItem], policy: Mapping[str, str]) -> tuple[str, tuple, tuple]:
    """Status from the checks: an ``attention`` under a ``block`` policy withholds (ISO 17034:2016, 7.13)."""
    blocking: list[str] = []
    advice: list[str] = []
    for i in items:
        if i.status != "attention":
            continue
        detail = i.reason or reason("exceeds", quantity=i.quantity, limit=i.limit)
        line = reason("line", check=i.check, detail=detail)
        (blocking if policy.get(i.check, "advise") == "block" else advice).append(line)
    return ("withheld" if blocking else "certified"), tuple(blocking), tuple(advice)


def _with_items(chk: ChecksResult, extra: Sequence[CheckItem]) -> ChecksResult:
    items = chk.items + tuple(extra)
    n_att = sum(i.status == "attention" for i in items)
    return replace(chk, items=items, n_attention=n_att, passed=n_att == 0)


def _adequacy_item(res, study: str = "long-term") -> CheckItem:
    ad = getattr(res, "adequacy", None)
    if ad is None:
        # not evaluated is shown as such, never as passed
        item = _item("stability_fit", None, "", clause="ISO Guide 35:2017, 8.7.3")
        return replace(item, subject=_study_name(study.replace("-", "_")))
    en = getattr(ad, "finding", "")
    finding = given(en, getattr(ad, "finding_zh", "") or en) if en else reason("stability_fit.does_not_fit")
    return replace(
        _item(
            "stability_fit",
            bool(ad.adequate),
            reason("stability_fit.finding", study=_study_name(study.replace("-", "_")), finding=finding),
            clause="ISO Guide 35:2017, 8.7.3 (lack of fit, curvature, residuals in time order)",
        ),
        subject=_study_name(study.replace("-", "_")),
    )


def certificate_entry(st: Studies, settings, *, requested_months: float | None) -> CertificateEntry:
    """Budget, k, U, checks, validity and status of one analyte (ISO Guide 35:2017, 7-9, B.3; GUM 5.1.2, G.4).

    ``settings`` is the lot's certificate section (coverage, k, rounding, dof_rule, transfer,
    transfer_max_ratio, checks, validity).
    """
    policy = {**CHECK_POLICY_DEFAULT, **dict(getattr(settings, "checks", {}) or {})}
    res = st.characterization
    why = _not_characterized(res)
    if why:
        return CertificateEntry(
            analyte=st.analyte,
            unit=st.unit,
            status="withheld",
            blocking=(reason("line", check="characterized", detail=why),),
        )
    unit = getattr(res, "unit_of_measure", "") or st.unit
    mode = getattr(settings, "transfer", "relative")
    max_ratio = getattr(settings, "transfer_max_ratio", TRANSFER_MAX_RATIO)
    value = float(res.value)
    hom_ok = [math.isfinite(h.anova.ms_within) and h.anova.ms_within > 0 for h in st.homogeneity]
    # a study whose within-unit spread is 0 has no u_bb: it blocks below and never enters as 0
    usable = [h for h, ok in zip(st.homogeneity, hom_ok) if ok]
    transfers = [
        transfer(
            h.anova.u_bb,
            h.anova.u_bb_rel,
            study_unit=h.unit_of_measure,
            certified_unit=unit,
            value=value,
            study_mean=h.anova.mean,
            what=reason("transfer.u_bb", group=h.group or reason("study.homogeneity")),
            mode=mode,
            max_ratio=max_ratio,
        )
        for h in usable
    ]
    u_bb, dof_bb, src_bb = None, math.inf, ""
    if transfers:
        # u_bb of an ANOVA is a float, so each of these transfers carries a u (never None)
        i = max(range(len(transfers)), key=lambda j: cast(float, transfers[j].u))
        u_bb = transfers[i].u
        dof_bb, src_bb = dof_u_bb(usable[i].anova)
    lt, tr = st.long_term, st.transport
    t_lts = (
        transfer(
            lt.u_lts,
            lt.u_lts_rel,
            study_unit=lt.unit_of_measure,
            certified_unit=unit,
            value=value,
            study_mean=lt.mean,
            what="u_lts",
            mode=mode,
            max_ratio=max_ratio,
        )
        if lt is not None
        else None
    )
    t_sts = (
        transfer(
            tr.u_sts,
            tr.u_sts_rel,
            study_unit=tr.unit_of_measure,
            certified_unit=unit,
            value=value,
            study_mean=tr.mean,
            what="u_sts",
            mode=mode,
            max_ratio=max_ratio,
        )
        if tr is not None
        else None
    )
    all_t = transfers + [t for t in (t_lts, t_sts) if t is not None]
    dofs, sources = {}, {}
    dofs["u_char"], sources["u_char"] = dof_u_char(res)
    if u_bb is not None:
        dofs["u_bb"], sources["u_bb"] = dof_bb, src_bb
    if t_lts is not None and t_lts.u is not None:
        dofs["u_lts"], sources["u_lts"] = dof_trend(lt, "long-term stability")
    if t_sts is not None and t_sts.u is not None:
        dofs["u_sts"], sources["u_sts"] = dof_trend(tr, "transport stability")
    bud = budget(
        u_char=res.u,
        u_bb=u_bb,
        u_lts=t_lts.u if t_lts else None,
        u_sts=t_sts.u if t_sts else None,
        value=value,
        dof=dofs,
        dof_sources=sources,
        extra=st.extra,
    )
    try:
        cv = certify(
            value,
            bud,
            coverage=settings.coverage,
            k=settings.k,
            rounding=settings.rounding,
            dof_rule=settings.dof_rule,
            analyte=st.analyte,
            unit_of_measure=unit,
        )
    except InputError as exc:
        if exc.key != "dof_eff":
            raise
        # GUM G.4.1: with ν_eff < 1 no t quantile exists after truncation; no U can be stated
        return CertificateEntry(
            analyte=st.analyte,
            unit=unit,
            status="withheld",
            budget=bud,
            notes=tuple(t.note for t in all_t if t.note),
            blocking=(
                reason(
                    "line",
                    check="coverage_factor",
                    detail=reason("coverage_factor.dof_below_1", dof_eff=bud.dof_eff),
                ),
            ),
        )
    chk = checks(cv, u_char=res.u, u_bb=u_bb, u_lts=bud.u_lts, u_sts=bud.u_sts)
    items = [
        _item(
            "certified_unit",
            bool(unit.strip()) or not st.unit_required,
            reason("certified_unit.none", analyte=st.analyte),
        ),
        _item(
            "study_ran",
            not st.missing,
            reason("study_ran.missing", studies=[_study_name(m) for m in st.missing]),
        ),
        _item(
            "transfer_unit",
            not any(t.problem for t in all_t),
            join(t.problem for t in all_t if t.problem),
        ),
        _item(
            "bayes_diagnostics",
            not st.bayes_failed,
            reason("bayes_diagnostics.failed", what=list(st.bayes_failed)),
        ),
    ]
    if st.homogeneity:
        items.append(
            _item(
                "homogeneity_estimable",
                all(hom_ok),
                reason("homogeneity_estimable.ms_within_0"),
            )
        )
    sl, va = None, None
    if lt is not None:
        sl, va = _validity(
            lt, value, cv, bud, requested_months, getattr(settings, "validity", "requested"), st.analyte
        )
        items += [_adequacy_item(lt), va.check_item()]
    elif st.long_term_named and requested_months is not None:
        items.append(
            _item(
                "stability_covered",
                False,
                reason("stability_covered.no_data", analyte=st.analyte, months=requested_months),
                clause="ISO Guide 35:2017, clause 8",
            )
        )
    if tr is not None:
        items.append(_adequacy_item(tr, "transport"))
    mon = None
    if st.monitoring is not None and len(st.monitoring):
        from ..monitoring import evaluate

        # the lot's rule (u per result, or x_c +- U only) and eCerto's trend; metadata must agree
        mon = evaluate(cv, unit, st.monitoring, st.analyte)
    chk = _with_items(chk, items)
    status, blocking, advice = decide(chk.items, policy)
    return CertificateEntry(
        analyte=st.analyte,
        unit=unit,
        status=status,
        blocking=blocking,
        advice=advice,
        budget=bud,
        certified=cv,
        checks=chk,
        validity=va,
        shelf_life=sl,
        monitoring=mon,
        notes=tuple(t.note for t in all_t if t.note),
    )


def _validity(lt, value: float, cv: CertifiedValue, bud: BudgetResult, requested, mode: str, analyte: str):
    """Shelf life the long-term study supports, and the assessment of the requested period (ISO Guide 35:2017, B.3)."""
    from .. import stability as smod

    sl: smod.ShelfLifePredictionResult | smod.ShelfLifeSuggestionResult
    if lt.significant:
        # ISO Guide 35:2017 B.3: a significant trend is not an uncertainty; the shelf life is where
        # the prediction band of the line leaves the certified value ± U
        sl = smod.shelf_life_prediction(lt, value, cv.U)
        supported, basis = sl.shelf_life, "prediction"
    else:
        u_rest = math.sqrt(sum(x * x for x in (bud.u_char, bud.u_bb, bud.u_sts) if math.isfinite(x)))
        sl = smod.shelf_life_suggestion(lt, u_rest, k=cv.k)
        supported, basis = sl.t_max_exact, "u_lts"
    return sl, assess_validity(requested, supported, basis=basis, mode=mode, analyte=analyte)


def review_lot(entries: Mapping[str, CertificateEntry], settings) -> dict[str, CertificateEntry]:
    """Analytes outside the long-term study rest on the analytes inside it (ISO Guide 35:2017, clause 8).

    Such an analyte carries ``stability_covered`` (advise by default). When no analyte of the study
    supports the requested period, nothing in the lot does: the item then takes the policy of
    ``validity_supported`` (block by default) unless the lot sets ``stability_covered`` itself, so the
    certificate does not state a period its own data contradict.
    """
    support = {a: e.validity for a, e in entries.items() if e.validity is not None}
    if not support or any(v.supported or v.shortened for v in support.values()):
        return dict(entries)
    chosen = dict(getattr(settings, "checks", {}) or {})
    policy = {**CHECK_POLICY_DEFAULT, **chosen}
    if "stability_covered" not in chosen:
        policy["stability_covered"] = policy["validity_supported"]
    shown = [reason("months_of", analyte=a, months=v.supported_months) for a, v in support.items()]
    out = {}
    for a, e in entries.items():
        if e.checks is None or not any(i.check == "stability_covered" for i in e.checks.items):
            out[a] = e
            continue
        items = tuple(
            replace(i, reason=reason("stability_covered.none_supports", reason=i.reason, shown=shown))
            if i.check == "stability_covered"
            else i
            for i in e.checks.items
        )
        chk = replace(e.checks, items=items)
        status, blocking, advice = decide(items, policy)
        out[a] = replace(e, checks=chk, status=status, blocking=blocking, advice=advice)
    return out


def lot_validity_months(entries: Mapping[str, CertificateEntry], requested: float | None) -> float | None:
    """Period of validity of the lot: the shortest any certified analyte supports (ISO Guide 35:2017, 8)."""
    months = [
        e.validity.months
        for e in entries.values()
        if e.is_certified and e.validity is not None and e.validity.months is not None
    ]
    if requested is None or (entries and not any(e.is_certified for e in entries.values())):
        return None
    return min(months + [float(requested)])


def status_lines(results: Mapping) -> list[str]:
    """One line per withheld analyte of a results.json mapping, for the command line (ISO 17034:2016, 7.13)."""
    lines = []
    lot = results.get("lot", "")
    for a, e in (results.get("analytes") or {}).items():
        c = e.get("certified") or {}
        if c.get("status") == "withheld":
            lines.append(f"{lot}: {a} withheld: " + "; ".join(c.get("blocking") or ["no reason recorded"]))
    d = results.get("drmd")
    if d and not d.get("written"):
        lines.append(f"{lot}: {d.get('message', 'DRMD not written')}")
    return lines


EXIT_WITHHELD = 3  # rmwork run/batch: a report was written, but with an analyte withheld


def any_withheld(results: Mapping) -> bool:
    """Whether results.json withholds an analyte (ISO 17034:2016, 7.13; exit status 3 of the command line)."""
    return any(
        (e.get("certified") or {}).get("status") == "withheld"
        for e in (results.get("analytes") or {}).values()
    )
