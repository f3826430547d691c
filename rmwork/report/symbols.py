"""One map from field names to report labels (HTML and Chinese), used by every results table.

``LABELS[field] = (HTML label, zh label)``.  A field name means one quantity everywhere: where two
studies used the same name for different quantities, each has its own key (``mean`` is the
homogeneity study's mean of unit means, ``lab_mean`` a laboratory's mean, ``study_mean`` the
stability study's; ``dof`` a regression's or consensus value's ν, ``dof_lab`` a laboratory's ν_j;
``k`` the coverage factor, ``k_T`` a rate constant; ``unit`` a bottle, ``unit_of_measure`` the
measurement unit; ``se`` a standard error, ``u_x`` a laboratory's standard uncertainty).

Headers never show ASCII names: symbols are HTML (``σ<sub>pt</sub>``, ``u<sub>CRM</sub>``,
``b<sub>1</sub>``, ``τ``).  Units follow ISO 80000-1 7.1 (quantity / unit): ``DIMENSION`` says
which fields carry the analyte's unit (``value``), its square (``value2``), the unit per month
(``per_month``) or months (in the label itself); :func:`header` appends the unit, and a table whose
rows have different units gets a unit column instead (:func:`table_units`).  Relative quantities
carry ",rel" in the symbol and say relative to what where the table knows it.
"""

from __future__ import annotations

import html

