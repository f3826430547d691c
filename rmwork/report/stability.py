"""Stability section: tables S1-S3, figures S1-S3 and the statement (format, plot, prose only).

Every number comes from a result of :mod:`rmwork.stability`; nothing here fits anything.
Figures are drawn with matplotlib's object API (``matplotlib.figure.Figure``): no pyplot state,
no ``show``, no files.  Tables, statements and figure text follow ``lang``; a zh figure is drawn
with a CJK font (:func:`rmwork.report.certificate.setup_cjk_font`), symbols stay symbols.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import stability as smod
from . import numbers as N
from .display import HTML, Ref, figure_ref, fmt, table_html
from .phrases import note_text, text
from .symbols import header, label
from .usertext import literal

CAPTIONS = {
    "S1": (
        "Table S1 — Stability: regression of the value on time (ISO Guide 35:2017, B.3)",
        "表 S1 — 稳定性：特性值对时间的线性回归 (ISO Guide 35:2017, B.3；JJF 1343-2022)",
    ),
    "S2": (
        "Table S2 — Stability: uncertainties and shelf life (ISO Guide 35:2017, 8.7.3)",
        "表 S2 — 稳定性：不确定度与有效期 (ISO Guide 35:2017, 8.7.3)",
    ),
    "S3": ("Table S3 — Accelerated stability: Arrhenius evaluation", "表 S3 — 加速稳定性：阿伦尼乌斯评价"),
    "S6": (
        "Table S6 — Stability: does the straight line fit? (lack of fit; curvature and runs of the "
        "residual signs in time order; ISO Guide 35:2017, B.3)",
        "表 S6 — 稳定性：直线模型是否适用（失拟检验；二次项检验及按时间顺序的残差符号游程检验；"
        "ISO Guide 35:2017, B.3）",
    ),
    "S3p": (
        "Table S3 (continued) — Arrhenius parameters and prediction at the storage temperature",
        "表 S3（续）— 阿伦尼乌斯参数及贮存温度下的预测",
    ),
}

# frame column -> field of the report's one symbol map (report/symbols.py: headers, units)
FIELDS = {"mean": "study_mean", "unit": "unit_of_measure", "k": "k_T", "value": "param_value", "u": "se"}


def _unit_label(name: str, lang: str, unit: str | None) -> str:
    """Header of a column with its unit: the table's one unit, or none (a unit column is shown)."""
    return header(FIELDS.get(name, name), lang, unit)


def _with_units(df: pd.DataFrame, units: list[str], lang: str) -> tuple[pd.DataFrame, dict]:
    """One unit for the whole table goes into the headers; several add a unit column."""
    one = units[0] if units and len(set(units)) == 1 else None
    if one is None and units:
        df = df.copy()
        df.insert(1 if "analyte" in df.columns else 0, "unit_of_measure", units)
    return df, {c: _unit_label(c, lang, one) for c in df.columns}


def _cap(tid: str, lang: str) -> str:
    en, zh = CAPTIONS[tid]
    return zh if lang == "zh" else en


def _lab(name: str, lang: str) -> str:
    return label(FIELDS.get(name, name), lang)


def _yes(flag, lang):
    if flag is None:
        return None
    return ("是" if flag else "否") if lang == "zh" else ("yes" if flag else "no")


def _html(
    df: pd.DataFrame,
    caption: str,
    lang: str,
    digits: int,
    units: list[str] | None = None,
    ref: Ref | None = None,
) -> str:
    if units is not None:
        df, heads = _with_units(df, units, lang)
    else:
        heads = {c: _lab(c, lang) for c in df.columns}
    df = df.rename(columns=heads)
    # labels are final here (HTML from the symbol map); table_html passes unknown names through
    return table_html(df, caption, lang=lang, digits=digits, labels=True, ref=ref)


def _wide(tid: str, results) -> Ref:
    """The number of a stability table shown once for the report (a row per analyte and study)."""
    return Ref(
        tid, analytes=tuple(dict.fromkeys(str(getattr(r, "analyte", "") or k) for k, r in _items(results)))
    )


def _one(tid: str, analyte: str | None) -> Ref:
    """The number of a stability table shown per analyte (Table S3-Fe, S4-Fe, S5-Fe)."""
    return Ref(tid, analyte or None)


def _items(results) -> list[tuple[str, object]]:
    """(key, result) pairs from a result, a list, a dict, or an IsochronousResult."""
    if results is None:
        return []
    if isinstance(results, Mapping):
        pairs = list(results.items())
    elif isinstance(results, (list, tuple)):
        pairs = [(getattr(r, "analyte", ""), r) for r in results]
    else:
        pairs = [(getattr(results, "analyte", ""), results)]
    out = []
    for key, r in pairs:
        if isinstance(r, smod.IsochronousResult):
            out.extend((f"{r.analyte or key}", fit) for fit in r.fits.values())
        else:
            out.append((str(r.analyte or key), r))
    return out


def _study(r, lang):
    if isinstance(r, smod.TransportResult):
        return "运输稳定性" if lang == "zh" else "transport"
    return "长期稳定性" if lang == "zh" else "long-term"


# ---------------------------------------------------------------------------------------------
# printed numbers


def _base(r) -> str:
    study = "transport" if isinstance(r, smod.TransportResult) else "long-term"
    t = getattr(r, "temperature", None)
    return study if t is None else f"{study}@{t:g}"


