"""The sidebar: pick a zoo model or write a spec (editor or form builder), set the input, pick a page."""

from __future__ import annotations

import streamlit as st

from cnnscope.app import input_caps, model_choice, plain_text, spec_text, zoo_picker
from cnnscope.app.pages import TITLES
from cnnscope.errors import CnnscopeError, close_names

# A spec longer than this stays out of the link: browsers, proxies and servers cap URLs (some near
# 2,000 characters, most at 8 KB), and percent-encoding makes YAML's spaces and newlines three times longer.
MAX_LINK_SPEC = 2000

FORM_TYPES = ["conv", "maxpool", "avgpool", "batchnorm", "relu", "dropout", "flatten", "adaptiveavgpool", "linear"]


def render():
    st.sidebar.title("cnnscope")
    _open_link()
    st.sidebar.radio("Page", TITLES, key="page")
    source = st.sidebar.radio("Model from", ("Zoo", "Spec"), horizontal=True, key="source")
    # the other source's key leaves the URL at once; this one's keys follow once the choice is valid
    _follow_in_url(**{"spec" if source == "Zoo" else "model": None})
    if source == "Zoo":
        names = zoo_picker.picker_names()
        wanted = st.query_params.get("model", "lenet5")  # ?model=vgg16 links straight to a model
        if wanted not in names and "zoo_model" not in st.session_state:
            st.error(plain_text.plain(unknown_model(wanted, names)))  # in the main page: the sidebar is collapsed on a phone
        name = st.sidebar.selectbox("Model", names, index=names.index(wanted) if wanted in names else names.index("lenet5"),
                                    key="zoo_model", format_func=zoo_picker.picker_label,
                                    help="type to search (a name, or a group: video, detection ...): tutorial nets "
                                         "first, then torchvision's classification, segmentation, detection, video "
                                         "and optical-flow models, then timm's (timm:NAME) when installed")
        form, natural = input_caps.natural_input(name)
        linked = st.query_params.get("input") if st.query_params.get("model") == name else None
        shape_text = st.sidebar.text_input(input_caps.INPUT_LABELS[form], value=linked or input_caps.shape_text(natural),
                                           key=f"shape_{name}", help=input_caps.INPUT_HELP[form])
        try:
            choice = model_choice.zoo_choice(name, shape_text)
        except CnnscopeError as error:
            _error(error)
            return None
        _follow_in_url(model=name, input=None if choice.shapes == natural else shape_text)
        return choice
    return _spec_source()


def _open_link() -> None:
    """``?spec=...`` opens the Spec source with that text, once a session: later runs keep what the visitor
    types.  The text is only ever parsed as a spec (``spec_text.spec_plan``), never run."""
    if st.session_state.get("link_opened"):
        return
    st.session_state.link_opened = True
    spec = st.query_params.get("spec")
    if spec is not None:
        st.session_state.source = "Spec"
        st.session_state.spec_text = spec


def unknown_model(name: str, names) -> str:
    """``unknown model 'nope' in the link; showing lenet5 (did you mean ...?)``"""
    close = close_names(name, names)
    hint = f" (did you mean {', '.join(close)}?)" if close else " (type in the Model box to search the zoo)"
    return f"unknown model {name!r} in the link; showing lenet5 instead{hint}"


def _follow_in_url(**wanted) -> None:
    """The URL names the zoo model or the spec and, when it is not the natural one, the input: a shared link
    opens the same.  None drops a key."""
    for key, value in wanted.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != value:
            st.query_params[key] = value


def _error(error) -> None:
    """In the sidebar beside the box, and in the main page (a phone shows the sidebar collapsed)."""
    st.sidebar.error(plain_text.plain(error))
    st.error(plain_text.plain(error))