LABELS = {
    # field: (HTML label, zh label)
    # --- common
    "analyte": ("Analyte", "特性量"),
    "group": ("Group", "分组"),
    "unit_of_measure": ("Unit", "单位"),
    "p_value": ("p", "p"),
    "method": ("Method", "方法"),
    "test": ("Test", "检验"),
    "statistic": ("Statistic", "统计量"),
    "flag": ("Flagged", "标记"),
    "reason": ("Reason", "理由"),
    "verdict": ("Verdict", "结论"),
    "passed": ("Passed", "通过"),
    "study": ("Study", "研究"),
    "parameter": ("Parameter", "参数"),
    "param_value": ("Value", "数值"),
    "se": ("Standard error", "标准误差"),
    "n": ("n", "n"),
    # --- homogeneity (Table H1-H4; ISO Guide 35:2017 7.7, B.3; ISO 13528:2022 B)
    "n_units": ("p (units)", "单元数 p"),
    "n_results": ("N (results)", "结果数 N"),
    "mean": ("Mean of unit means", "单元平均值的平均值"),
    "ms_between": ("MS<sub>between</sub>", "组间均方 MS<sub>between</sub>"),
    "ms_within": ("MS<sub>within</sub>", "组内均方 MS<sub>within</sub>"),
    "dof_between": ("&nu;<sub>between</sub>", "组间自由度 &nu;<sub>1</sub>"),
    "dof_within": ("&nu;<sub>within</sub>", "组内自由度 &nu;<sub>2</sub>"),
    "f_statistic": ("F", "F"),
    "f_critical": ("F<sub>crit</sub>", "临界值 F<sub>crit</sub>"),
    "n0": ("n<sub>0</sub>", "n<sub>0</sub>"),
    "s_wb": ("s<sub>wb</sub>", "s<sub>wb</sub>"),
    "s_bb": ("s<sub>bb</sub>", "瓶间标准偏差 s<sub>bb</sub>"),
    "u_bb_star": ("u*<sub>bb</sub>", "u*<sub>bb</sub>"),
    "u_bb": ("u<sub>bb</sub>", "瓶间不均匀性不确定度 u<sub>bb</sub>"),
    "s_bb_rel": ("s<sub>bb,rel</sub>", "s<sub>bb,rel</sub>"),
    "u_bb_star_rel": ("u*<sub>bb,rel</sub>", "u*<sub>bb,rel</sub>"),
    "u_bb_rel": ("u<sub>bb,rel</sub>", "u<sub>bb,rel</sub>"),
    "sigma_pt": ("&sigma;<sub>pt</sub>", "能力评定标准差 &sigma;<sub>pt</sub>"),
    "s_x": ("s<sub>x̄</sub>", "s<sub>x̄</sub>"),
    "s_w": ("s<sub>w</sub>", "s<sub>w</sub>"),
    "s_s": ("s<sub>s</sub>", "s<sub>s</sub>"),
    "limit_03_sigma_pt": ("0.3&sigma;<sub>pt</sub>", "0.3&sigma;<sub>pt</sub>"),
    "passed_03": ("s<sub>s</sub> &le; 0.3&sigma;<sub>pt</sub>", "s<sub>s</sub> &le; 0.3&sigma;<sub>pt</sub>"),
    "F1": ("F<sub>1</sub>", "F<sub>1</sub>"),
    "F2": ("F<sub>2</sub>", "F<sub>2</sub>"),
    "sqrt_c": ("&radic;c", "&radic;c"),
    "passed_expanded": ("s<sub>s</sub> &le; &radic;c", "s<sub>s</sub> &le; &radic;c（扩展判据）"),
    "s_bb_anova": ("s<sub>bb</sub> (ANOVA)", "s<sub>bb</sub>（方差分析）"),
    "sigma_bb_median": ("&sigma;<sub>bb</sub> (posterior median)", "&sigma;<sub>bb</sub>（后验中位数）"),
    "sigma_bb_q95": ("&sigma;<sub>bb</sub> (95 % upper bound)", "&sigma;<sub>bb</sub>（95 % 上限）"),
    "rhat_max": ("R&#770; (max)", "R&#770;（最大）"),
    "ess_bulk_min": ("ESS<sub>bulk</sub> (min)", "ESS<sub>bulk</sub>（最小）"),
    "ess_tail_min": ("ESS<sub>tail</sub> (min)", "ESS<sub>tail</sub>（最小）"),
    "divergences": ("Divergent transitions", "发散转移数"),
    "diagnostics": ("Diagnostics", "诊断"),
    # --- stability (Tables S1-S6; ISO Guide 35:2017 8, B.3)
    "temperature": ("T / °C", "温度 T / °C"),
    "n_points": ("n", "n"),
    "n_times": ("Time points", "时间点数"),
    "slope": ("b<sub>1</sub> (slope)", "斜率 b<sub>1</sub>"),
    "se_slope": ("s(b<sub>1</sub>)", "s(b<sub>1</sub>)"),
    "intercept": ("b<sub>0</sub> (intercept)", "截距 b<sub>0</sub>"),
    "se_intercept": ("s(b<sub>0</sub>)", "s(b<sub>0</sub>)"),
    "residual_sd": ("s", "剩余标准差 s"),
    "dof": ("&nu;", "自由度 &nu;"),
    "t_statistic": ("t = b<sub>1</sub>/s(b<sub>1</sub>)", "t = b<sub>1</sub>/s(b<sub>1</sub>)"),
    "t_crit": ("t<sub>crit</sub>", "t<sub>crit</sub>"),
    "significant": ("Significant", "显著"),
    "f_lack_of_fit": ("F<sub>lack of fit</sub>", "失拟 F"),
    "p_lack_of_fit": ("p<sub>lack of fit</sub>", "失拟 p"),
    "study_mean": ("Mean", "平均值"),
    "shelf_life": ("t<sub>shelf</sub> / month", "有效期 t<sub>shelf</sub> / 月"),
    "u_lts": ("u<sub>lts</sub>", "长期稳定性不确定度 u<sub>lts</sub>"),
    "u_lts_rel": ("u<sub>lts,rel</sub> (to the study mean)", "u<sub>lts,rel</sub>（相对研究平均值）"),
    "duration": ("t<sub>transport</sub> / month", "运输时间 / 月"),
    "u_sts": ("u<sub>sts</sub>", "运输稳定性不确定度 u<sub>sts</sub>"),
    "u_sts_rel": ("u<sub>sts,rel</sub> (to the study mean)", "u<sub>sts,rel</sub>（相对研究平均值）"),
    # relative values in percent, saying relative to what (rmwork.report.numbers; issue 17)
    "u_bb_rel_hom": (
        "u<sub>bb,rel</sub> / % (relative to the mean of the homogeneity study)",
        "u<sub>bb,rel</sub> / %（相对均匀性研究平均值）",
    ),
    "u_lts_rel_pct": (
        "u<sub>lts,rel</sub> / % (relative to the mean of the stability study)",
        "u<sub>lts,rel</sub> / %（相对稳定性研究平均值）",
    ),
    "u_sts_rel_pct": (
        "u<sub>sts,rel</sub> / % (relative to the mean of the transport study)",
        "u<sub>sts,rel</sub> / %（相对运输稳定性研究平均值）",
    ),
    "basis": ("Check", "检验方法"),
    "f_lof": ("F<sub>lack of fit</sub>", "失拟 F"),
    "p_lof": ("p<sub>lack of fit</sub>", "失拟 p"),
    "t_quad": ("t<sub>quadratic</sub>", "二次项 t"),
    "p_quad": ("p<sub>quadratic</sub>", "二次项 p"),
    "runs": ("Runs R", "游程数 R"),
    "runs_expected": ("E(R)", "E(R)"),
    "p_runs": ("p<sub>runs</sub>", "游程 p"),
    "adequate": ("Straight line fits", "直线模型适用"),
    "window": ("Fitted up to / month", "拟合至 / 月"),
    "n_excluded": ("Left out", "剔除点数"),
    "predicted": ("Shelf life from band / month", "由区间推算的有效期 / 月"),
    "criterion": ("Band", "区间"),
    "t_max": (
        "t<sub>max</sub> (u<sub>lts</sub> &lt; U/3) / month",
        "t<sub>max</sub>（u<sub>lts</sub> &lt; U/3）/ 月",
    ),
    "k_T": ("k<sub>T</sub>", "速率常数 k<sub>T</sub>"),
    "se_k": ("s(k<sub>T</sub>)", "s(k<sub>T</sub>)"),
    "inverse_temperature": ("1/T / K<sup>-1</sup>", "1/T / K<sup>-1</sup>"),
    "ln_k": ("ln|k<sub>T</sub>|", "ln|k<sub>T</sub>|"),
    "x_m": ("x<sub>m</sub>", "监测结果 x<sub>m</sub>"),
    "u_m": ("u<sub>m</sub>", "u<sub>m</sub>"),
    "d_mc": ("x<sub>m</sub> − x<sub>c</sub>", "x<sub>m</sub> − x<sub>c</sub>"),
    "U_d_mc": ("U<sub>d</sub>", "U<sub>d</sub>"),
    "within_U_d": ("Within U<sub>d</sub>", "在 U<sub>d</sub> 之内"),
    # post-certification monitoring (Tables S5, S7; ISO Guide 35:2017, 8.9 and 8.10; eCerto LTS)
    "U_limit": ("U (limit)", "限值 U"),
    "within_U": ("Within x<sub>c</sub> ± U", "在 x<sub>c</sub> ± U 之内"),
    "t_span": ("Monitored span / month", "监测时长 / 月"),
    "t_exit": ("t<sub>exit</sub> = U/|b<sub>1</sub>| / month", "t<sub>exit</sub> = U/|b<sub>1</sub>| / 月"),
    "t_exit_ceil": ("⌈t<sub>exit</sub>⌉ (eCerto) / month", "⌈t<sub>exit</sub>⌉（eCerto）/ 月"),
    "t_exit_ci95": ("t<sub>exit</sub> (95 % band) / month", "t<sub>exit</sub>（95 % 置信带）/ 月"),
    "exit_date": ("Date at t<sub>exit</sub>", "t<sub>exit</sub> 对应日期"),
    # --- characterization (Tables C1-C5; ISO Guide 35:2017 9; CIPM MRA-D-05)
    "lab": ("Laboratory", "实验室"),
    "x_lab": ("x<sub>j</sub>", "x<sub>j</sub>"),
    "lab_mean": ("x̄<sub>j</sub> (mean)", "平均值 x̄<sub>j</sub>"),
    "sd_lab": ("s<sub>j</sub>", "s<sub>j</sub>"),
    "u_x": ("u(x<sub>j</sub>)", "u(x<sub>j</sub>)"),
    "dof_lab": ("&nu;<sub>j</sub>", "&nu;<sub>j</sub>"),
    "include": ("In value", "参与定值"),
    "screened": ("Screened", "筛查"),
    "scheffe_05": ("Scheffé 5 %", "Scheffé 5 %"),
    "scheffe_01": ("Scheffé 1 %", "Scheffé 1 %"),
    "dixon_p": ("p (Dixon)", "狄克逊检验 p"),
    "grubbs_p": ("p (Grubbs)", "格拉布斯检验 p"),
    "grubbs2_p": ("p (double Grubbs)", "双格拉布斯检验 p"),
    "cochran_p": ("p (Cochran C)", "科克伦检验 p"),
    "mandel_h": ("Mandel h", "曼德尔 h"),
    "mandel_k": ("Mandel k", "曼德尔 k"),
    "x_ref": ("x<sub>char</sub>", "定值结果 x<sub>char</sub>"),
    "u_c": ("u<sub>char</sub>", "标准不确定度 u<sub>char</sub>"),
    "tau": ("&tau;", "实验室间标准偏差 &tau;"),
    "ci_low": ("95 % low", "95 % 下限"),
    "ci_high": ("95 % high", "95 % 上限"),
    "n_labs": ("p (labs)", "实验室数 p"),
    "u_method": ("u from", "u 的评定方式"),
    "chosen": ("Chosen", "采用"),
    "d": ("d<sub>j</sub>", "d<sub>j</sub>"),
    "U_d": ("U(d<sub>j</sub>)", "U(d<sub>j</sub>)"),
    "d_loo": ("d<sub>j</sub> (leave one out)", "d<sub>j</sub>（留一法）"),
    "U_d_loo": ("U(d<sub>j</sub>) (leave one out)", "U(d<sub>j</sub>)（留一法）"),
    "d_ij": ("x<sub>i</sub> − x<sub>j</sub>", "x<sub>i</sub> − x<sub>j</sub>"),
    "i2": ("I²", "I²"),
    "q_statistic": ("Q", "Q"),
    # --- uncertainty budget and certificate (Tables U1, U2, R1; GUM G.4.1)
    "component": ("Component", "分量"),
    "source": ("Source study", "来源"),
    "u": ("u", "标准不确定度 u"),
    "u_rel": (
        "u<sub>rel</sub> / % (relative to the certified value)",
        "相对标准不确定度 u<sub>rel</sub> / %（相对标准值）",
    ),
    "dof_source": ("Source of &nu;", "&nu; 的来源"),
    "share": ("Share of u<sub>CRM</sub>² / %", "贡献率 / %"),
    "certified_value": ("Certified value", "标准值"),
    "U": ("Expanded uncertainty U", "扩展不确定度 U"),
    "coverage_factor": ("Coverage factor k", "包含因子 k"),
    "check": ("Check", "检查项"),
    "subject": ("Subject", "对象"),
    "status": ("Status", "结论"),
    "quantity": ("Quantity", "量值"),
    "limit": ("Limit", "限值"),
    "remark": ("Remark", "说明"),
    # --- proficiency (Tables PT1-PT3; ISO 13528:2022)
    "item": ("Item", "样品"),
    "x_pt": ("x<sub>pt</sub>", "指定值 x<sub>pt</sub>"),
    "u_x_pt": ("u(x<sub>pt</sub>)", "u(x<sub>pt</sub>)"),
    "x_pt_from": ("x<sub>pt</sub> from", "指定值来源"),
    "sigma_pt_from": ("&sigma;<sub>pt</sub> from", "&sigma;<sub>pt</sub> 来源"),
    "u_x_pt_check": (
        "u(x<sub>pt</sub>) &le; 0.3&sigma;<sub>pt</sub>",
        "u(x<sub>pt</sub>) &le; 0.3&sigma;<sub>pt</sub>",
    ),
    "score_used": ("Score used", "评定所用统计量"),
    "n_participants": ("p (participants)", "参加者数 p"),
    "participant": ("Participant", "参加者代码"),
    "x_participant": ("x", "结果 x"),
    "u_participant": ("u", "标准不确定度 u"),
    "z": ("z", "z"),
    "z_prime": ("z′", "z′"),
    "zeta": ("&zeta;", "&zeta;"),
    "en": ("E<sub>n</sub>", "E<sub>n</sub>"),
    "class_zeta": ("Class (&zeta;)", "&zeta; 评定"),
    "class_en": ("Class (E<sub>n</sub>)", "E<sub>n</sub> 评定"),
    "class": ("Class", "评定结果"),
    "pt_quantity": ("Quantity", "统计量"),
    "expanded_limit": ("Expanded limit &radic;c", "扩展限值 &radic;c"),
    # --- verification (Tables V1, V2; ERM Application Note 1)
    "x_c": ("x<sub>c</sub>", "标准值 x<sub>c</sub>"),
    "U_c_k_c": ("U<sub>c</sub> (k<sub>c</sub>)", "U<sub>c</sub>（k<sub>c</sub>）"),
    "delta": ("&Delta;", "&Delta;"),
    "u_delta": ("u<sub>&Delta;</sub>", "u<sub>&Delta;</sub>"),
    "k_delta": ("k", "k"),
    "U_delta": ("k·u<sub>&Delta;</sub>", "k·u<sub>&Delta;</sub>"),
    "n_results_v": ("n (results)", "结果数"),
    "n_units_v": ("n (units)", "单元数"),
    "u_m_basis": ("u<sub>m</sub> from", "u<sub>m</sub> 来源"),
    "s_rep": ("s", "s"),
    "u_rep": ("s/&radic;n", "s/&radic;n"),
    "components": ("Other components", "其他不确定度分量"),
    # --- provenance (Tables P1-P4)
    "key": ("Key", "参数"),
    "value": ("Value", "取值"),
    "input": ("Input", "输入"),
    "file": ("File", "文件"),
    "sha256": ("SHA-256", "SHA-256"),
    "package": ("Package", "软件包"),
    "version": ("Version", "版本"),
    "setting": ("Setting", "设置"),
}

