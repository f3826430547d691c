"""Rendering an executed notebook to a self-contained HTML report (nbconvert).

The template (``templates/rmwork``) extends nbconvert's ``lab`` template and empties the blocks
that load require.js, MathJax and mermaid from a CDN (PITFALLS.md), so the report opens
offline.  Code cells are hidden; cells tagged ``remove-cell`` are dropped; stderr streams
(warnings, sampler progress) are dropped from the HTML because the notebook keeps them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

TEMPLATES = Path(__file__).parent / "templates"


def _strip(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return nb


_EXPORTER = None


def _exporter():
    """The HTML exporter with the rmwork template, built once per process (its Jinja templates
    compile on first use: about 0.5 s)."""
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor
        from traitlets.config import Config

        c = Config()
        c.TagRemovePreprocessor.remove_cell_tags = ("remove-cell", "parameters", "injected-parameters")
        c.TagRemovePreprocessor.enabled = True
        exporter = HTMLExporter(config=c, extra_template_basedirs=[str(TEMPLATES)], template_name="rmwork")
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        exporter.register_preprocessor(TagRemovePreprocessor(config=c), enabled=True)
        _EXPORTER = exporter
    return _EXPORTER


def prepare() -> None:
    """Import nbconvert and compile the template now (the runner's notebook child does this
    while the kernel runs, so that rendering after the kernel is quick)."""
    _exporter().from_notebook_node(nbformat.v4.new_notebook(), resources={"metadata": {"name": "warm-up"}})


def to_html(notebook_path: Path, html_path: Path, *, title: str) -> Path:
    nb = _strip(nbformat.read(str(notebook_path), as_version=4))
    nb.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    html_path.write_text(body, encoding="utf-8")
    return html_path


def _language(nb) -> str:
    """zh when the report's first displayed block (the lot header) is in Chinese."""
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else ():
            text = out.get("data", {}).get("text/html", "")
            if text:
                return "zh" if "标准物质" in text else "en"
    return "en"


def to_docx(notebook_path: Path, folder: Path, *, title: str) -> list[Path]:
    """report.docx and (when the report has a certificate page) certificate.docx in ``folder``."""
    from . import docx

    lang = _language(nbformat.read(str(notebook_path), as_version=4))
    out = [docx.report_docx(notebook_path, folder / "report.docx", title=title, lang=lang)]
    cert = docx.certificate_docx(notebook_path, folder / "certificate.docx", title=title, lang=lang)
    return out + ([cert] if cert is not None else [])
