"""Report sections assembled from the study report modules (display only; nothing is computed here
except what the workbook already holds)."""

from __future__ import annotations

import re

from .display import HTML, figure, figure_ref, heading, join, later, note, paragraph, warning
from .phrases import note_text, text


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
            _display(rs.table_s4(iso, lang))
            for n in iso.notes:
                _display(note(note_text(n, lang)))
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
                _display(
                    warning(note_text(n, lang)) if "extrapolat" in n.lower() else note(note_text(n, lang))
                )
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
    from . import numbers as N

    d = b.to_dict()
    slope = d.get("slope_median", d.get("slope_mean"))
    u = d.get("u_lts")
    # the posterior slope to the place of its posterior SD; u_lts (posterior) to 2 digits
    if slope is not None and u is not None:
        slope_t = N.value(slope, d.get("slope_sd")).text()
        return text("bayes_trend", lang, analyte=b.analyte, slope=slope_t, u=N.uncertainty(u).text())
    return text("bayes_trend_done", lang, analyte=b.analyte)


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
            _display(rcert.table_u1(e["budget"], lang=lang, analyte=a, unit=_unit(e)))
        if e.get("checks") is None:
            continue
        for n in e.get("notes", ()):
            _display(note(_transfer_note(n, a, e.get("budget"), lang)))
        _display(figure(rcert.figure_u1(e["budget"], lang=lang), ref=figure_ref("U1", a), lang=lang))
        _display(rcert.checks_table(e["checks"], lang=lang))
        if "monitoring" in e:
            from . import monitoring as rmon

            # the rule the lot chose, Table S5, and eCerto's trend (Table S7, Figure S7)
            _display(*rmon.blocks(e["monitoring"], a, e.unit, lang=lang, certified=e.get("certified")))
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
        _display(note(note_text(wb.write_drmd(output_dir), lang)))
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
    _display(note(note_text(wb.write_drmd(output_dir), lang)))


def _unit(entry) -> str | None:
    """The certified value's unit (the unit of the budget's and the monitoring's columns)."""
    cv = entry.get("certified")
    return None if cv is None else cv.unit_of_measure


_TRANSFER = re.compile(
    r"^(u_bb|u_lts|u_sts)( \(.*?\))?: transferred as u_rel × value = (\S+) × (\S+)(.*)$", re.S
)
_TRANSFER_BASE = {"u_bb": "homogeneity-mean", "u_lts": "long-term-mean", "u_sts": "transport-mean"}


def _transfer_note(text: str, analyte: str, budget, lang: str = "en") -> str:
    """A relative transfer note (rmwork.certificate.entry) in the report's spelling: the study's
    relative u in percent of its study mean, as Tables H1/S2 print it, times the value to the
    place of u_char (the numbers of results.json are untouched)."""
    from . import numbers as N

    m = _TRANSFER.match(str(text))
    if m is None:
        return note_text(text, lang)
    sym, what, u_rel, value, tail = m.groups()
    try:  # full precision from the budget (the note carries 4 digits: no double rounding)
        u_rel = budget.component(sym).u_rel
    except (AttributeError, KeyError):
        u_rel = float(u_rel)
    rel = N.relative(u_rel, q=N.qname(analyte, f"{sym}_rel", _TRANSFER_BASE[sym]))
    u_char = getattr(budget, "u_char", None) if budget is not None else None
    x = N.value(float(value), u_char)
    if lang == "zh":  # the zh template of rmwork.report.phrases, with the report's spelling
        units = re.match(r"^ \(study in (.+), certified value in (.+)\)$", tail)
        tail = f"（研究以 {units[1]} 计，标准值以 {units[2]} 计）" if units else note_text(tail, lang)
        return N.sentence(
            f"{sym}{what or ''}：按相对不确定度传递，u_rel × 标准值 = {N.tag(rel, ' %')} × {x}{tail}"
        )
    return N.sentence(f"{sym}{what or ''}: transferred as u_rel × value = {N.tag(rel, ' %')} × {x}{tail}")


def _add_monitoring_points(fig, wb, analyte: str, frame):
    """Post-certification monitoring results on the trend figure (time from the study's first date)."""
    from . import monitoring as rmon

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
    if "u" in g.columns:
        ax.errorbar(
            t,
            g["value"],
            yerr=2 * g["u"],
            fmt="s",
            color="#aa3377",
            ms=5,
            capsize=3,
            label=rmon.points_label(True, wb.language),
        )
    else:  # check: certified-interval, the results carry no u
        ax.plot(t, g["value"], "s", color="#aa3377", ms=5, label=rmon.points_label(False, wb.language))
    ax.legend(fontsize=7, loc="best")