def printed(r, key: str = "") -> dict:
    """The printed numbers of one straight-line stability result, each rounded once by its kind
    (:mod:`rmwork.report.numbers`) and named ``<analyte>/<symbol>/<study>``: b1 and b0 to the
    decimal place of their standard errors, uncertainties to 2 significant digits, relative
    values in percent of the study mean (``<study>-mean``)."""
    a, base = str(r.analyte or key), _base(r)

    def q(sym, b=base):
        return N.qname(a, sym, b)

    out = {
        "n_points": N.count(r.n_points),
        "n_times": N.count(r.n_times),
        "slope": N.value(r.slope, r.se_slope, q=q("b1")),
        "se_slope": N.uncertainty(r.se_slope, q=q("s_b1")),
        "intercept": N.value(r.intercept, r.se_intercept, q=q("b0")),
        "se_intercept": N.uncertainty(r.se_intercept, q=q("s_b0")),
        "residual_sd": N.uncertainty(r.residual_sd, q=q("s")),
        "dof": N.dof(r.dof, q=q("dof")),
        "t_statistic": N.statistic(r.t_statistic, q=q("t_b1")),
        "p_value": N.p_value(r.p_value, q=q("p_b1")),
        "f_lack_of_fit": N.statistic(r.f_lack_of_fit, q=q("F_lof")),
        "p_lack_of_fit": N.p_value(r.p_lack_of_fit, q=q("p_lof")),
    }
    if isinstance(r, smod.TransportResult):
        out["duration"] = N.measured(r.duration, 4, q=q("t_transport"))
        out["u_sts"] = N.uncertainty(r.u_sts, q=q("u_sts"))
        out["u_sts_rel_pct"] = N.relative(r.u_sts_rel, q=q("u_sts_rel", f"{base}-mean"))
    elif getattr(r, "u_lts", None) is not None:
        out["shelf_life"] = N.measured(r.shelf_life, 4, q=q("t_shelf"))
        out["u_lts"] = N.uncertainty(r.u_lts, q=q("u_lts"))
        out["u_lts_rel_pct"] = N.relative(r.u_lts_rel, q=q("u_lts_rel", f"{base}-mean"))
    return out


# ---------------------------------------------------------------------------------------------
# tables


def table_s1(results, lang: str = "en", digits: int = 4) -> HTML:
    """Table S1: regression per analyte and temperature (b1, s(b1), b0, s(b0), s, t, p, lack of fit)."""
    rows = []
    for key, r in _items(results):
        n = printed(r, key)
        rows.append(
            {
                "analyte": key,
                "study": _study(r, lang),
                "temperature": r.temperature,
                **{c: n[c] for c in ("n_points", "n_times", "slope", "se_slope", "intercept")},
                **{c: n[c] for c in ("se_intercept", "residual_sd", "dof", "t_statistic", "p_value")},
                "significant": _yes(r.significant, lang),
                "f_lack_of_fit": n["f_lack_of_fit"],
                "p_lack_of_fit": n["p_lack_of_fit"],
            }
        )
    df = pd.DataFrame(rows)
    if not df.empty and df["temperature"].isna().all():
        df = df.drop(columns="temperature")
    units = [r.unit_of_measure for _, r in _items(results)]
    return HTML(_html(df, _cap("S1", lang), lang, digits, units, ref=_wide("S1", results)))


def table_s2(
    long_term, transport=None, predictions=None, suggestions=None, lang: str = "en", digits: int = 4
) -> HTML:
    """Table S2: u_lts, u_sts (absolute and relative), shelf life from a band, eCerto t_max.

    ``long_term``, ``transport``, ``predictions`` and ``suggestions`` are results or dicts of
    results keyed by analyte (as :func:`rmwork.stability.by_analyte` returns them).
    """
    lt = dict(_items(long_term))
    tr = dict(_items(transport))
    pr = dict(_items(predictions))
    sg = dict(_items(suggestions))
    rows = []
    for key in list(dict.fromkeys([*lt, *tr])):
        r, t, p, s = lt.get(key), tr.get(key), pr.get(key), sg.get(key)
        row = {"analyte": key}
        if lt:
            n = {} if r is None else printed(r, key)
            row.update({c: n.get(c) for c in ("shelf_life", "u_lts", "u_lts_rel_pct")})
        if tr:
            n = {} if t is None else printed(t, key)
            row.update({c: n.get(c) for c in ("duration", "u_sts", "u_sts_rel_pct")})
        if pr:
            row.update(
                {
                    "predicted": None if p is None else p.shelf_life,
                    "criterion": None if p is None else _criterion(p, lang),
                }
            )
        if sg:
            row["t_max"] = None if s is None else s.t_max
        rows.append(row)
    units = [getattr(lt.get(k) or tr.get(k), "unit_of_measure", "") for k in dict.fromkeys([*lt, *tr])]
    ref = _wide("S2", [*lt.values(), *tr.values()])
    return HTML(_html(pd.DataFrame(rows), _cap("S2", lang), lang, digits, units, ref=ref))


def _criterion(p, lang: str) -> str:
    if lang == "zh":
        return f"{_KIND_ZH.get(p.kind, p.kind)}带，{_SIDED_ZH.get(p.sided, p.sided)}侧 {100 * p.level:g} %"
    return f"{p.kind} band, {p.sided}-sided {100 * p.level:g} %"


def table_s4(result, lang: str = "en", digits: int = 4) -> HTML:
    """Table S4: isochronous study, one regression per test temperature (units in the headers)."""
    r = result
    df = pd.DataFrame(
        [
            {
                "temperature": f.temperature,
                "n_points": f.n_points,
                "slope": f.slope,
                "se_slope": f.se_slope,
                "p_value": f.p_value,
                "u_lts": f.u_lts,
            }
            for f in r.fits.values()
        ]
    )
    cap = (
        f"表 S4 — {r.analyte}：同步稳定性研究，各试验温度相对参比温度 {r.reference_temperature:g} °C "
        "分别回归 (ISO Guide 35:2017, 8)"
        if lang == "zh"
        else f"Table S4 — {r.analyte}: isochronous study, one regression per storage temperature against "
        f"the reference {r.reference_temperature:g} °C (ISO Guide 35:2017, clause 8)"
    )
    return HTML(_html(df, cap, lang, digits, [r.unit_of_measure] * len(df), ref=_one("S4", r.analyte)))


_BASIS_ZH = {"lack of fit": "失拟检验", "curvature and runs": "二次项与游程检验", "none": "无法检验"}