CHECK_LABELS = {
    # reviewer check id (rmwork.certificate.checks, entry): (English, Chinese)
    "u_bb_vs_u_char": (
        "u_bb / u_char ≤ 1/3 (homogeneity small against characterization)",
        "瓶间不均匀性 u_bb / u_char ≤ 1/3",
    ),
    "stability_share": ("(u_lts² + u_sts²) / u_CRM² (share of stability)", "稳定性分量占 u_CRM² 的比例"),
    "method_agreement": (
        "|x_CRM − x_m| ≤ k·√(u_CRM² + u_m²) (independent method)",
        "与独立方法的一致性 |x_CRM − x_m| ≤ k·√(u_CRM² + u_m²)",
    ),
    "U_rounded_not_smaller": ("printed U ≥ computed U", "修约后 U 不小于计算值"),
    "validity_supported": ("the stability data support the period of validity", "稳定性数据支持有效期"),
    "stability_fit": ("the straight line fits the stability data", "稳定性数据符合直线模型"),
    "study_ran": ("every study the lot names has run", "参数文件所列研究均已完成"),
    "transfer_unit": ("every transferred study has a unit", "传递的各项研究均有单位"),
    "homogeneity_estimable": ("within-unit spread can be estimated", "瓶内标准偏差可估计"),
    "bayes_diagnostics": (
        "MCMC diagnostics of values entering the certificate",
        "进入证书的量值的 MCMC 诊断",
    ),
    "characterized": ("a value could be assigned", "可赋值"),
    "certified_unit": ("the certified value has a unit", "标准值有单位"),
    "stability_covered": ("the long-term study includes the analyte", "长期稳定性研究包含该特性量"),
    "coverage_factor": ("k from ν_eff (GUM G.4.1)", "由有效自由度确定包含因子"),
}


