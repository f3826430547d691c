"""Why an analyte is withheld or a check asks for attention, in English and Chinese from one table
(ISO 17034:2016, 7.13: the certificate states only what the studies support; Chinese terms from
``shared/zh/GLOSSARY.md``: 定值, 均匀性, 长期稳定性, 有效期, 有效自由度, 包含因子, 标准不确定度).

Every reason a check gives is made from a template of :data:`REASONS`, which holds the English
and the Chinese text side by side with the same fields, so that the two cannot drift apart.
:func:`reason` renders both at once and returns a :class:`Reason`: a ``str`` whose value is the
English text (what ``results.json`` ``certified.blocking`` and the command line keep) and whose
``zh`` attribute is the Chinese text (what a ``language: zh`` report shows).  A field may itself
be a :class:`Reason` (rendered in each language) or a list (joined with ", " or "、").
"""

from __future__ import annotations

from collections.abc import Iterable

# key: (English, 中文).  Numbers are formatted in the template, so both texts print the same digits.
REASONS: dict[str, tuple[str, str]] = {
    # -- the blocking line: the check's id, then why (the report shows the check's label) ---------
    "line": ("{check}: {detail}", "{check}: {detail}"),
    "exceeds": ("{quantity:.4g} > {limit:.4g}", "{quantity:.4g} > {limit:.4g}"),
    # -- characterized: a value could be assigned (ISO Guide 35:2017, 9.5) ---------------------
    "characterized.none": (
        "no characterization result: the characterization data hold no results for this analyte",
        "无定值结果：定值数据中没有该特性量的结果",
    ),
    "characterized.not": ("not characterized", "未能定值"),
    "characterized.one_lab": (
        "analyte '{analyte}': only laboratory '{lab}' reports results; a consensus value needs at "
        "least 2 laboratories (ISO Guide 35:2017, 9.5)",
        "特性量 {analyte}：仅实验室 {lab} 报告结果，定值至少需要 2 个实验室（ISO Guide 35:2017, 9.5）",
    ),
    "characterized.all_excluded": (
        "analyte '{analyte}': every laboratory is excluded ({why}); no result is left for the value",
        "特性量 {analyte}：所有实验室均被剔除（{why}），没有可用于定值的结果",
    ),
    "characterized.excluded_lab": ("{lab}: {why}", "{lab}：{why}"),
    "characterized.one_left": (
        "analyte '{analyte}': only laboratory '{lab}' is left after the exclusions; a consensus "
        "value needs at least 2 laboratories (ISO Guide 35:2017, 9.5)",
        "特性量 {analyte}：剔除后仅剩实验室 {lab}，定值至少需要 2 个实验室（ISO Guide 35:2017, 9.5）",
    ),
    "characterized.zero_u": (
        "analyte '{analyte}': laboratory '{lab}' has u = 0 ({what}); {method} and the consistency "
        "checks cannot weigh it. Exclude the lab with its reason (characterization.exclude) or give "
        "its standard uncertainty",
        "特性量 {analyte}：实验室 {lab} 的标准不确定度 u = 0（{what}），{method} 及一致性检验无法对其加权；"
        "请在 characterization.exclude 中剔除该实验室并说明理由，或给出其标准不确定度",
    ),
    "zero_u.replicates": ("identical replicates", "重复测量结果完全相同"),
    "zero_u.table": ("u = 0 in the table", "数据表中 u = 0"),
    # -- certified_unit: the certified value of a listed analyte has a unit -------------------
    "certified_unit.none": (
        "the certified value has no unit: the lot's entry analytes.{analyte} gives none and neither do "
        "the characterization data; set analytes.{analyte}.unit",
        "标准值没有单位：参数文件 analytes.{analyte} 未给出单位，定值数据中也没有；请设置 analytes.{analyte}.unit",
    ),
    # -- coverage_factor: k from ν_eff (GUM G.4.1) --------------------------------------------
    "coverage_factor.dof_below_1": (
        "ν_eff = {dof_eff:.3g} < 1 (Welch–Satterthwaite, GUM G.4.1), so k cannot be taken from the t "
        "distribution; measure more units or replicates, or set certificate.dof_rule: exact, or "
        "certificate.k: 2 by convention",
        "有效自由度 ν_eff = {dof_eff:.3g} < 1（Welch–Satterthwaite 公式，GUM G.4.1），无法由 t 分布确定包含因子 k；"
        "请增加单元数或重复测量次数，或设置 certificate.dof_rule: exact，或按惯例设置 certificate.k: 2",
    ),
    # -- study_ran: every study the lot names ran -----------------------------------------------
    "study_ran.missing": (
        "the lot names {studies} but it did not run",
        "参数文件列出了{studies}，但该研究未运行",
    ),
    "study.homogeneity": ("homogeneity", "均匀性研究"),
    "study.stability": ("stability", "稳定性研究"),
    "study.characterization": ("characterization", "定值研究"),
    "study.long_term": ("long-term", "长期稳定性"),
    "study.transport": ("transport", "运输稳定性"),
    # -- transfer_unit: every transferred study has a unit (ISO Guide 35:2017, 7.10 and 8.7) -----
    "transfer_unit.no_unit": (
        "{what}: the study's values have no unit (set the lot's analyte unit, the data column "
        "unit_of_measure or the study's unit_of_measure; 'relative' and 'a.u.' are allowed)",
        "{what}：该研究的数据没有单位（请在参数文件的 analytes 中给出特性量的单位，或在数据中给出 "
        "unit_of_measure 列，或设置该研究的 unit_of_measure；可用 relative 或 a.u.）",
    ),
    "transfer.u_bb": ("u_bb ({group})", "u_bb（{group}）"),
    "transfer.u_lts": ("u_lts", "u_lts"),
    "transfer.u_sts": ("u_sts", "u_sts"),
    # -- bayes_diagnostics: MCMC diagnostics of a value on the certificate ----------------------
    "bayes_diagnostics.failed": (
        "MCMC diagnostics failed for {what}, which enters the certificate",
        "{what}的 MCMC 诊断未通过，而该结果进入证书",
    ),
    "bayes.characterization": ("the characterization ({method})", "定值结果（{method}）"),
    # -- homogeneity_estimable (ISO Guide 35:2017, 7.7) -------------------------------------------
    "homogeneity_estimable.ms_within_0": (
        "every result of a unit is identical (MS_within = 0): the within-unit spread cannot be "
        "estimated, so u_bb is unknown (ISO Guide 35:2017, 7.7)",
        "每个单元内的结果完全相同（组内均方 MS_within = 0）：无法估计瓶内标准偏差，"
        "因此瓶间不均匀性引入的不确定度 u_bb 未知（ISO Guide 35:2017, 7.7）",
    ),
    # -- stability_fit: the straight line fits (ISO Guide 35:2017, 8.7.3) -------------------------
    "stability_fit.finding": ("{study} study: {finding}", "{study}研究：{finding}"),
    "stability_fit.does_not_fit": ("the straight line does not fit", "直线模型与数据不符"),
    # -- validity_supported (ISO Guide 35:2017, 8 and B.3) ----------------------------------------
    "validity.not_given": (
        "no validity period or shelf life in the parameter file",
        "参数文件未给出有效期",
    ),
    "validity.shortened": (
        "shortened to {months} months, which the stability data support ({basis})",
        "有效期缩短为稳定性数据所支持的 {months} 个月（{basis}）",
    ),
    "validity.not_supported": (
        "the stability data support {supported:.3g} months only, {requested:g} were requested ({basis})",
        "稳定性数据仅支持 {supported:.3g} 个月，申请的有效期为 {requested:g} 个月（{basis}）",
    ),
    "validity.basis.prediction": (
        "prediction band of the significant trend stays within certified value ± U",
        "显著趋势的预测区间保持在标准值 ± U 之内",
    ),
    "validity.basis.u_lts": (
        "u_lts(t) stays below U/3 (eCerto's rule)",
        "长期稳定性不确定度 u_lts(t) 不超过 U/3（eCerto 的准则）",
    ),
    # -- stability_covered (ISO Guide 35:2017, clause 8) -----------------------------------------
    "stability_covered.no_data": (
        "the long-term stability study has no data for {analyte}: no study of this analyte supports "
        "the period of validity ({months:g} months)",
        "长期稳定性研究没有 {analyte} 的数据：该特性量的有效期（{months:g} 个月）没有稳定性研究支持",
    ),
    "stability_covered.none_supports": (
        "{reason}, and no analyte of the long-term study supports it ({shown})",
        "{reason}；长期稳定性研究中的特性量也均不支持该有效期（{shown}）",
    ),
    "months_of": ("{analyte}: {months:.3g} months", "{analyte}：{months:.3g} 个月"),
    "subject.validity": ("validity period (months)", "有效期（月）"),
    # -- reviewer checks that could not be evaluated (rmwork.certificate.checks) --------------
    "checks.u_missing": ("u_bb or u_char missing", "缺少 u_bb 或 u_char"),
    "checks.no_stability": ("no stability component", "无稳定性不确定度分量"),
}
LANGS = ("en", "zh")