def table_s6(results, lang: str = "en", digits: int = 3) -> HTML:
    """Table S6: the adequacy checks of every straight line (its ``adequacy``), one row per line."""
    rows = []
    for key, r in _items(results):
        a = getattr(r, "adequacy", None)
        if a is None:
            continue
        lof, cur, run = a.lack_of_fit, a.curvature, a.runs
        n = _adequacy_numbers(r)
        rows.append(
            {
                "analyte": key,
                "study": _study(r, lang),
                "basis": _BASIS_ZH.get(a.basis, a.basis) if lang == "zh" else a.basis,
                "f_lof": None if lof is None else n["lof"][1],
                "p_lof": None if lof is None else n["lof"][2],
                "t_quad": None if cur is None else n["quad"][1],
                "p_quad": None if cur is None else n["quad"][2],
                "runs": None if run is None else run.statistic,
                "runs_expected": None if run is None else N.measured(run.expected, 3),
                "p_runs": None if run is None else n["runs"][2],
                "window": a.time_max,
                "n_excluded": a.n_excluded,
                "adequate": _yes(a.adequate, lang),
            }
        )
    df = pd.DataFrame(rows)
    for c in ("f_lof", "t_quad", "runs", "window"):
        if not df.empty and df[c].isna().all():
            df = df.drop(
                columns=[c]
                + {
                    "f_lof": ["p_lof"],
                    "t_quad": ["p_quad"],
                    "runs": ["runs_expected", "p_runs"],
                    "window": [],
                }[c]
            )
    return HTML(_html(df, _cap("S6", lang), lang, digits, ref=_wide("S6", results)))


# Table S3 parameter names: (English, Chinese); symbols stay symbols
_S3 = {
    "resid": ("s (residual)", "剩余标准差 s"),
    "s_lnk": ("s (ln|k|)", "s（ln|k|）"),
    "k_at": ("k at {T:g} °C / {u}month⁻¹", "{T:g} °C 下的 k / {u}月⁻¹"),
    "ci": ("|k| {p:g} % confidence interval", "|k| 的 {p:g} % 置信区间"),
    "time_to": ("time to {L} / month", "达到 {L} 的时间 / 月"),
    "time_to_upper": (
        "time to the limit (upper bound of |k|) / month",
        "达到限值的时间（按 |k| 置信上限）/ 月",
    ),
    "extrapolated": ("extrapolated", "外推"),
    "c0": ("c0 / {u}", "c0 / {u}"),
    "joint": (
        "Table S3 — Accelerated stability: joint Arrhenius model y = c0 − c0·t·exp(k1 − k2/T)",
        "表 S3 — 加速稳定性：联合阿伦尼乌斯模型 y = c0 − c0·t·exp(k1 − k2/T)",
    ),
}


def _s3(key: str, lang: str, **kw) -> str:
    en, zh = _S3[key]
    return (zh if lang == "zh" else en).format(**kw)


def table_s3(result, lang: str = "en", digits: int = 5) -> HTML:
    """Table S3: rate constants per temperature and the Arrhenius parameters and prediction."""
    r = result
    # cells are escaped by table_html; headers are HTML, so their unit is escaped here
    unit = r.unit_of_measure or ("[单位]" if lang == "zh" else "[unit]")
    unit_h = html.escape(unit)
    if isinstance(result, smod.ArrheniusJointResult):
        lim = f"{fmt(r.limit)} {unit}"
        rows = [
            (_s3("c0", lang, u=unit), r.c0, r.se_c0),
            ("k1", r.k1, r.se_k1),
            ("k2 = E_a/R / K", r.k2, r.se_k2),
            ("E_a / (J/mol)", r.e_a, r.se_k2 * smod.GAS_CONSTANT),
            (f"{_s3('resid', lang)} / {unit}", r.residual_sd, None),
            ("ν", r.dof, None),
            ("n", r.n_points, None),
        ]
        if r.storage_temperature is not None:
            rows.append((_s3("k_at", lang, T=r.storage_temperature, u=""), r.k_storage, None))
        if r.time_to_limit is not None:
            rows.append((_s3("time_to", lang, L=lim), r.time_to_limit, r.se_time_to_limit))
        df = pd.DataFrame(rows, columns=["parameter", "value", "u"])
        return HTML(_html(df, _s3("joint", lang), lang, digits, ref=_one("S3", r.analyte)))
    # zero order: k in the values' unit per month; first order: ln units per month
    k_unit = f"{unit}·" if r.order == "zero" else ""
    k_unit_h = f"{unit_h}·" if r.order == "zero" else ""
    per_t = pd.DataFrame(
        {
            "temperature": r.temperatures,
            "n_points": r.n_points,
            "k": r.rate_constants,
            "se_k": r.se_rate_constants,
            "inverse_temperature": r.inverse_temperatures,
            "ln_k": r.ln_k,
        }
    )
    per_month = f"({k_unit_h}{'月' if lang == 'zh' else 'month'}<sup>-1</sup>)"
    per_t = per_t.rename(
        columns={
            "k": f"{_lab('k', lang)} / {per_month}",
            "se_k": f"{_lab('se_k', lang)} / {per_month}",
        }
    )
    rows = [
        ("ln A", r.intercept_ln_k, r.se_intercept_ln_k),
        ("−E_a/R / K", r.slope_ln_k, r.se_slope_ln_k),
        ("E_a / (J/mol)", r.e_a, r.se_e_a),
        (_s3("s_lnk", lang), r.residual_sd, None),
        ("ν", r.dof, None),
    ]
    if r.storage_temperature is not None:
        ci = r.k_storage_ci
        rows += [
            (_s3("k_at", lang, T=r.storage_temperature, u=k_unit), r.k_storage, None),
            (_s3("ci", lang, p=100 * r.level), f"{fmt(ci.low, digits)} – {fmt(ci.high, digits)}", None),
        ]
    if r.time_to_limit is not None:
        rows += [
            (_s3("time_to", lang, L=f"{fmt(r.limit)} {unit}"), r.time_to_limit, None),
            (_s3("time_to_upper", lang), r.time_to_limit_conservative, None),
        ]
    if r.extrapolated:
        rows.append((_s3("extrapolated", lang), _yes(True, lang), None))
    par = pd.DataFrame(rows, columns=["parameter", "value", "u"])
    return HTML(
        _html(per_t, _cap("S3", lang), lang, digits, ref=_one("S3", r.analyte))
        + _html(par, _cap("S3p", lang), lang, digits, ref=_one("S3b", r.analyte))
    )


