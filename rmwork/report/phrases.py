"""The report's sentence templates in both languages, and the Chinese text of the notes that rmwork's
studies write (in English, into results.json) and the report shows.

``TEXT[key] = (English, Chinese)``: ``str.format`` templates filled with numbers and names from
result fields (user text is escaped by the display layer, never formatted into markup).  ``NOTES``
maps each fixed note, remark and degrees-of-freedom source of the compute modules (homogeneity,
characterization, certificate, proficiency, verification, the DRMD writer) to its Chinese template;
:func:`note_text` also tries the stability notes (:mod:`rmwork.report.stability_notes`).  A note
not listed is shown as written (``tests/test_zh_complete.py`` finds it).  Terms from
``shared/zh/GLOSSARY.md`` (瓶间, 定值, 有效自由度, 包含因子, 标准值 …).

The withholding reasons of the certificate (``certified.blocking``, from
``rmwork.certificate.entry``) are not here: they get their Chinese text where they are written.
"""

from __future__ import annotations

import re

TEXT = {
    # key: (English, Chinese)
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "none": ("None", "无"),
    "text": ("text", "文本"),
    "number": ("number", "数值"),
    "p2": ("Table P2 — Input files", "表 P2 — 输入文件"),
    "p3": ("Table P3 — Seed, environment and sampler settings", "表 P3 — 随机种子、运行环境与采样器设置"),
    "p3_kind": ("Table P3 — Kind, seed and environment", "表 P3 — 类型、随机种子与运行环境"),
    "p4": ("Table P4 — Package versions", "表 P4 — 软件包版本"),
    "parameter file": ("parameter file", "参数文件"),
    "seed": ("seed", "随机种子"),
    "python": ("python", "Python 版本"),
    "platform": ("platform", "平台"),
    "git commit": ("git commit", "git 提交"),
    "sampler": ("sampler", "采样器"),
    "draws": ("draws", "抽样数"),
    "tune": ("tune", "调整步数"),
    "chains": ("chains", "链数"),
    "target_accept": ("target_accept", "目标接受率"),
    "started (UTC)": ("started (UTC)", "开始时间 (UTC)"),
    "kind": ("kind", "报告类型"),
    "proficiency": ("proficiency", "能力验证"),
    "verification": ("verification", "量值核查"),
    "certification": ("certification", "定值"),
    "n/a": ("n/a", "无"),
    "transport": ("{key} (transport)", "{key}（运输）"),
    "bayes_trend": (
        "{analyte}: Bayesian regression (sensitivity analysis, priors in results.json): posterior "
        "median slope {slope} per month, u_lts from the slope posterior {u}.",
        "{analyte}：贝叶斯回归（敏感性分析，先验分布见 results.json）斜率后验中位数 {slope} /月，"
        "由斜率后验求得的 u_lts = {u}。",
    ),
    "bayes_trend_done": (
        "{analyte}: Bayesian regression (sensitivity analysis) done; see results.json.",
        "{analyte}：贝叶斯回归（敏感性分析）已完成，见 results.json。",
    ),
    "isochronous": (
        "Table S4 — {a}: isochronous study, one regression per storage temperature against the "
        "reference {T:g} °C (ISO Guide 35:2017, clause 8)",
        "表 S4 — {a}：同步稳定性研究，各试验温度相对参比温度 {T:g} °C 分别回归（ISO Guide 35:2017 第 8 章）",
    ),
    # post-certification monitoring (rmwork.report.monitoring: the rule, eCerto's trend, Figure S1)
    "mon_points": ("monitoring results", "定值后监测结果"),
    "mon_points_no_u": ("monitoring results (no u)", "定值后监测结果（无 u）"),
    "mon_rule": (
        "Each monitoring result x_m is judged by ERM Application Note 1 (ISO Guide 35:2017, 8.10): "
        "|x_m − x_c| ≤ k·√(u_c² + u_m²), with x_c = {xc}{unit}, u_c = {uc}{unit}, k = {k} and "
        "u_m = {um}{unit} ({source}).",
        "每个监测结果 x_m 按 ERM Application Note 1（ISO Guide 35:2017, 8.10）判定："
        "|x_m − x_c| ≤ k·√(u_c² + u_m²)，其中 x_c = {xc}{unit}，u_c = {uc}{unit}，k = {k}，"
        "u_m = {um}{unit}（{source}）。",
    ),
    "mon_rule_interval": (
        "The monitoring results carry no standard uncertainty: as the lot declares ({rule}), each "
        "result x_m is compared with the certified value ± U only, x_c ± U = {xc} ± {U}{unit}. This is "
        "a weaker check than ERM Application Note 1 (|x_m − x_c| ≤ k·√(u_c² + u_m²)): it ignores the "
        "measurement's own uncertainty (ISO Guide 35:2017, 8.9 and 8.10).",
        "监测结果未给出标准不确定度：按参数文件的声明（{rule}），每个结果 x_m 仅与标准值 ± U 比较，"
        "x_c ± U = {xc} ± {U}{unit}。该检查弱于 ERM Application Note 1（|x_m − x_c| ≤ "
        "k·√(u_c² + u_m²)），忽略了测量本身的不确定度（ISO Guide 35:2017, 8.9 与 8.10）。",
    ),
    "mon_trend": (
        "eCerto's evaluation of the monitoring results (n = {n}): the line on time has slope b1 = {b1}"
        "{unit} per month (s(b1) = {sb1}{unit} per month, p = {p}). Started at the certified value, it "
        "leaves x_c ± U = {xc} ± {U}{unit} after t_exit = U/|b1| = {t} months from the first "
        "result{start}{when}; eCerto's report prints ⌈t_exit⌉ = {tc} months. Its 95 % confidence band "
        "leaves x_c ± U after {t95} months (eCerto's option 'use CI95'), the more cautious figure.",
        "eCerto 对监测结果的趋势评价（n = {n}）：监测结果对时间的回归直线斜率 b1 = {b1}{unit}/月"
        "（s(b1) = {sb1}{unit}/月，p = {p}）。自标准值起的该直线在首个结果{start}之后 t_exit = U/|b1| = "
        "{t} 个月{when}离开 x_c ± U = {xc} ± {U}{unit}；eCerto 报告取整为 ⌈t_exit⌉ = {tc} 个月。"
        "其 95 % 置信带在 {t95} 个月后离开 x_c ± U（eCerto 的 CI95 选项），为更保守的结果。",
    ),
    "mon_start": (" ({date})", "（{date}）"),
    "mon_when": (", on {date}", "（{date}）"),
    "mon_extrapolated": (
        "t_exit = {t} months lies beyond the monitoring data ({span} months): an extrapolation",
        "t_exit = {t} 个月超出监测数据的时间范围（{span} 个月）：属外推",
    ),
    "mon_source_column": ("the table's column u", "取自数据表的 u 列"),
    "mon_source_stated": (
        "stated in the lot as {param}: the monitoring method's standard uncertainty",
        "参数文件 {param} 给出的监测方法标准不确定度",
    ),
}