def _spec_source():
    if "spec_text" not in st.session_state:
        st.session_state.spec_text = spec_text.DEFAULT_SPEC
    with st.sidebar.expander("Add a layer", expanded=False):
        kind = st.selectbox("Layer", FORM_TYPES, key="form_kind")
        args = {}
        if kind in ("conv", "linear"):
            args["out"] = st.number_input("out", 1, 4096, 16, key="form_out")
        if kind in ("conv", "maxpool", "avgpool"):
            args["kernel"] = st.number_input("kernel", 1, 15, 3 if kind == "conv" else 2, key="form_kernel")
        if kind == "conv":
            args["stride"] = st.number_input("stride", 1, 8, 1, key="form_stride")
            args["padding"] = st.number_input("padding", 0, 8, 1, key="form_padding")
        if kind == "adaptiveavgpool":
            args["size"] = st.number_input("size", 1, 64, 1, key="form_size")
        if kind == "dropout":
            args["p"] = st.slider("p", 0.0, 0.9, 0.5, key="form_p")
        places = insert_places(st.session_state.spec_text)
        default = default_place(places, kind)
        where = st.selectbox("Insert", range(len(places)), index=default, key=f"form_where_{kind}_{len(places)}",
                             format_func=lambda k: places[k][0],
                             help="where the layer goes among the spec's top-level layers; feature layers "
                                  "default to before the classifier head (flatten, pooling to 1, linear)")
        editable = bool(_layer_items(st.session_state.spec_text)[1])
        if not editable:
            st.caption("The form edits a YAML spec with a `layers:` list.")
        st.button("Add to the spec", key="form_add", disabled=not editable, on_click=_add_layer,
                  args=(kind, args, places[where][1]))  # before the rerun: the Insert list shows the new spec
    text = st.sidebar.text_area("Spec (YAML, JSON or one line)", key="spec_text", height=320,
                                help="see docs/spec.md; YAML, JSON or the one-line form "
                                     "(in1x28x28,c5-6p2,tanh,ap2,flat,fc10); typed text is parsed as a spec, "
                                     "never run as code")
    try:
        plan = spec_text.spec_plan(text)
    except CnnscopeError as error:
        _error(error)
        return None
    natural = (1, *plan.input)
    linked = st.query_params.get("input") if st.query_params.get("spec") == text else None
    shape_text = st.sidebar.text_input("Input N,C,H,W", value=linked or ",".join(map(str, natural)),
                                       key=f"spec_shape_{plan.input}")
    try:
        shape = input_caps.parse_shape(shape_text)
    except CnnscopeError as error:
        _error(error)
        return None
    st.sidebar.caption(f"{plain_text.plain(plan.name)}: {plan.params:,} parameters, output {'×'.join(map(str, plan.output))}")
    # the default spec too: a link without ?spec= opens the zoo, not the spec the sender saw
    fits = len(text) <= MAX_LINK_SPEC
    _follow_in_url(spec=text if fits else None, input=None if not fits or tuple(shape) == natural else shape_text)
    if not fits:
        st.sidebar.caption(f"The link does not carry this spec: it is longer than {MAX_LINK_SPEC:,} characters "
                           "(share the spec's text instead).")
    return model_choice.Choice("spec", text, shape)


def _add_layer(kind: str, args: dict, before: int | None) -> None:
    st.session_state.spec_text = append_layer(st.session_state.spec_text, kind, args, before)


HEAD_KINDS = ("flatten", "adaptiveavgpool", "linear")  # the classifier head: feature layers go before it


def _layer_items(text: str) -> tuple[str, list[tuple[int, str]]]:
    """(indent, [(line number, first word)]) of the top-level items of the YAML spec's ``layers:`` list."""
    import re

    lines = text.split("\n")
    start = next((k for k, line in enumerate(lines) if re.match(r"^layers:\s*$", line)), None)
    if start is None:
        return "  ", []
    items, indent = [], None
    for k in range(start + 1, len(lines)):
        line = lines[k]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith((" ", "-")):
            break  # the next top-level key
        match = re.match(r"^(\s*)- *([A-Za-z_]\w*)?", line)
        if match and (indent is None or match.group(1) == indent):
            indent = match.group(1)
            items.append((k, match.group(2) or "?"))
    return indent if indent is not None else "  ", items


def insert_places(text: str) -> list[tuple[str, int | None]]:
    """The places the form can put a layer: (label, line number to insert before; None: at the end)."""
    _, items = _layer_items(text)
    return [*((f"before layer {n}: {kind}", line) for n, (line, kind) in enumerate(items)), ("at the end", None)]


def default_place(places, kind: str) -> int:
    """Feature layers before the first head layer (flatten, adaptive pooling, linear); a linear layer at the end."""
    if kind in ("linear", "flatten"):
        return len(places) - 1
    for k, (label, _) in enumerate(places):
        if label.rsplit(": ", 1)[-1] in HEAD_KINDS:
            return k
    return len(places) - 1


def append_layer(text: str, kind: str, args: dict, before: int | None = None) -> str:
    """Add one layer line to the spec's layer list (a YAML flow mapping of literals), at the end or
    before the line ``before`` (a top-level item of ``layers:``, from ``insert_places``)."""
    import yaml

    indent, _ = _layer_items(text)
    if args:
        body = ", ".join(f"{k}: {yaml.safe_dump(v, default_flow_style=True).strip().removesuffix('...').strip()}"
                         for k, v in args.items())
        line = f"{indent}- {kind}: {{{body}}}"
    else:
        line = f"{indent}- {kind}"
    if before is None:
        return text.rstrip("\n") + "\n" + line + "\n"
    lines = text.split("\n")
    return "\n".join([*lines[:before], line, *lines[before:]])