# ---------------------------------------------------------------------------------------------
# figures

# figure text: (English, Chinese) — terms from shared/zh/GLOSSARY.md (有效期, 残差, 置信带 …)
_FIG = {
    "time": ("time / months", "时间 / 月"),
    "residual": ("residual", "残差"),
    "results": ("results", "测量结果"),
    "means": ("time-point means", "各时间点平均值"),
    "band": ("{p:g} % confidence band", "{p:g} % 置信带"),
    "pred_band": ("{kind} band ({sided}-sided {p:g} %)", "{kind}带（{sided}侧 {p:g} %）"),
    "t_shelf": (r"$t_\mathrm{{shelf}}$ = {t} months", r"有效期 $t_\mathrm{{shelf}}$ = {t} 月"),
    "leaves": ("band leaves limits: {t} months", "带超出限值：{t} 月"),
    "fit_window": ("fit window", "拟合窗口"),
    "left_out": ("left out of the fit", "未参与拟合"),
    "leaves_beyond": (
        "band leaves limits: {t} months (beyond the axis)",
        "带超出限值：{t} 月（超出坐标范围）",
    ),
    "quadratic": ("quadratic, curvature p = {p}", "二次曲线，二次项 p = {p}"),
    "above": ("above the line", "高于直线"),
    "below": ("below the line", "低于直线"),
    "runs": ("; {r} runs, {e} expected, p = {p}", "；游程数 {r}，期望 {e}，p = {p}"),
    "limit": ("limit", "限值"),
    "storage": ("storage {T:g} °C", "储存温度 {T:g} °C"),
    "extrapolated": (" (extrapolated)", "（外推）"),
    "ln_k": ("ln|k| (k per month)", "ln|k|（k 以每月计）"),
    "s1": (
        "Figure S1 — {name}{temp}: $b_1$ = {b1} /month, p = {p}",
        "图 S1 — {name}{temp}：$b_1$ = {b1} /月，p = {p}",
    ),
    "at": (" at {T:g} °C", "（{T:g} °C）"),
    "s2": ("Figure S2 — {name}: residuals (s = {s})", "图 S2 — {name}：残差（s = {s}）"),
    "s3_joint": (
        r"Figure S3 — {name}: $y = c_0 - c_0\,t\,\exp(k_1 - k_2/T)$",
        r"图 S3 — {name}：$y = c_0 - c_0\,t\,\exp(k_1 - k_2/T)$",
    ),
    "s3": (
        r"Figure S3 — {name}: Arrhenius plot, $E_\mathrm{{a}}$ = {ea} kJ/mol",
        r"图 S3 — {name}：阿伦尼乌斯图，$E_\mathrm{{a}}$ = {ea} kJ/mol",
    ),
}
_KIND_ZH = {"prediction": "预测", "confidence": "置信", "tolerance": "容许"}
_SIDED_ZH = {"one": "单", "two": "双"}


def _f(key: str, lang: str, **kw) -> str:
    en, zh = _FIG[key]
    if lang == "zh":
        kw = {
            **kw,
            **{
                k: table.get(kw[k], kw[k])
                for k, table in (("kind", _KIND_ZH), ("sided", _SIDED_ZH))
                if k in kw
            },
        }
    return (zh if lang == "zh" else en).format(**kw)


def _axes(ax, size=(7, 3.4), lang: str = "en"):
    if lang == "zh":
        from .certificate import setup_cjk_font

        setup_cjk_font()
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    return fig, fig.add_subplot(1, 1, 1)