def blocking_text(reason: str, lang: str = "en") -> str:
    """A withholding reason "check: detail" with the check's name in the report's language (the
    detail is shown as rmwork.certificate wrote it)."""
    check, _, detail = reason.partition(": ")
    names = CHECK_LABELS.get(check)
    return f"{names[1 if lang == 'zh' else 0]} — {detail}" if names and detail else reason


# which fields carry the analyte's unit: "value" (the unit), "value2" (its square), "per_month"
DIMENSION = {
    **dict.fromkeys(
        (
            "mean",
            "s_wb",
            "s_bb",
            "u_bb_star",
            "u_bb",
            "sigma_pt",
            "s_x",
            "s_w",
            "s_s",
            "limit_03_sigma_pt",
            "s_bb_anova",
            "sigma_bb_median",
            "sigma_bb_q95",
            "intercept",
            "se_intercept",
            "residual_sd",
            "study_mean",
            "u_lts",
            "u_sts",
            "x_m",
            "u_m",
            "d_mc",
            "U_d_mc",
            "U_limit",
            "x_lab",
            "lab_mean",
            "sd_lab",
            "u_x",
            "x_ref",
            "u_c",
            "tau",
            "ci_low",
            "ci_high",
            "d",
            "U_d",
            "d_loo",
            "U_d_loo",
            "d_ij",
            "u",
            "x_pt",
            "u_x_pt",
            "x_participant",
            "u_participant",
            "pt_quantity",
            "x_c",
            "delta",
            "u_delta",
            "U_delta",
            "s_rep",
            "u_rep",
        ),
        "value",
    ),
    **dict.fromkeys(("ms_between", "ms_within"), "value2"),
    **dict.fromkeys(("slope", "se_slope", "k_T", "se_k"), "per_month"),
}
_NO_UNIT = {"en": "[unit]", "zh": "[单位]"}


