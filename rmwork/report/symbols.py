"""One map from field names to report labels (HTML and Chinese), used by every table."""

LABELS = {
    # field: (HTML label, zh label)
    "analyte": ("Analyte", "特性量"),
    "group": ("Group", "分组"),
    "unit_of_measure": ("Unit", "单位"),
    "n_units": ("p (units)", "单元数 p"),
    "n_results": ("N (results)", "结果数 N"),
    "mean": ("Mean of unit means", "单元平均值的平均值"),
    "ms_between": ("MS<sub>between</sub>", "组间均方 MS<sub>between</sub>"),
    "ms_within": ("MS<sub>within</sub>", "组内均方 MS<sub>within</sub>"),
    "dof_between": ("&nu;<sub>between</sub>", "组间自由度 &nu;<sub>1</sub>"),
    "dof_within": ("&nu;<sub>within</sub>", "组内自由度 &nu;<sub>2</sub>"),
    "f_statistic": ("F", "F"),
    "f_critical": ("F<sub>crit</sub>", "临界值 F<sub>crit</sub>"),
    "p_value": ("p", "p"),
    "n0": ("n<sub>0</sub>", "n<sub>0</sub>"),
    "s_wb": ("s<sub>wb</sub>", "s<sub>wb</sub>"),
    "s_bb": ("s<sub>bb</sub>", "瓶间标准偏差 s<sub>bb</sub>"),
    "u_bb_star": ("u*<sub>bb</sub>", "u*<sub>bb</sub>"),
    "u_bb": ("u<sub>bb</sub>", "瓶间不均匀性不确定度 u<sub>bb</sub>"),
    "s_bb_rel": ("s<sub>bb,rel</sub>", "s<sub>bb,rel</sub>"),
    "u_bb_star_rel": ("u*<sub>bb,rel</sub>", "u*<sub>bb,rel</sub>"),
    "u_bb_rel": ("u<sub>bb,rel</sub>", "u<sub>bb,rel</sub>"),
    "verdict": ("Verdict", "结论"),
    # relative values say relative to what, in percent (rmwork.report.numbers; issue 17)
    "u_bb_rel_hom": (
        "u<sub>bb,rel</sub> / % (relative to the mean of the homogeneity study)",
        "u<sub>bb,rel</sub> / %（相对均匀性研究平均值）",
    ),
}


def label(name: str, lang: str = "en") -> str:
    en, zh = LABELS.get(name, (name, name))
    return zh if lang == "zh" else en