def figure_s1(
    df: pd.DataFrame | None,
    result,
    *,
    certified_value: float | None = None,
    U: float | None = None,
    prediction=None,
    level: float = 0.95,
    time: str = "time",
    value: str = "value",
    lang: str = "en",
    ax=None,
):
    """Figure S1: data, fitted line with its confidence band, mu_c +- U, shelf life marked.

    ``df`` (optional) adds the single results when the fit used time-point means.  With a
    :class:`~rmwork.stability.ShelfLifePredictionResult` the band of that criterion is drawn and
    its shelf life marked.
    """
    fig, ax = _axes(ax, lang=lang)
    pts = result.fitted_data()
    if (
        result.use_means
        and df is not None
        and time in df.columns
        and value in df.columns
        and pd.api.types.is_numeric_dtype(df[time])
    ):
        ax.scatter(df[time], df[value], s=10, color="#9aa7b4", label=_f("results", lang), zorder=2)
    ax.scatter(
        pts["time"],
        pts["value"],
        s=14,
        color="#1f4e79",
        zorder=3,
        label=_f("means" if result.use_means else "results", lang),
    )
    out = result.excluded_data()
    if len(out):
        ax.scatter(
            out["time"],
            out["value"],
            s=16,
            facecolors="none",
            edgecolors="#c00000",
            zorder=3,
            label=_f("left_out", lang),
        )
    # the time axis holds the data and the shelf life (or transport duration), never a far
    # extrapolated band crossing (one such figure ran to about 3,300 months)
    t_end = _time_end(result)
    grid = np.linspace(min(0.0, result.time_min), t_end, 200)
    band = result.band(grid, level=level)
    ax.plot(grid, band["fit"], color="#1f4e79", lw=1.2, label=r"$b_0 + b_1 t$")
    ax.fill_between(
        grid,
        band["low"],
        band["high"],
        color="#1f4e79",
        alpha=0.15,
        lw=0,
        label=_f("band", lang, p=100 * level),
    )
    if prediction is not None and prediction.kind != "line":
        pb = result.band(grid, level=prediction.level, kind=prediction.kind, sided=prediction.sided)
        ax.plot(grid, pb["low"], color="#7f6000", lw=0.8, ls=":")
        ax.plot(
            grid,
            pb["high"],
            color="#7f6000",
            lw=0.8,
            ls=":",
            label=_f(
                "pred_band", lang, kind=prediction.kind, sided=prediction.sided, p=100 * prediction.level
            ),
        )
    if certified_value is not None:
        ax.axhline(certified_value, color="#c00000", lw=1, label=r"$\mu_\mathrm{c}$")
        if U is not None:
            for sgn in (-1, 1):
                ax.axhline(
                    certified_value + sgn * U,
                    color="#2e7d32",
                    lw=0.9,
                    ls="--",
                    label=r"$\mu_\mathrm{c} \pm U$" if sgn > 0 else None,
                )
    elif prediction is not None:
        for lim in (prediction.lower, prediction.upper):
            if lim is not None:
                ax.axhline(lim, color="#2e7d32", lw=0.9, ls="--")
    sl = getattr(result, "shelf_life", None)
    if sl is not None:
        ax.axvline(sl, color="#555555", lw=0.9, ls="-.", label=_f("t_shelf", lang, t=fmt(sl, 4)))
    if prediction is not None and math.isfinite(prediction.shelf_life):
        if prediction.shelf_life <= t_end:
            ax.axvline(
                prediction.shelf_life,
                color="#7f6000",
                lw=0.9,
                ls="--",
                label=_f("leaves", lang, t=fmt(prediction.shelf_life, 4)),
            )
        else:
            ax.plot([], [], " ", label=_f("leaves_beyond", lang, t=fmt(prediction.shelf_life, 4)))
    _draw_inadequacy(ax, result, grid, lang)
    ax.set_xlim(grid[0], t_end)
    name = literal(result.analyte) or ("特性值" if lang == "zh" else "value")
    ax.set_xlabel(_f("time", lang), fontsize=8)
    ax.set_ylabel(
        f"{name} [{literal(result.unit_of_measure)}]" if result.unit_of_measure else name, fontsize=8
    )
    temp = _f("at", lang, T=result.temperature) if result.temperature is not None else ""
    n = printed(result)
    ax.set_title(
        # the same digits as Table S1 and the statement (rmwork.report.numbers)
        _f("s1", lang, name=name, temp=temp, b1=n["slope"].text(), p=n["p_value"].text()),
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="best")
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def _time_end(result) -> float:
    """Right end of a stability figure's time axis: the data (fitted or left out) and the shelf
    life or transport duration, plus 5 %."""
    ends = [result.time_max, *result.excluded_data()["time"].tolist()]
    for t in (getattr(result, "shelf_life", None), getattr(result, "duration", None)):
        if t is not None and math.isfinite(t):
            ends.append(t)
    return max(ends) * 1.05


def _draw_inadequacy(ax, result, grid, lang: str) -> None:
    """An inadequate line: draw the quadratic that the curvature test found significant."""
    a = getattr(result, "adequacy", None)
    if a is None or a.adequate or a.curvature is None or a.curvature.passed:
        return
    ca, cb, cc = a.curvature.coefficients
    d = grid - a.curvature.time_centre
    ax.plot(
        grid,
        ca + cb * d + cc * d * d,
        color="#c00000",
        lw=1.1,
        ls="--",
        label=_f("quadratic", lang, p=fmt(a.curvature.p_value, 2)),
    )


