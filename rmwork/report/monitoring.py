"""Table S5, Table S7 and Figure S7: post-certification monitoring as the lot judged it (format and plot only).

Table S5 lists each result with its limit; the sentence above it states the rule (u_m per result,
from the table or as the lot states it; or the weaker check against x_c ± U only).  Table S7 and
Figure S7 are eCerto's LTS evaluation (ISO Guide 35:2017, 8.9): the line on time and the time at
which it, started at the certified value, leaves x_c ± U.  Nothing is computed here.
"""

from __future__ import annotations

import math

import pandas as pd

from .display import HTML, figure, note, paragraph, table


def _g(x: float, digits: int = 4) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.{digits}g}"


def rule_statement(m, unit: str, lang: str = "en") -> str:
    """One sentence: how each monitoring result was judged, and what u_m is."""
    u = f" {unit}" if unit else ""
    if m.check == "certified-interval":
        if lang == "zh":
            return (
                f"监测结果未给出标准不确定度：按参数文件的声明，每个结果仅与标准值 ± U（{_g(m.certified_value, 6)} ± "
                f"{_g(m.U)}{u}）比较。该检查较弱，忽略了测量本身的不确定度（ISO Guide 35:2017, 8.9）。"
            )
        return (
            "The monitoring results carry no standard uncertainty: as the lot declares "
            "(check: certified-interval), each result is compared with the certified value ± U only "
            f"({_g(m.certified_value, 6)} ± {_g(m.U)}{u}). This is a weaker check than ERM Application "
            "Note 1 (|x_m − x_c| ≤ k·√(u_c² + u_m²)): it ignores the measurement's own uncertainty "
            "(ISO Guide 35:2017, 8.9 and 8.10)."
        )
    ums = sorted(set(m.u_m))
    shown = _g(ums[0]) + u if len(ums) == 1 else f"{_g(ums[0])} to {_g(ums[-1])}{u}"
    if lang == "zh":
        return f"每个结果按 ERM Application Note 1 判定：|x_m − x_c| ≤ k·√(u_c² + u_m²)，u_m = {shown}（{m.u_m_source}）。"
    return (
        f"Each result is judged by ERM Application Note 1 (ISO Guide 35:2017, 8.10): |x_m − x_c| ≤ "
        f"k·√(u_c² + u_m²), k = {_g(m.k, 3)}, u_c = {_g(m.u_c)}{u}, u_m = {shown} ({m.u_m_source})."
    )


def table_s5(m, analyte: str, lang: str = "en") -> HTML:
    df = m.to_frame()
    if m.check == "certified-interval":
        df = df.drop(columns=["u_m"]).rename(columns={"U_d": "U"})
        cap = (
            f"Table S5 — {analyte}: post-certification monitoring, |x_m − x_c| ≤ U "
            "(certified interval only; the results carry no u)"
        )
    else:
        cap = (
            f"Table S5 — {analyte}: post-certification monitoring, |x_m − x_c| ≤ k·√(u_c² + u_m²), "
            f"k = {m.k:.3g} (ERM Application Note 1)"
        )
    return table(df, cap, labels=False, lang=lang)


def trend_frame(tr) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "n": tr.n_points,
                "b1 (per month)": tr.slope,
                "s(b1)": tr.se_slope,
                "p": tr.p_value,
                "months observed": tr.time_max_observed,
                "t_exit = U/|b1| (months)": tr.t_exit,
                "eCerto (months)": tr.t_exit_months,
                "t_exit, 95 % band (months)": tr.t_exit_ci95,
                "exit date": tr.exit_date or "—",
            }
        ]
    )


def trend_statement(tr, unit: str, lang: str = "en") -> str:
    u = f" {unit}" if unit else ""
    when = f", on {tr.exit_date}" if tr.exit_date else ""
    since = f"the first result ({tr.start_date})" if tr.start_date else "the first result"
    if lang == "zh":
        when = f"（{tr.exit_date}）" if tr.exit_date else ""
        return (
            f"eCerto LTS 趋势：斜率 b1 = {_g(tr.slope)}{u}/月（s(b1) = {_g(tr.se_slope)}，p = {_g(tr.p_value, 3)}）；"
            f"自标准值起的直线在 {_g(tr.t_exit)} 个月后{when}离开标准值 ± U，95 % 置信带在 {_g(tr.t_exit_ci95)} 个月后。"
        )
    return (
        f"eCerto's LTS evaluation: the line on time has slope b1 = {_g(tr.slope)}{u} per month "
        f"(s(b1) = {_g(tr.se_slope)}, p = {_g(tr.p_value, 3)}, n = {tr.n_points}). Started at the "
        f"certified value, it leaves x_c ± U = {_g(tr.certified_value, 6)} ± {_g(tr.U)}{u} "
        f"{_g(tr.t_exit)} months after {since}{when}; eCerto's report prints ⌈t_exit⌉ = "
        f"{_g(tr.t_exit_months, 6)} months. Its 95 % confidence band leaves it after {_g(tr.t_exit_ci95)} "
        "months (eCerto's 'use CI95' option), the more cautious figure."
    )


def figure_s7(m, analyte: str, unit: str):
    """Figure S7 (eCerto Fig. L1): results on months since the first, x_c ± U, the line and its shift to x_c."""
    import numpy as np
    from matplotlib.figure import Figure

    tr = m.trend
    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.add_subplot()
    t = np.asarray(tr.time, float)
    ax.plot(t, m.measured, "^", color="0.5", ms=4, label="monitoring results")
    x = np.array([0.0, float(t.max())])
    ax.plot(x, tr.intercept + tr.slope * x, "--", color="tab:blue", label="fitted line")
    ax.plot(x, tr.certified_value + tr.slope * x, ":", color="0.4", label="line moved to x_c")
    ax.axhline(tr.certified_value, color="tab:red", lw=1, label="x_c")
    for s in (-1, 1):
        ax.axhline(tr.certified_value + s * tr.U, color="tab:green", ls="--", lw=1)
    ax.set_xlabel("months since the first monitoring result")
    ax.set_ylabel(f"{analyte} / {unit}" if unit else analyte)
    ax.set_title(f"Figure S7 — {analyte}: monitoring trend; x_c ± U dashed green", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return fig


def blocks(m, analyte: str, unit: str, lang: str = "en") -> list:
    """Everything the report shows of one analyte's monitoring, in order."""
    out = [paragraph(rule_statement(m, unit, lang)), table_s5(m, analyte, lang)]
    out += [note(n) for n in m.notes]
    tr = m.trend
    if tr is not None:
        out.append(
            table(
                trend_frame(tr),
                f"Table S7 — {analyte}: monitoring trend (eCerto LTS module; ISO Guide 35:2017, 8.9)",
                labels=False,
                lang=lang,
            )
        )
        out.append(paragraph(trend_statement(tr, unit, lang)))
        out += [note(n) for n in tr.notes]
        if tr.time:
            out.append(figure(figure_s7(m, analyte, unit)))
    return out
