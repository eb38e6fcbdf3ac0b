"""The sidebar: pick a zoo model or write a spec (editor or form builder), set the input, pick a page."""

from __future__ import annotations

import streamlit as st

from cnnscope.app import state
from cnnscope.app.pages import TITLES
from cnnscope.errors import CnnscopeError

FORM_TYPES = ["conv", "maxpool", "avgpool", "batchnorm", "relu", "dropout", "flatten", "adaptiveavgpool", "linear"]


def render():
    st.sidebar.title("cnnscope")
    st.sidebar.radio("Page", TITLES, key="page")
    source = st.sidebar.radio("Model from", ("Zoo", "Spec"), horizontal=True, key="source")
    if source == "Zoo":
        names = state.picker_names()
        wanted = st.query_params.get("model", "lenet5")  # ?model=vgg16 links straight to a model
        name = st.sidebar.selectbox("Model", names, index=names.index(wanted) if wanted in names else names.index("lenet5"),
                                    key="zoo_model", format_func=state.picker_label,
                                    help="type to search (a name, or a group: video, detection ...): tutorial nets "
                                         "first, then torchvision's classification, segmentation, detection, video "
                                         "and optical-flow models, then timm's (timm:NAME) when installed")
        form, natural = state.natural_input(name)
        shape_text = st.sidebar.text_input(state.INPUT_LABELS[form], value=state.shape_text(natural),
                                           key=f"shape_{name}", help=state.INPUT_HELP[form])
        try:
            return state.zoo_choice(name, shape_text)
        except CnnscopeError as error:
            st.sidebar.error(str(error))
            return None
    return _spec_source()


def _spec_source():
    if "spec_text" not in st.session_state:
        st.session_state.spec_text = state.DEFAULT_SPEC
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
        if st.button("Append to the spec", key="form_add"):
            st.session_state.spec_text = append_layer(st.session_state.spec_text, kind, args)
    text = st.sidebar.text_area("Spec (YAML or JSON)", key="spec_text", height=320,
                                help="see docs/spec.md; typed text is parsed as a spec, never run as code")
    try:
        plan = state.spec_plan(text)
    except CnnscopeError as error:
        st.sidebar.error(str(error))
        return None
    shape_text = st.sidebar.text_input("Input N,C,H,W", value=",".join(map(str, (1, *plan.input))),
                                       key=f"spec_shape_{plan.input}")
    try:
        shape = state.parse_shape(shape_text)
    except CnnscopeError as error:
        st.sidebar.error(str(error))
        return None
    st.sidebar.caption(f"{plan.name}: {plan.params:,} parameters, output {'×'.join(map(str, plan.output))}")
    return state.Choice("spec", text, shape)


def append_layer(text: str, kind: str, args: dict) -> str:
    """Add one layer line to the spec's layer list (written as YAML flow mapping of literals)."""
    import yaml

    if args:
        body = ", ".join(f"{k}: {yaml.safe_dump(v, default_flow_style=True).strip().removesuffix('...').strip()}"
                         for k, v in args.items())
        line = f"  - {kind}: {{{body}}}"
    else:
        line = f"  - {kind}"
    return text.rstrip("\n") + "\n" + line + "\n"