def figure_s2(df: pd.DataFrame | None, result, *, lang: str = "en", ax=None):
    """Figure S2: residuals of the fitted line against time, with 0 and +-2 s; points above and
    below the line in two colours, joined in time order, so that long runs on one side show."""
    fig, ax = _axes(ax, (7, 2.8), lang)
    pts = result.fitted_data().sort_values("time", kind="stable")
    ax.axhline(0.0, color="grey", lw=1)
    for sgn in (-1, 1):
        ax.axhline(
            sgn * 2 * result.residual_sd, color="#cc6600", lw=0.8, ls="--", label="± 2 s" if sgn > 0 else None
        )
    ax.plot(pts["time"], pts["residual"], color="#9aa7b4", lw=0.6, zorder=2)
    above = pts["residual"] > 0
    ax.scatter(
        pts["time"][above], pts["residual"][above], s=14, color="#1f4e79", zorder=3, label=_f("above", lang)
    )
    ax.scatter(
        pts["time"][~above], pts["residual"][~above], s=14, color="#cc6600", zorder=3, label=_f("below", lang)
    )
    ax.set_xlim(min(0.0, result.time_min), _time_end(result))
    name = literal(result.analyte) or ("特性值" if lang == "zh" else "value")
    ax.set_xlabel(_f("time", lang), fontsize=8)
    unit = f" [{result.unit_of_measure}]" if result.unit_of_measure else ""
    ax.set_ylabel(_f("residual", lang) + unit, fontsize=8)
    a = getattr(result, "adequacy", None)
    runs = (
        ""
        if a is None or a.runs is None
        else _f("runs", lang, r=a.runs.statistic, e=f"{a.runs.expected:.0f}", p=fmt(a.runs.p_value, 2))
    )
    ax.set_title(_f("s2", lang, name=name, s=printed(result)["residual_sd"].text()) + runs, fontsize=9)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def figure_s3(
    df: pd.DataFrame | None,
    result,
    *,
    temperature: str = "temperature",
    time: str = "time",
    value: str = "value",
    lang: str = "en",
    ax=None,
):
    """Figure S3: Arrhenius plot ln|k| against 1/T with its confidence band and the storage
    temperature (extrapolation dashed); for the joint model, data and fitted curves per
    temperature (``df`` required)."""
    fig, ax = _axes(ax, lang=lang)
    name = literal(result.analyte) or ("特性值" if lang == "zh" else "value")
    if isinstance(result, smod.ArrheniusJointResult):
        if df is None:
            raise ValueError("figure_s3 needs the data frame for the joint Arrhenius model")
        colors = ["#1f4e79", "#cc6600", "#c00000", "#2e7d32", "#6a3d9a", "#555555"]
        t_all = df[time].astype(float)
        fitted = t_all < result.time_below if result.time_below is not None else t_all == t_all
        for i, T in enumerate(result.temperatures):
            c = colors[i % len(colors)]
            m = np.isclose(df[temperature].astype(float), T)
            ax.scatter(t_all[m & fitted], df.loc[m & fitted, value], s=10, color=c, label=f"{T:g} °C")
            ax.scatter(t_all[m & ~fitted], df.loc[m & ~fitted, value], s=10, color=c, alpha=0.3)
            grid = np.linspace(0.0, float(t_all[m & fitted].max()), 100)
            ax.plot(grid, result.predict(grid, T), color=c, lw=1)
        if result.time_below is not None:
            ax.axvline(result.time_below, color="grey", lw=0.8, ls=":", label=_f("fit_window", lang))
        if result.limit is not None:
            ax.axhline(result.limit, color="#2e7d32", lw=0.9, ls="--", label=_f("limit", lang))
        ax.set_xlabel(_f("time", lang), fontsize=8)
        ax.set_ylabel(name, fontsize=8)
        ax.set_title(_f("s3_joint", lang, name=name), fontsize=9)
    else:
        r = result
        x = np.asarray(r.inverse_temperatures)
        xs = [] if r.storage_temperature is None else [1.0 / (r.storage_temperature + smod.KELVIN_OFFSET)]
        lo, hi = min([*x, *xs]), max([*x, *xs])
        pad = 0.05 * (hi - lo)
        grid = np.linspace(lo - pad, hi + pad, 200)
        band = r.band(grid)
        inside = (grid >= x.min()) & (grid <= x.max())
        ax.plot(
            grid[inside], band["fit"][inside], color="#1f4e79", lw=1.2, label=r"$\ln A - E_\mathrm{a}/(RT)$"
        )
        ax.plot(grid, band["fit"], color="#1f4e79", lw=0.8, ls="--")
        if r.dof > 0:
            ax.fill_between(
                grid,
                band["low"],
                band["high"],
                color="#1f4e79",
                alpha=0.15,
                lw=0,
                label=_f("band", lang, p=100 * r.level),
            )
        ax.scatter(x, r.ln_k, s=18, color="#1f4e79", zorder=3)
        for xi, zi, T in zip(x, r.ln_k, r.temperatures):
            ax.annotate(f"{T:g} °C", (xi, zi), fontsize=7, xytext=(3, 3), textcoords="offset points")
        if xs:
            ax.axvline(
                xs[0],
                color="#c00000",
                lw=0.9,
                ls="--" if r.extrapolated else "-",
                label=_f("storage", lang, T=r.storage_temperature)
                + (_f("extrapolated", lang) if r.extrapolated else ""),
            )
        ax.set_xlabel("1/T / K⁻¹", fontsize=8)
        ax.set_ylabel(_f("ln_k", lang), fontsize=8)
        ax.set_title(_f("s3", lang, name=name, ea=fmt(r.e_a / 1000, 4)), fontsize=9)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# prose


def _u(x, unit):
    return f"{fmt(x, 4)} {unit}".strip()


