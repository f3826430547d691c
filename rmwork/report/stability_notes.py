"""Chinese text of the notes the stability functions write (they write English into results.json).

Terms from shared/zh/GLOSSARY.md (残差, 有效期, 运输稳定性, 长期稳定性不确定度 …); 失拟 (lack of fit),
游程 (runs) and 二次项 (quadratic term) are the usual statistical terms.  A note not listed is
shown as written.
"""

from __future__ import annotations

import re

_KIND_ZH = {"prediction": "预测", "confidence": "置信", "line": "直线", "tolerance": "容许"}
# Chinese text of the notes the stability functions write (English in results.json); a note
# not listed here is shown as written
_DIR_ZH = {"increasing": "上升", "decreasing": "下降", "increase": "上升", "decrease": "下降"}
_NOTES_ZH = [
    (re.compile(p), zh)
    for p, zh in [
        (
            r"^time = days since the first date \((.+)\) / ([\d.]+) \(months\)$",
            "时间 = 自首个日期（{0}）起的天数 / {1}（月）",
        ),
        (
            r"^column '(.+)' holds dates: converted to months since the first date at ([\d.]+) d/month$",
            "列“{0}”为日期：按每月 {1} 天换算为自首个日期起的月数",
        ),
        (
            r"^fitted to the (\d+) time-point means \(eCerto 'slope of means'\); lack-of-fit test not available$",
            "按 {0} 个时间点平均值拟合（eCerto 的“平均值斜率”）；无法进行失拟检验",
        ),
        (
            r"^no replicate results at any time point: lack-of-fit test not available$",
            "各时间点均无重复测量结果：无法进行失拟检验",
        ),
        (
            r"^the points lie exactly on a line: s\(b1\) = 0, the t-test is undefined$",
            "各点恰好位于一条直线上：s(b1) = 0，t 检验无定义",
        ),
        (
            r"^significant trend \(p = (\S+) < (\S+)\): .*$",
            "趋势显著（p = {0} < {1}）：u_lts = s(b1)·t_shelf 假定不对漂移进行修正；有效期宜取直线预测区间超出标准值 ± U 的时间",
        ),
        (r"^the mean is 0: relative uncertainties are undefined$", "平均值为 0：相对不确定度无定义"),
        (
            r"^the transport duration (\S+) exceeds the longest time studied \((\S+) months\): u_sts is extrapolated$",
            "运输时间 {0} 超过研究的最长时间（{1} 个月）：u_sts 为外推值",
        ),
        (
            r"^isochronous design: (\d+) reference results \((\S+) degC\) enter the fit at time 0$",
            "同步稳定性设计：{0} 个参比结果（{1} °C）作为时间 0 参与拟合",
        ),
        (
            r"^(\d+) of (\d+) results left out of the fit \(listed under excluded\)$",
            "{1} 个结果中有 {0} 个未参与拟合（见剔除列表）",
        ),
        (
            r"^(\d+) residual\(s\) exactly on the line left out of the runs test$",
            "{0} 个残差恰为 0，未计入游程检验",
        ),
        (
            r"^with (\d+) residuals above and (\d+) below the line the runs test cannot reach alpha = (\S+) "
            r"\(smallest possible p = (\S+)\)$",
            "残差 {0} 个高于直线、{1} 个低于直线，游程检验无法达到 α = {2}（最小可能 p = {3}）",
        ),
        (
            r"^the (prediction|confidence|line) band already lies outside the limits at t = (\S+)$",
            "{0}带在 t = {1} 时已超出限值",
        ),
        (
            r"^the band never reaches a limit: no shelf life from this criterion$",
            "区间始终未达到限值：该准则不给出有效期",
        ),
        (
            r"^shelf life (\S+) months lies beyond the last time studied \((\S+) months\): extrapolated$",
            "有效期 {0} 个月超出研究的最后时间（{1} 个月）：外推",
        ),
        (r"^t = (\S+) months, value (\S+): (.*)$", "t = {0} 月，数值 {1}：{2}"),
        (
            r"^(\d+) results after (\S+) months \(t = (.*)\): outside the fitting window$",
            "{1} 个月之后的 {0} 个结果（t = {2}）：在拟合时间范围之外",
        ),
        (
            r"^trend direction from the highest temperature \((\S+) degC\): (increasing|decreasing)$",
            "趋势方向按最高温度（{0} °C）确定：{1}",
        ),
        (
            r"^(\S+) degC excluded: no (increase|decrease) to take the logarithm of$",
            "{0} °C 被剔除：无可取对数的{1}",
        ),
        (
            r"^two temperatures: the Arrhenius line passes through both points; .*$",
            "仅两个温度：阿伦尼乌斯直线通过两点，无剩余标准差、标准误差及置信带",
        ),
        (
            r"^the storage temperature (\S+) degC lies outside the temperatures fitted \((\S+) to (\S+) degC\).*$",
            "贮存温度 {0} °C 超出拟合温度范围（{1} 至 {2} °C）：外推",
        ),
        (r"^initial value (\S+) = mean of the fitted intercepts$", "初始值 {0} = 拟合截距的平均值"),
        (
            r"^the limit (\S+) lies on the other side of the initial value: never reached$",
            "限值 {0} 位于初始值另一侧：不会达到",
        ),
        (
            r"^limit given without a storage temperature: no time to limit$",
            "给出了限值但未给出贮存温度：不计算达到限值的时间",
        ),
        (
            r"^fitted on time < (\S+) months: (\d+) of (\d+) results$",
            "仅拟合时间 < {0} 个月的结果：{2} 个中的 {1} 个",
        ),
        (r"^the limit (\S+) is not below c0 = (\S+): never reached$", "限值 {0} 不低于 c0 = {1}：不会达到"),
        (
            r"^time to limit (\S+) months lies beyond the longest time fitted \((\S+) months\)$",
            "达到限值的时间 {0} 个月超出拟合的最长时间（{1} 个月）",
        ),
        (
            r"^eCerto's table shows t_max \+ 1 months: it numbers the months 0 to (\d+) from 1$",
            "eCerto 表中显示 t_max + 1 个月：其对 0 至 {0} 月从 1 开始编号",
        ),
        (r"^no whole month meets the rule$", "没有满足该规则的整月数"),
        (
            r"^every month up to (\S+) meets the rule: t_max is the search limit$",
            "直至 {0} 个月的每个月均满足该规则：t_max 为搜索上限",
        ),
        (r"^fixed-U rule: s\(b1\) t <= (\S+) U with U = (\S+)$", "固定 U 规则：s(b1)·t ≤ {0} U，U = {1}"),
        (
            r"^slopes differ: the intercept test is shown but not used; .*$",
            "各批斜率不同：截距检验仅列出而不采用；有效期取最早超出限值的批次",
        ),
        (
            r"^the sampler failed its diagnostic gate: .*$",
            "采样器未通过诊断：贝叶斯 u_lts 仅供参考，不用于证书",
        ),
        (
            r"^reference: (\d+) results at (\S+) degC enter every fit at time 0$",
            "参比：{1} °C 下的 {0} 个结果作为时间 0 参与每个拟合",
        ),
        (
            r"^values divided by the reference mean (\S+): slopes are relative per month$",
            "数值除以参比平均值 {0}：斜率为每月相对值",
        ),
        (
            r"^(\d+) of (\d+) results differ from the certified value by more than U_d: investigate the stability$",
            "{1} 个结果中有 {0} 个与标准值之差超过 U_d：请核查稳定性",
        ),
    ]
]


def note_text(text: str, lang: str = "en") -> str:
    """A stability note in the report's language (the notes are written in English)."""
    if lang != "zh":
        return text
    for pattern, zh in _NOTES_ZH:
        m = pattern.match(text)
        if m:
            return zh.format(*(_KIND_ZH.get(g, _DIR_ZH.get(g, g)) for g in m.groups()))
    return text
