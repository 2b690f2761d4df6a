"""Read a book notebook for the HTML edition: stored outputs, nothing fetched.

MyST-NB renders a notebook from its stored outputs.  Two kinds of output would
need the network in a reader's browser, so this reader (plugged in through
``nb_custom_formats`` in ``conf.py``) rewrites them before rendering:

* **Widgets.**  An ipywidgets view is only a model id; drawing it takes the
  widget manager from a CDN and the notebook's stored widget state.  Instead,
  :func:`snapshot_widget` turns the stored state into plain HTML: boxes, HTML
  labels, the explorer's picture (an ``ImageModel`` PNG), sliders, drop-downs,
  check boxes and progress bars, frozen at the values they had when the
  notebook was saved.  Explorers get a note that their controls need a running
  kernel.  The widget state itself is then dropped from the page.
* **Remote style sheets.**  Matplotlib's JavaScript animations link Font
  Awesome 4 from a CDN for their button icons; the link is removed (the theme
  ships Font Awesome, which draws the same icons offline).
"""

from __future__ import annotations

import html
import re

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

#: Models whose value a reader could change: their snapshot says it is frozen.
CONTROLS = {"IntSliderModel", "FloatSliderModel", "FloatLogSliderModel", "IntRangeSliderModel",
            "FloatRangeSliderModel", "SelectionSliderModel", "DropdownModel", "RadioButtonsModel",
            "ToggleButtonsModel", "SelectModel", "CheckboxModel", "ToggleButtonModel",
            "ButtonModel", "IntTextModel", "FloatTextModel", "BoundedIntTextModel",
            "BoundedFloatTextModel", "TextModel", "TextareaModel", "PlayModel"}

NOTE = ('<p class="cnnedu-widget-note"><em>A still of an interactive widget, as the notebook '
        "was saved. Its controls work only in a running notebook: open the chapter in "
        "JupyterLab or Voilà.</em></p>")

MISSING = ('<p class="cnnedu-widget-note"><em>An interactive widget: run the notebook in '
           "JupyterLab to see it.</em></p>")

REMOTE_STYLESHEET = re.compile(r"""<link\b[^>]*\bhref\s*=\s*["']https?://[^>]*>\s*""",
                               re.IGNORECASE)


def read_notebook(text: str) -> nbformat.NotebookNode:
    """Parse a notebook and make its outputs render offline (see the module docstring)."""
    nb = nbformat.reads(text, as_version=4)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                view = data.pop(WIDGET_VIEW)
                data["text/html"] = snapshot_widget(view.get("model_id", ""), state)
            if "text/html" in data:
                data["text/html"] = REMOTE_STYLESHEET.sub("", _joined(data["text/html"]))
    nb.metadata.pop("widgets", None)
    return nb


def snapshot_widget(model_id: str, state: dict) -> str:
    """HTML for the widget ``model_id`` drawn from the stored widget ``state``.

    >>> state = {
    ...     "b": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_h", "IPY_MODEL_s"]}},
    ...     "h": {"model_name": "HTMLModel", "state": {"value": "<b>3x3</b>"}},
    ...     "s": {"model_name": "IntSliderModel", "state": {"description": "stride S", "value": 2}}}
    >>> page = snapshot_widget("b", state)
    >>> "<b>3x3</b>" in page, "stride S" in page, NOTE in page
    (True, True, True)
    >>> NOTE in snapshot_widget("h", state)   # no control, no note
    False
    >>> snapshot_widget("gone", state) == MISSING
    True
    """
    if model_id not in state:
        return MISSING
    body = _render(model_id, state)
    note = NOTE if _has_controls(model_id, state) else ""
    return f'<div class="cnnedu-widget-snapshot">{body}{note}</div>'


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def _children(model: dict) -> list[str]:
    return [c.removeprefix("IPY_MODEL_") for c in model["state"].get("children", [])]


def _has_controls(model_id: str, state: dict) -> bool:
    model = state.get(model_id)
    if model is None:
        return False
    return model["model_name"] in CONTROLS or any(
        _has_controls(child, state) for child in _children(model))


def _label(s: dict) -> str:
    text = s.get("description", "")
    return f"<span>{text if s.get('description_allow_html') else html.escape(text)}</span> " \
        if text else ""


def _render(model_id: str, state: dict) -> str:
    model = state.get(model_id)
    if model is None:
        return ""
    name, s = model["model_name"], model["state"]
    if name.endswith("BoxModel"):
        flow = "column" if name == "VBoxModel" else "row wrap;align-items:center"
        inner = "".join(_render(child, state) for child in _children(model))
        return f'<div style="display:flex;flex-flow:{flow};gap:0.5em 1em">{inner}</div>'
    if name in ("HTMLModel", "HTMLMathModel"):
        return f"<div>{_label(s)}{s.get('value', '')}</div>"
    if name == "LabelModel":
        return f"<div>{html.escape(s.get('value', ''))}</div>"
    if name == "ImageModel":
        for buffer in model.get("buffers", []):
            if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64":
                fmt = html.escape(s.get("format", "png"))
                return f'<img alt="widget picture" src="data:image/{fmt};base64,{buffer["data"]}">'
        return ""
    if name in ("IntSliderModel", "FloatSliderModel"):
        value = s.get("value", 0)
        return (f'<label>{_label(s)}<input type="range" disabled min="{s.get("min", 0)}" '
                f'max="{s.get("max", 100)}" step="{s.get("step", 1)}" value="{value}"> '
                f"{html.escape(str(value))}</label>")
    if name in ("FloatProgressModel", "IntProgressModel"):
        return (f'<progress max="{s.get("max", 100)}" value="{s.get("value", 0)}">'
                f"{s.get('value', 0)}</progress>")
    if name in ("DropdownModel", "RadioButtonsModel", "ToggleButtonsModel", "SelectModel"):
        labels, index = s.get("_options_labels", []), s.get("index")
        chosen = labels[index] if index is not None and 0 <= index < len(labels) else ""
        return (f"<label>{_label(s)}<select disabled><option>{html.escape(chosen)}</option>"
                "</select></label>")
    if name == "CheckboxModel":
        checked = " checked" if s.get("value") else ""
        return (f'<label><input type="checkbox" disabled{checked}> '
                f"{html.escape(s.get('description', ''))}</label>")
    if name in CONTROLS:
        return f"<div>{_label(s)}{html.escape(str(s.get('value', '')))}</div>"
    return ""