def stability_statement(result, lang: str = "en", *, prediction=None, suggestion=None) -> str:
    """Sentences built from a stability result (a missing field raises, never becomes 0).

    ``result`` may be a regression, transport, isochronous, Arrhenius (linear or joint),
    Bayesian-trend or monitoring result; ``prediction`` and ``suggestion`` add the shelf life
    from a band and eCerto's t_max to the long-term statement.
    """
    zh = lang == "zh"
    r = result
    if isinstance(r, smod.IsochronousResult):
        parts = [stability_statement(f, lang) for f in r.fits.values()]
        head = (
            f"同步（等时）稳定性研究，参比温度 {r.reference_temperature:g} °C："
            if zh
            else f"Isochronous study against {r.reference_temperature:g} °C: "
        )
        return head + " ".join(parts)
    if isinstance(r, smod.ArrheniusJointResult):
        t = (
            ""
            if r.time_to_limit is None
            else (
                f"在 {r.storage_temperature:g} °C 下降至 {fmt(r.limit)} 需 {fmt(r.time_to_limit, 4)} 个月"
                f"（标准误差 {fmt(r.se_time_to_limit, 3)}）。"
                if zh
                else f" At {r.storage_temperature:g} °C the model reaches {fmt(r.limit)} after "
                f"{fmt(r.time_to_limit, 4)} months (standard error {fmt(r.se_time_to_limit, 3)}, delta method)."
            )
        )
        ex = (
            (
                "（外推，超出试验温度范围）"
                if zh
                else " This is an extrapolation beyond the temperatures tested."
            )
            if r.extrapolated
            else ""
        )
        if zh:
            return (
                f"加速稳定性（联合阿伦尼乌斯模型，n = {r.n_points}）：c0 = {fmt(r.c0, 5)}，"
                f"k1 = {fmt(r.k1, 4)}，k2 = {fmt(r.k2, 5)} K，剩余标准差 {fmt(r.residual_sd, 4)}"
                f"（自由度 {r.dof}）。{t}{ex}"
            )
        return (
            f"Accelerated stability (joint Arrhenius model, n = {r.n_points}): c0 = {fmt(r.c0, 5)}, "
            f"k1 = {fmt(r.k1, 4)}, k2 = {fmt(r.k2, 5)} K, residual SD {fmt(r.residual_sd, 4)} "
            f"on {r.dof} degrees of freedom.{t}{ex}"
        )
    if isinstance(r, smod.ArrheniusResult):
        temps = ", ".join(f"{T:g}" for T in r.temperatures)
        if zh:
            s = (
                f"加速稳定性：{temps} °C 下的速率常数按阿伦尼乌斯方程拟合，"
                f"活化能 E_a = {fmt(r.e_a / 1000, 4)} kJ/mol。"
            )
            if r.k_storage is not None:
                s += f"{r.storage_temperature:g} °C 下的速率常数 k = {fmt(r.k_storage, 4)} /月"
                s += "（外推）。" if r.extrapolated else "。"
            if r.time_to_limit is not None:
                s += (
                    f"达到限值 {fmt(r.limit)} 约需 {fmt(r.time_to_limit, 4)} 个月"
                    f"（按 |k| 置信上限为 {fmt(r.time_to_limit_conservative, 4)} 个月）。"
                )
            return s
        s = (
            f"Accelerated stability: the rate constants at {temps} °C follow an Arrhenius line "
            f"with E_a = {fmt(r.e_a / 1000, 4)} kJ/mol."
        )
        if r.k_storage is not None:
            s += f" At {r.storage_temperature:g} °C, k = {fmt(r.k_storage, 4)} per month" + (
                " (extrapolated beyond the temperatures tested)." if r.extrapolated else "."
            )
        if r.time_to_limit is not None:
            s += (
                f" The limit {fmt(r.limit)} is reached after {fmt(r.time_to_limit, 4)} months "
                f"({fmt(r.time_to_limit_conservative, 4)} months with the upper confidence bound of |k|)."
            )
        return s
    if isinstance(r, smod.BayesianTrendResult):
        ok = r.diagnostics_passed
        if zh:
            s = (
                f"贝叶斯敏感性分析：斜率后验均值 {fmt(r.slope_mean, 4)}，后验标准差 {fmt(r.slope_sd, 4)}"
                f"（最小二乘 s(b1) = {fmt(r.se_slope_ols, 4)}）。"
            )
            if r.u_lts is not None:
                s += f"有效期 {fmt(r.shelf_life)} 个月时 u_lts = {_u(r.u_lts, r.unit_of_measure)}。"
            return s + ("" if ok else "采样诊断未通过，结果仅供参考。")
        s = (
            f"Bayesian sensitivity analysis: posterior slope {fmt(r.slope_mean, 4)} "
            f"(SD {fmt(r.slope_sd, 4)}; least squares s(b1) = {fmt(r.se_slope_ols, 4)})."
        )
        if r.u_lts is not None:
            s += (
                f" Over a shelf life of {fmt(r.shelf_life)} months the posterior SD of the drift is "
                f"u_lts = {_u(r.u_lts, r.unit_of_measure)} ({fmt(r.ratio_u_lts, 3)} × the OLS value)."
            )
        return s + ("" if ok else " The sampler failed its diagnostics: for information only.")
    if isinstance(r, smod.MonitoringResult):
        bad = sum(not p for p in r.passed)
        if zh:
            return (
                f"定值后监测：{r.n_points} 个结果中 {r.n_points - bad} 个满足 |μc − μm| ≤ "
                f"{fmt(r.k)}·√(uc² + um²)。"
            )
        return (
            f"Post-certification monitoring: {r.n_points - bad} of {r.n_points} results meet "
            f"|μc − μm| ≤ {fmt(r.k)}·√(uc² + um²)."
        )
    # straight-line long-term or transport result
    transport = isinstance(r, smod.TransportResult)
    n = {k: N.tag(v) for k, v in printed(r).items()}
    rel = (
        N.tag(printed(r)["u_sts_rel_pct" if transport else "u_lts_rel_pct"], " %")
        if (transport or r.u_lts is not None)
        else ""
    )
    unit = f" {r.unit_of_measure}" if r.unit_of_measure else ""
    temp = "" if r.temperature is None else (f"{r.temperature:g} °C，" if zh else f" at {r.temperature:g} °C")
    sig = r.significant
    if zh:
        study = "运输稳定性" if transport else "长期稳定性"
        s = (
            f"{r.analyte or ''}{study}（{temp}n = {r.n_points}，{r.n_times} 个时间点）：斜率 b1 = "
            f"{n['slope']} /月，s(b1) = {n['se_slope']}，截距 b0 = {n['intercept']}，"
            f"p = {n['p_value']}，在 α = {r.alpha:g} 水平下斜率"
            f"{'显著，存在趋势' if sig else '不显著，未发现不稳定性'}。"
        )
        if transport:
            s += (
                f"运输时间 {n['duration']} 个月，u_sts = {n['u_sts']}{unit}"
                f"（相对运输稳定性研究平均值 {rel}）。"
            )
        elif r.u_lts is not None:
            s += f"有效期 {n['shelf_life']} 个月，u_lts = {n['u_lts']}{unit}（相对稳定性研究平均值 {rel}）。"
        if prediction is not None:
            s += (
                f"按{'预测' if prediction.kind == 'prediction' else '置信'}区间"
                f"（{100 * prediction.level:g} %）推算的有效期为 {fmt(prediction.shelf_life, 4)} 个月"
                + ("（外推）。" if prediction.extrapolated else "。")
            )
        if suggestion is not None:
            s += f"u_lts 不超过 U/3 的最长有效期为 {fmt(suggestion.t_max)} 个月。"
        return N.sentence(s)
    study = "Transport stability" if transport else "Long-term stability"
    name = f" of {r.analyte}" if r.analyte else ""
    s = (
        f"{study}{name}{temp} (n = {r.n_points}, {r.n_times} time points): slope b1 = "
        f"{n['slope']} per month, s(b1) = {n['se_slope']}, intercept b0 = "
        f"{n['intercept']}, p = {n['p_value']}; the slope is "
        f"{'significant at' if sig else 'not significant at'} alpha = {r.alpha:g}"
        f"{' (a trend)' if sig else ' (no instability detected)'}."
    )
    if transport:
        s += (
            f" For a transport of {n['duration']} months, u_sts = {n['u_sts']}{unit} "
            f"({rel} relative to the mean of the transport study)."
        )
    elif r.u_lts is not None:
        s += (
            f" For a shelf life of {n['shelf_life']} months, u_lts = {n['u_lts']}{unit} "
            f"({rel} relative to the mean of the stability study)."
        )
    if prediction is not None:
        s += (
            f" The {prediction.sided}-sided {100 * prediction.level:g} % {prediction.kind} band leaves "
            f"the limits after {fmt(prediction.shelf_life, 4)} months"
            + (" (extrapolated beyond the data)." if prediction.extrapolated else ".")
        )
    if suggestion is not None:
        s += f" The longest shelf life keeping u_lts below U/3 is {fmt(suggestion.t_max)} months."
    return N.sentence(s)


