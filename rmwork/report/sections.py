"""Report sections assembled from the study report modules (display only; nothing is computed here
except what the workbook already holds)."""

from __future__ import annotations

from .display import HTML, Ref, figure, figure_ref, heading, join, later, note, paragraph, table, warning


def _display(*objs):
    from IPython.display import display

    display(*objs)


def show_stability(wb, stab: dict):
    from . import stability as rs

    lang = wb.language
    long_term = {a: e["long_term"] for a, e in stab.items() if "long_term" in e}
    transport = {a: e["transport"] for a, e in stab.items() if "transport" in e}
    frames = {a: e["frame"] for a, e in stab.items() if "frame" in e}
    rs.show(long_term, frames, transport=transport or None, lang=lang)
    for a, e in stab.items():
        if "bayes" in e or wb.pending("stability", a):
            later(
                wb, lambda e=e: _bayes_trend_block(e.get("bayes"), lang), pending=wb.pending("stability", a)
            )
        if "isochronous" in e:
            iso = e["isochronous"]
            frame = iso.to_frame()[["temperature", "n_points", "slope", "se_slope", "p_value", "u_lts"]]
            _display(
                table(
                    frame,
                    f"Table S4 — {a}: isochronous study, one regression per storage "
                    f"temperature against the reference {iso.reference_temperature:g} °C "
                    "(ISO Guide 35:2017, clause 8)",
                    labels=False,
                    ref=Ref("S4", a),
                )
            )
            for n in iso.notes:
                _display(note(n))
        if "accelerated" in e:
            r = e["accelerated"]
            _display(
                heading(
                    f"{a} — accelerated study (Arrhenius)"
                    if lang == "en"
                    else f"{a} — 加速稳定性（Arrhenius）",
                    4,
                )
            )
            _display(rs.table_s3(r, lang))
            for n in r.notes:
                _display(warning(n) if "extrapolat" in n.lower() else note(n))
            fig = rs.figure_s3(e.get("accelerated_frame"), r, lang=lang)
            _display(figure(fig, ref=figure_ref("S3", a), lang=lang))


def _bayes_trend_block(b, lang):
    if b is None:
        return None
    diag = getattr(b, "diagnostics", None)
    warnings_ = [warning(m) for m in diag.messages] if diag is not None and not diag.passed else []
    if diag is None and not getattr(b, "diagnostics_passed", True):
        warnings_ = [warning(m) for m in getattr(b, "diagnostics_messages", ())]
    return join(paragraph(_bayes_trend_text(b, lang)), *warnings_)


def _bayes_trend_text(b, lang):
    d = b.to_dict()
    slope = d.get("slope_median", d.get("slope_mean"))
    u = d.get("u_lts")
    if lang == "zh":
        return (
            f"{b.analyte}：贝叶斯回归（敏感性分析）斜率后验中位数 {slope:.4g}，u_lts（后验）= {u:.4g}。"
            if slope is not None and u is not None
            else f"{b.analyte}：贝叶斯回归（敏感性分析）已完成。"
        )
    if slope is not None and u is not None:
        return (
            f"{b.analyte}: Bayesian regression (sensitivity analysis, priors in results.json): "
            f"posterior median slope {slope:.4g} per month, u_lts from the slope posterior {u:.4g}."
        )
    return f"{b.analyte}: Bayesian regression (sensitivity analysis) done; see results.json."


def show_characterization(wb, char: dict):
    from . import characterization as rc

    _display(*rc.section(char, wb.language))


def show_certificate(wb, certs: dict, output_dir=""):
    from . import certificate as rcert
    from . import stability as rs

    lang = wb.language
    if not certs:
        _display(
            note(
                "No analyte is characterized: no certified values."
                if lang == "en"
                else "无定值结果，不给出标准值。"
            )
        )
        return
    withheld = rcert.withheld_block(certs, lang=lang)
    if withheld is not None:
        _display(withheld)
    for a, e in certs.items():
        _display(heading(a, 3))
        if e.get("budget") is not None:
            _display(rcert.table_u1(e["budget"], lang=lang, analyte=a))
        if e.get("checks") is None:
            continue
        for n in e.get("notes", ()):
            _display(note(n))
        _display(figure(rcert.figure_u1(e["budget"], lang=lang), ref=figure_ref("U1", a), lang=lang))
        _display(rcert.checks_table(e["checks"], lang=lang))
        if "monitoring" in e:
            m = e["monitoring"]
            _display(
                table(
                    m.to_frame(),
                    f"Table S5 — {a}: post-certification monitoring, "
                    f"|x_m − x_c| ≤ k·sqrt(u_c² + u_m²), k = {m.k:.3g} "
                    "(ERM Application Note 1)",
                    labels=False,
                    ref=Ref("S5", a),
                )
            )
        sl = e.get("shelf_life")
        stab = (wb.results.get("stability") or {}).get(a, {})
        if sl is not None and "long_term" in stab:
            pred = sl if type(sl).__name__ == "ShelfLifePredictionResult" else None
            sugg = sl if pred is None else None
            _display(
                paragraph(rs.stability_statement(stab["long_term"], lang, prediction=pred, suggestion=sugg))
            )
            cv = e["certified"]
            fig = rs.figure_s1(
                stab.get("frame"),
                stab["long_term"],
                certified_value=cv.value,
                U=cv.U,
                prediction=pred,
                lang=lang,
            )
            _add_monitoring_points(fig, wb, a, stab.get("frame"))
            # the trend against the certified value ± U: the certificate's own figure (not S1 again)
            _display(figure(fig, ref=figure_ref("U2", a), lang=lang))
    certs = {a: e for a, e in certs.items() if e.is_certified}
    if not certs:
        _display(
            warning(
                "No analyte is certified: no certificate page."
                if lang == "en"
                else "没有可认定的特性量：不出具证书页。"
            )
        )
        _display(note(wb.write_drmd(output_dir)))
        return
    _display(
        rcert.table_u2(
            [e["certified"] for e in certs.values()],
            lang=lang,
            analyte_names=wb.p.certificate.analyte_names or None,
        )
    )
    meta = wb.metadata()
    page = rcert.certificate_page(
        [e["certified"] for e in certs.values()],
        meta,
        lang=lang,
        checks=[e["checks"] for e in certs.values()],
        analyte_names=wb.p.certificate.analyte_names or None,
        draft=bool(meta.missing()),
        approval_pending=wb.approval_pending(),
    )
    _display(HTML(page))
    _display(note(wb.write_drmd(output_dir)))


def _add_monitoring_points(fig, wb, analyte: str, frame):
    """Post-certification monitoring results on the trend figure (time from the study's first date)."""
    mon = wb.data.get("stability.monitoring")
    if mon is None or frame is None or not (mon["analyte"] == analyte).any():
        return
    g = mon[mon["analyte"] == analyte]
    if "time" in g.columns:
        t = g["time"].to_numpy(float)
    elif "date" in g.columns and "date" in frame.columns:
        from ..stability import months_from_dates

        t = months_from_dates(g["date"], origin=frame["date"].min())
    else:
        return
    ax = fig.axes[0]
    ax.errorbar(
        t, g["value"], yerr=2 * g["u"], fmt="s", color="#aa3377", ms=5, capsize=3, label="monitoring (± 2u)"
    )
    ax.legend(fontsize=7, loc="best")