class Reason(str):
    """A reason as English text (the ``str`` value) with its Chinese text in ``zh`` (see :data:`REASONS`)."""

    key: str
    zh: str

    def __new__(cls, en: str, zh: str | None = None, key: str = "") -> Reason:
        obj = super().__new__(cls, en)
        obj.zh = en if zh is None else zh
        obj.key = key
        return obj

    def text(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else str(self)


def _field(v, lang: str):
    if isinstance(v, Reason):
        return v.text(lang)
    if isinstance(v, (list, tuple)):
        return ("、" if lang == "zh" else ", ").join(str(_field(x, lang)) for x in v)
    return v


def reason(key: str, **fields) -> Reason:
    """The reason ``key`` of :data:`REASONS` with its fields filled in, in English and Chinese."""
    en, zh = REASONS[key]
    return Reason(
        en.format(**{k: _field(v, "en") for k, v in fields.items()}),
        zh.format(**{k: _field(v, "zh") for k, v in fields.items()}),
        key,
    )


def given(en: str, zh: str) -> Reason:
    """A reason whose two texts another module wrote already (e.g. a stability finding and finding_zh)."""
    return Reason(en, zh, "given")


def join(parts: Iterable[str], en: str = "; ", zh: str = "；") -> Reason:
    """Several reasons as one (a plain ``str`` part stands for itself in both languages)."""
    parts = list(parts)
    return Reason(en.join(map(str, parts)), zh.join(text(p, "zh") for p in parts), "join")


def text(r, lang: str = "en") -> str:
    """``r`` in ``lang``: a :class:`Reason`'s own text, any other value as it is."""
    return r.text(lang) if isinstance(r, Reason) else str(r)