def _adequacy_numbers(result) -> dict:
    """Table S6's printed numbers of one line (statistics 4 digits, p 2 digits), named."""
    a, key, base = result.adequacy, str(result.analyte or ""), _base(result)

    def q(sym):
        return N.qname(key, sym, base) if key else ""

    out = {}
    for name, test in (("lof", a.lack_of_fit), ("quad", a.curvature), ("runs", a.runs)):
        if test is None:
            continue
        stat = test.statistic if name == "runs" else N.statistic(test.statistic, q=q(f"{name}_statistic"))
        out[name] = (test, stat, N.p_value(test.p_value, q=q(f"p_{name}")))
    return out


def _respell_p(text: str, result) -> str:
    """A note with the slope's p (rmwork.stability writes ``p = {p:.3g}``) in Table S1's spelling."""
    p = getattr(result, "p_value", None)
    if p is None or not math.isfinite(p) or f"p = {p:.3g}" not in str(text):
        return text
    return N.sentence(str(text).replace(f"p = {p:.3g}", f"p = {N.tag(printed(result)['p_value'])}"))


def _respell_finding(text: str, result) -> str:
    """The adequacy finding (rmwork.stability.adequacy writes ``:.2g``) with the numbers of
    Table S6, in the order the finding names them (lack of fit, curvature, runs)."""
    out = str(text)
    for name, (test, stat, p) in _adequacy_numbers(result).items():
        if name != "runs":
            sym = "F" if name == "lof" else "t"
            out = out.replace(f"{sym} = {test.statistic:.2g}", f"{sym} = {N.tag(stat)}", 1)
        out = out.replace(f"p = {test.p_value:.2g}", f"p = {N.tag(p)}", 1)
    return N.sentence(out)


def adequacy_block(result, lang: str = "en"):
    """The straight-line check of one line in words, and what was left out of the fit."""
    from .display import join, note, paragraph, warning

    a = getattr(result, "adequacy", None)
    parts = []
    if a is not None:
        text = _respell_finding(a.finding_zh if lang == "zh" else a.finding, result)
        parts.append(paragraph(text) if a.adequate else warning(text))
    if result.excluded:
        head = "未参与拟合的结果：" if lang == "zh" else "Left out of the fit: "
        parts.append(
            note(head + ("；" if lang == "zh" else "; ").join(note_text(e, lang) for e in result.excluded))
        )
    return join(*parts)


def show(
    long_term: dict,
    data: dict | None = None,
    *,
    transport: dict | None = None,
    predictions: dict | None = None,
    suggestions: dict | None = None,
    certified: dict | None = None,
    lang: str = "en",
):
    """Display the stability section: tables S1/S2, per analyte statement, notes, figures S1/S2.

    ``long_term`` is {analyte: StabilityStudy} (as ``Workbook.stability()`` returns it; ``data``
    and ``transport`` then come from the studies), or {analyte: regression result} with ``data``
    {analyte: rows} and ``transport`` {analyte: transport result}.

    ``certified`` maps analyte -> (certified value, U) for the lines of Figure S1.
    """
    from IPython.display import display

    from .display import figure, heading, note, paragraph

    if long_term and all(isinstance(v, smod.StabilityStudy) for v in long_term.values()):
        studies = long_term
        long_term = {a: s.long_term for a, s in studies.items() if s.long_term is not None}
        data = {a: s.long_term_data for a, s in studies.items() if s.long_term is not None}
        transport = {a: s.transport for a, s in studies.items() if s.transport is not None} or None
    if not long_term and not transport:
        display(note("This lot has no stability study." if lang == "en" else "本批次无稳定性研究。"))
        return
    display(
        table_s1(
            {
                **(long_term or {}),
                **{text("transport", lang, key=k): v for k, v in (transport or {}).items()},
            },
            lang,
        )
    )
    display(table_s2(long_term, transport, predictions, suggestions, lang))
    display(
        table_s6(
            {
                **(long_term or {}),
                **{text("transport", lang, key=k): v for k, v in (transport or {}).items()},
            },
            lang,
        )
    )
    for key, r in (long_term or {}).items():
        p = (predictions or {}).get(key)
        s = (suggestions or {}).get(key)
        display(heading(key, 4))
        display(paragraph(stability_statement(r, lang, prediction=p, suggestion=s)))
        block = adequacy_block(r, lang)
        if block is not None:
            display(block)
        for n in r.notes + (p.notes if p is not None else ()):
            display(note(_respell_p(note_text(n, lang), r)))
        cv, U = (certified or {}).get(key, (None, None))
        df = None if data is None else data.get(key)
        fig = figure_s1(df, r, certified_value=cv, U=U, prediction=p, lang=lang)
        display(figure(fig, ref=figure_ref("S1", key, analyte=r.analyte or key), lang=lang))
        display(
            figure(
                figure_s2(df, r, lang=lang), ref=figure_ref("S2", key, analyte=r.analyte or key), lang=lang
            )
        )
    for _key, t in (transport or {}).items():
        display(paragraph(stability_statement(t, lang)))
        block = adequacy_block(t, lang)
        if block is not None:
            display(block)
        for n in t.notes:
            display(note(note_text(n, lang)))