def label(name: str, lang: str = "en") -> str:
    """The HTML header of ``name`` in ``lang``; an unknown name is returned as given."""
    en, zh = LABELS.get(name, (name, name))
    return zh if lang == "zh" else en


def header(name: str, lang: str = "en", unit: str | None = None) -> str:
    """The header of ``name`` with its unit (ISO 80000-1: "quantity / unit"), when it has one.

    ``unit`` is the analyte's unit (user text: escaped here); ``""`` or ``None`` shows "[unit]":
    the data named none, or the table's unit column gives each row's unit.
    """
    base = label(name, lang)
    dim = DIMENSION.get(name)
    if dim is None:
        return base
    u = html.escape(unit) if unit else _NO_UNIT["zh" if lang == "zh" else "en"]
    if dim == "value2":
        return f"{base} / ({u})²"
    if dim == "per_month":
        return f"{base} / ({u}·{'月' if lang == 'zh' else 'month'}<sup>-1</sup>)"
    return f"{base} / {u}"


def table_units(units) -> str | None:
    """The one unit of a table's rows, or ``None`` when they differ (then a unit column is shown)."""
    units = list(units)
    return units[0] if units and len(set(units)) == 1 else None


def relabel(df, lang: str = "en", unit: str | None = None, keys=None):
    """``df`` with its columns renamed to their headers (``keys`` maps a column to its field)."""
    keys = keys or {}
    return df.rename(columns={c: header(keys.get(c, c), lang, unit) for c in df.columns})


def yes_no(flag, lang: str = "en"):
    """A boolean cell in the report's language (``None`` stays empty)."""
    if flag is None:
        return None
    return ("是" if flag else "否") if lang == "zh" else ("yes" if flag else "no")