def text(key: str, lang: str = "en", **kw) -> str:
    """The template ``key`` in ``lang``, filled with ``kw``."""
    en, zh = TEXT[key]
    return (zh if lang == "zh" else en).format(**kw)


_N = r"(\S+)"  # a number as the compute module printed it
NOTES = [
    (re.compile(p), zh)
    for p, zh in [
        # reading the data files (rmwork.io, rmwork.workbook): names stay as the files spell them
        (r"^read as (\S+) \(named in the parameter file\)$", "按参数文件指定的编码 {0} 读取"),
        (
            r"^not UTF-8; read as (.+) \((\S+)\), the only plausible encoding$",
            "非 UTF-8 编码；按唯一合理的编码 {0}（{1}）读取",
        ),
        (
            r"^sheet '(.+)' is (?:hidden|very hidden) and was read because the parameter file names it$",
            "工作表“{0}”为隐藏工作表，因参数文件指定而读取",
        ),
        (
            r"^sheet '(.+)': (\d+) cells are formulas; the values Excel cached when the file was saved were used \((.*)\)$",
            "工作表“{0}”：{1} 个单元格为公式，采用 Excel 保存文件时缓存的值（{2}）",
        ),
        (r"^hidden sheets not read: (.+)$", "未读取的隐藏工作表：{0}"),
        (r"^other sheets not read: (.+)$", "未读取的其他工作表：{0}"),
        (
            r"^analytes not read \(not in (\S+)\.analytes\): (.+)$",
            "未读取的特性量（不在 {0}.analytes 中）：{1}",
        ),
        (
            r"^lab '(.+)' \(cell (\S+)\); sheet '(.+)', rows (\d+)-(\d+), replicate columns (\S+)-(\S+); "
            r"(\d+) empty replicate cells \(not results\)$",
            "实验室“{0}”（单元格 {1}）；工作表“{2}”，第 {3}-{4} 行，重复测量列 {5}-{6}；{7} 个空单元格（不是结果）",
        ),
        (
            r"^lab '(.+)' \(from the file name\); sheet '(.+)', rows (\d+)-(\d+), replicate columns (\S+)-(\S+); "
            r"(\d+) empty replicate cells \(not results\)$",
            "实验室“{0}”（取自文件名）；工作表“{1}”，第 {2}-{3} 行，重复测量列 {4}-{5}；{6} 个空单元格（不是结果）",
        ),
        # homogeneity (rmwork.homogeneity)
        (
            r"^MS_within = 0: the F-test and u\*_bb are undefined; .*$",
            "MS_within = 0：F 检验和 u*_bb 无定义，数据无重复性离散（请检查结果是否经修约或复制）",
        ),
        (
            r"^MS_between <= MS_within: s_bb = 0, u_bb = u\*_bb \(ISO Guide 35:2017, 7\.8\)$",
            "MS_between ≤ MS_within：s_bb = 0，u_bb = u*_bb（ISO Guide 35:2017, 7.8）",
        ),
        (
            r"^unbalanced design \(results per unit (\d+) to (\d+)\): n0 = (\S+) \(ISO Guide 35:2017, B\.3\)$",
            "非平衡设计（每个单元 {0} 至 {1} 个结果）：n0 = {2}（ISO Guide 35:2017, B.3）",
        ),
        (r"^mean of unit means is 0: relative values are undefined$", "单元平均值的平均值为 0：相对值无定义"),
        (
            r"^unbalanced design: m replaced by n0 = (\S+) \(ISO 13528:2022 assumes equal m\)$",
            "非平衡设计：以 n0 = {0} 代替 m（ISO 13528:2022 假定各单元结果数 m 相同）",
        ),
        # post-certification monitoring (rmwork.monitoring, rmwork.stability.monitoring)
        (
            r"^sheet '(.+)': monitoring of (.+?) \((.*)\) of (.+); certified value (\S+) ± (\S+) \((.*)\) ?(.*)$",
            "工作表“{0}”：{3} 的 {1}（{2}）监测结果；文件所列标准值 {4} ± {5}（{6}）{7}",
        ),
        (
            r"^weaker check: each result is compared with the certified value ± U only; .*$",
            "较弱的检查：每个结果仅与标准值 ± U 比较；监测结果未给出标准不确定度，其本身的不确定度被忽略"
            "（ERM Application Note 1 比较 |x_m − x_c| 与 k·√(u_c² + u_m²)）",
        ),
        (
            r"^(\d+) of (\d+) results lie outside the certified value ± U: investigate the stability$",
            "{1} 个结果中有 {0} 个超出标准值 ± U：请核查稳定性",
        ),
        (
            r"^(\d+) monitoring results: no trend \(a line on time needs at least 3\)$",
            "{0} 个监测结果：不作趋势评价（对时间的回归直线至少需要 3 个结果）",
        ),
        (r"^the monitoring results have no date or time: no trend$", "监测结果无日期或时间：不作趋势评价"),
        (r"^every monitoring result has the same date: no trend$", "所有监测结果日期相同：不作趋势评价"),
        (
            r"^the slope is exactly 0: the line never leaves the certified value ± U$",
            "斜率恰为 0：直线不会离开标准值 ± U",
        ),
        (
            r"^the confidence band of the line is wider than ± U already at the first result$",
            "直线的置信带在首个结果处已宽于 ± U",
        ),
        # transfer of a study's uncertainty to the certified value (rmwork.certificate.entry)
        (
            r"^(.+): transferred as u_rel × value = (\S+) × (\S+) \(study in (.+), certified value in (.+)\)$",
            "{0}：按相对不确定度传递，u_rel × 标准值 = {1} × {2}（研究以 {3} 计，标准值以 {4} 计）",
        ),
        (
            r"^(.+): transferred as u_rel × value = (\S+) × (\S+)$",
            "{0}：按相对不确定度传递，u_rel × 标准值 = {1} × {2}",
        ),
        # sources of ν (Table U1; rmwork.certificate.entry, rmwork.characterization.estimators)
        (
            r"^Satterthwaite for s_bb from MS_between \((\d+) dof\) and MS_within \((\d+) dof\) "
            r"\(ISO Guide 35:2017, 7\.7; GUM G\.4\)$",
            "s_bb 的自由度由 MS_between（自由度 {0}）与 MS_within（自由度 {1}）按 Satterthwaite 公式求得"
            "（ISO Guide 35:2017, 7.7；GUM G.4）",
        ),
        (
            r"^ν_w = N − p = (\d+) for u\*_bb \(ISO Guide 35:2017, 7\.8\)$",
            "u*_bb 的自由度 ν_w = N − p = {0}（ISO Guide 35:2017, 7.8）",
        ),
        (
            r"^n − 2 = (\d+) of the regression of the long-term stability study \(ISO Guide 35:2017, 8\.7\.3\)$",
            "n − 2 = {0}，长期稳定性研究回归的自由度（ISO Guide 35:2017, 8.7.3）",
        ),
        (
            r"^n − 2 = (\d+) of the regression of the transport stability study \(ISO Guide 35:2017, 8\.7\.3\)$",
            "n − 2 = {0}，运输稳定性研究回归的自由度（ISO Guide 35:2017, 8.7.3）",
        ),
        (r"^(.+): regression dof not given: ν = ∞$", "{0}：未给出回归自由度，ν = ∞"),
        (
            r"^ν = p − 1 = (\d+): mean of (\d+) laboratory means, u = s/√p \(ISO Guide 35:2017, 9\.5\.2\)$",
            "ν = p − 1 = {0}：{1} 个实验室平均值的算术平均值，u = s/√p（ISO Guide 35:2017, 9.5.2）",
        ),
        (
            r"^ν = p − 1 = (\d+): Knapp–Hartung with t on p − 1 laboratories; variance factor "
            r"q = (\S+) < 1, truncated at 1: u is the plain \(Σw\)\^−1/2 \(Röver, Knapp & Friede 2015\)$",
            "ν = p − 1 = {0}：Knapp–Hartung 方法，t 分布自由度 p − 1；方差因子 q = {1} < 1，截断于 1，"
            "u 取常规 (Σw)^−1/2（Röver, Knapp & Friede 2015）",
        ),
        (
            r"^ν = p − 1 = (\d+): Knapp–Hartung with t on p − 1 laboratories; variance factor "
            r"q = (\S+) ≥ 1: u = √q·\(Σw\)\^−1/2 \(Röver, Knapp & Friede 2015\)$",
            "ν = p − 1 = {0}：Knapp–Hartung 方法，t 分布自由度 p − 1；方差因子 q = {1} ≥ 1，"
            "u = √q·(Σw)^−1/2（Röver, Knapp & Friede 2015）",
        ),
        (
            r"^ν = p − 1 = (\d+): Knapp–Hartung with t on p − 1 laboratories, variance factor "
            r"q = (\S+) not truncated \(the interval is narrower than the plain one\)$",
            "ν = p − 1 = {0}：Knapp–Hartung 方法，t 分布自由度 p − 1，方差因子 q = {1}，未截断（包含区间窄于常规区间）",
        ),
        (
            r"^ν = p − 1 = (\d+): Knapp–Hartung with t on p − 1 laboratories, variance factor "
            r"q = (\S+) not truncated$",
            "ν = p − 1 = {0}：Knapp–Hartung 方法，t 分布自由度 p − 1，方差因子 q = {1}，未截断",
        ),
        (
            r"^ν_eff = (\S+): Welch–Satterthwaite from the laboratories' ν_j \(GUM G\.4\.1\); "
            r"labs without ν_j count as ν_j = ∞$",
            "有效自由度 ν_eff = {0}：由各实验室自由度 ν_j 按 Welch–Satterthwaite 公式求得（GUM G.4.1）；"
            "未给出 ν_j 的实验室按 ν_j = ∞ 计",
        ),
        (
            r"^ν = ∞: u = \(Σ 1/u_j²\)\^−1/2 rests on the laboratories' stated uncertainties, .*$",
            "ν = ∞：u = (Σ 1/u_j²)^−1/2 仅依据各实验室给出的不确定度，均无自由度（ISO Guide 35:2017, 9.5.3）",
        ),
        (
            r"^no ν: u and the symmetric 95 % interval from NICOB's parametric bootstrap "
            r"\((\d+) replicates\); k = half-width/u$",
            "无自由度：u 与对称 95 % 区间由 NICOB 参数自助法（{0} 次）求得；k = 半宽/u",
        ),
        (
            r"^no ν: u and the 95 % interval from the 2\.5 % and 97\.5 % quantiles of the linear pool "
            r"\((\d+) draws\), as NICOB reports them; k = half-width/u$",
            "无自由度：u 与 95 % 区间由线性意见池的 2.5 % 与 97.5 % 分位数求得（{0} 次抽样）；k = 半宽/u",
        ),
        (
            r"^no ν: k and U from the posterior 95 % interval of μ \(equal-tailed\), as NICOB reports "
            r"them; k = half-width/u$",
            "无自由度：k 与 U 由 μ 的后验 95 % 区间（等尾）求得，与 NICOB 报告方式相同；k = 半宽/u",
        ),
        (
            r"^ν = ∞: normal interval with u = \(Σw\)\^−1/2 \(the uncertainty of τ is not included\)$",
            "ν = ∞：正态区间，u = (Σw)^−1/2（未计入 τ 的不确定度）",
        ),
        (
            r"^ν = (\S+), the degrees of freedom for which t_0\.975\(ν\) equals the k = (\S+) of the "
            r"(\S+) 95 % interval \((.*)\)$",
            "ν = {0}：使 t_0.975(ν) 等于 {2} 95 % 区间的 k = {1} 的自由度（{3}）",
        ),
        (r"^not stated by the estimator \((.*)\): ν = ∞$", "定值方法（{0}）未给出自由度：ν = ∞"),
        (r"^characterization result \((.*)\)$", "定值结果（{0}）"),
        (r"^Type B or unknown: ν = ∞$", "B 类评定或未知：ν = ∞"),
        (r"^given$", "给定"),
        # reviewer checks' remarks and clauses (rmwork.certificate.checks, entry)
        (r"^u_bb or u_char missing$", "缺少 u_bb 或 u_char"),
        (r"^no stability component$", "无稳定性分量"),
        (
            r"^rmwork convention \(cf\. ISO 13528:2022, 0\.3 σ_pt\)$",
            "rmwork 约定（参照 ISO 13528:2022, 0.3 σ_pt）",
        ),
        (r"^rmwork convention \(ISO Guide 35:2017, clause 8\)$", "rmwork 约定（ISO Guide 35:2017 第 8 章）"),
        (r"^rmwork convention$", "rmwork 约定"),
        (r"^ISO Guide 35:2017, clause 8$", "ISO Guide 35:2017 第 8 章"),
        (r"^ISO Guide 35:2017, 8 and B\.3$", "ISO Guide 35:2017 第 8 章及 B.3"),
        (
            r"^ISO Guide 35:2017, 8\.7\.3 \(lack of fit, curvature, residuals in time order\)$",
            "ISO Guide 35:2017, 8.7.3（失拟检验、二次项检验、按时间顺序的残差）",
        ),
        (r"^long-term$", "长期稳定性"),
        (r"^transport$", "运输稳定性"),
        (r"^validity period \(months\)$", "有效期（月）"),
        (r"^\|x_CRM − x_m\| ≤ k sqrt\(u_CRM² \+ u_m²\)$", "|x_CRM − x_m| ≤ k·√(u_CRM² + u_m²)"),
        # certificate notes (budget, coverage, rounding, validity)
        (r"^(\S+) not given: left out of the budget$", "未给出 {0}：不计入不确定度评定"),
        (
            r"^dof of u_char taken from the characterization result: (\S+)$",
            "u_char 的自由度取自定值结果：{0}",
        ),
        (
            r"^certified value is 0: relative uncertainties undefined \(nan\)$",
            "标准值为 0：相对不确定度无定义",
        ),
        (
            r"^dof_eff infinite: written as null in results.json$",
            "有效自由度为无穷大：results.json 中记为空值",
        ),
        (
            r"^k fixed at (\S+) by the user: coverage probability approximately (\S+)$",
            "包含因子由用户指定为 k = {0}：包含概率约为 {1}",
        ),
        (r"^ν_eff infinite: k from the normal distribution$", "有效自由度为无穷大：k 取自正态分布"),
        (
            r"^ν_eff = (\S+) truncated to (\S+) \(GUM G\.4\.1\)$",
            "有效自由度 ν_eff = {0} 截尾取 {1}（GUM G.4.1）",
        ),
        (
            r"^rounding U up carried into a new leading digit; one decimal fewer kept$",
            "U 向上修约后首位数字进位，少保留一位小数",
        ),
        (r"^not rounded: full precision shown$", "未修约：显示全部有效数字"),
        (r"^shelf life (\S+) months truncated to (\d+) whole months$", "有效期 {0} 个月取整为 {1} 个整月"),
        # the DRMD writer (rmwork.workbook)
        (
            r"^certificate\.drmd\.xml written and validated against the DRMD v0\.3\.0 schema \(DRAFT: approval pending\)\.$",
            "已写出 certificate.drmd.xml，并按 DRMD v0.3.0 模式验证（草稿：待批准）。",
        ),
        (
            r"^certificate\.drmd\.xml written and validated against the DRMD v0\.3\.0 schema\.$",
            "已写出 certificate.drmd.xml，并按 DRMD v0.3.0 模式验证。",
        ),
        (
            r"^DRMD validated against the DRMD v0\.3\.0 schema \(not written: no output folder\)\.$",
            "DRMD 已按 DRMD v0.3.0 模式验证（未写出：无输出目录）。",
        ),
        (r"^DRMD not written: no analyte is certified\.$", "未写出 DRMD：没有已认定的特性量。"),
        (r"^DRMD not written: set (.+) in the parameter file\.$", "未写出 DRMD：请在参数文件中设置 {0}。"),
        # proficiency (rmwork.proficiency)
        (
            r"^c = x_pt = (\S+) as a mass fraction \((.+) x (\S+)\)$",
            "c = x_pt = {0}（以质量分数计，{1} × {2}）",
        ),
        (r"^no k reported: U = 2u$", "未报告 k：U = 2u"),
        (
            r"^u\(x_pt\) = s/sqrt\(p\) of the expert laboratories' results \(their reported uncertainties are not combined\)$",
            "u(x_pt) = 专家实验室结果的 s/√p（未合成其报告的不确定度）",
        ),
        (
            r"^u\(x_pt\) = (\S+) > 0\.3 sigma_pt = (\S+): performance is judged on z' \(ISO 13528:2022, 9\.2\.1 and 9\.5\)$",
            "u(x_pt) = {0} > 0.3σ_pt = {1}：按 z′ 评定能力（ISO 13528:2022, 9.2.1 与 9.5）",
        ),
        # verification (rmwork.verification, rmwork.comparison)
        (
            r"^x_m = mean of (\d+) unit means; s from the unit means$",
            "x_m = {0} 个单元平均值的平均值；s 由单元平均值求得",
        ),
        (r"^u_m as stated by the laboratory for its mean result$", "u_m 为实验室对其平均结果给出的不确定度"),
        (
            r"^no other uncertainty components named: u_m is the repeatability of the mean only$",
            "未给出其他不确定度分量：u_m 仅为平均值的重复性",
        ),
        (r"^certified values typed into the parameter file$", "标准值录入于参数文件"),
        (
            r"^certified values read from the DRMD \(validated against drmd\.xsd v0\.3\.0\)$",
            "标准值读自 DRMD（已按 drmd.xsd v0.3.0 验证）",
        ),
        (
            r"^certified values as printed on the certificate of lot (\S+) \(rounded value and U, and k\); "
            r"the report folder passed rmwork verify$",
            "标准值取自批次 {0} 证书所印数值（修约后的标准值、U 与 k）；报告目录已通过 rmwork verify 校验",
        ),
    ]
]


def note_text(text: str, lang: str = "en") -> str:
    """A note, remark or ν source of rmwork's studies in the report's language (written in English)."""
    if lang != "zh":
        return text
    for pattern, zh in NOTES:
        m = pattern.match(text)
        if m:
            return zh.format(*m.groups())
    from .stability_notes import note_text as stability_note

    return stability_note(text, lang)
