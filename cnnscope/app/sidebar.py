"""The sidebar: pick a zoo model or a spec (the spec builder itself is in the main page), set the input, pick a page."""

from __future__ import annotations

import streamlit as st

from cnnscope.app import builder, input_caps, model_choice, plain_text, spec_text, zoo_picker
from cnnscope.app.pages import TITLES, in_language, shown_title
from cnnscope.errors import CnnscopeError, SpecError, close_names
from cnnscope.i18n import LANGUAGES, N_, _, from_environment

# A spec longer than this stays out of the link: browsers, proxies and servers cap URLs (some near
# 2,000 characters, most at 8 KB), and percent-encoding makes YAML's spaces and newlines three times longer.
MAX_LINK_SPEC = 2000
# the "Model from" choices: the English word is the session's value, the label is translated
SOURCES = {"Zoo": N_("Zoo"), "Spec": N_("Spec"), "File": N_("File")}
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
LANGUAGE_KEY = "lang"  # the switch's session key and the URL's query key (?lang=zh)


def render():
    st.sidebar.title("cnnscope")
    language_switch()
    _open_link()
    # the value stays the English title: switching the language keeps the page
    st.sidebar.radio(_("Page"), TITLES, key="page", format_func=in_language(shown_title))
    source = st.sidebar.radio(_("Model from"), tuple(SOURCES), horizontal=True, key="source",
                              format_func=in_language(lambda value: _(SOURCES[value])),
                              help=_("File: an .onnx or .pt2 (torch.export.save) you upload"))
    # the other source's key leaves the URL at once; this one's keys follow once the choice is valid
    _follow_in_url(**({"spec": None} if source == "Zoo" else {"model": None} if source == "Spec"
                      else {"model": None, "spec": None, "input": None}))
    if source == "File":
        return _file_source()
    if source == "Zoo":
        names = zoo_picker.picker_names()
        wanted = st.query_params.get("model", "lenet5")  # ?model=vgg16 links straight to a model
        if wanted not in names and "zoo_model" not in st.session_state:
            st.error(plain_text.plain(unknown_model(wanted, names)))  # in the main page: the sidebar is collapsed on a phone
        name = st.sidebar.selectbox(_("Model"), names, index=names.index(wanted) if wanted in names else names.index("lenet5"),
                                    key="zoo_model", format_func=in_language(zoo_picker.picker_label),
                                    help=_("type to search (a name, or a group: video, detection ...): tutorial nets "
                                           "first, then torchvision's classification, segmentation, detection, video "
                                           "and optical-flow models, then timm's (timm:NAME) when installed"))
        form, natural = input_caps.natural_input(name)
        linked = st.query_params.get("input") if st.query_params.get("model") == name else None
        shape_text = st.sidebar.text_input(_(input_caps.INPUT_LABELS[form]),
                                           value=linked or input_caps.shape_text(natural),
                                           key=f"shape_{name}", help=input_caps.input_help(form))
        try:
            choice = model_choice.zoo_choice(name, shape_text)
        except CnnscopeError as error:
            _error(error)
            return None
        _follow_in_url(model=name, input=None if choice.shapes == natural else shape_text)
        return choice
    return _spec_source()


def language_switch() -> None:
    """English / 中文 at the top of the sidebar.  ``main.frame`` has already set the language from its value
    (the widget's key is the session's ``lang``); here the URL follows it, so that a link opens in it too:
    ``?lang=zh`` while it differs from the server's own language, no ``lang`` otherwise."""
    code = st.sidebar.radio("语言 / Language", tuple(LANGUAGES), key=LANGUAGE_KEY, horizontal=True,
                            format_func=LANGUAGES.get, label_visibility="collapsed")
    # the page's own <html lang>: the browser picks Simplified Chinese glyphs for CJK text, screen readers the voice
    st.sidebar.html(f'<script>document.documentElement.lang = "{HTML_LANG.get(code, code)}";</script>',
                    unsafe_allow_javascript=True)
    _follow_in_url(**{LANGUAGE_KEY: None if code == from_environment() else code})


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
    if close:
        return _("unknown model {name} in the link; showing lenet5 instead (did you mean {close}?)").format(
            name=repr(name), close=", ".join(close))
    return _("unknown model {name} in the link; showing lenet5 instead (type in the Model box to search the "
             "zoo)").format(name=repr(name))


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


def _file_source():
    """An uploaded model file (``app.model_file``): analysed at the input it was exported with."""
    from cnnscope.app import model_file

    upload = st.sidebar.file_uploader(_("Model file (.onnx or .pt2)"), type=list(model_file.SUFFIXES),
                                      key="model_file",
                                      help=_("an ONNX file, or a .pt2 from torch.export.save; read without running "
                                             "anything from it (no pickles)"))
    if upload is None:
        st.info(_("Upload an .onnx or .pt2 model file in the sidebar to see its analysis."))
        return None
    try:
        choice = model_file.uploaded_choice(upload)
    except CnnscopeError as error:
        _error(error)
        return None
    shapes = "; ".join("×".join(map(str, s)) for s in choice.shapes)
    if model_file.is_onnx(choice):
        line = _("{name}: input {shapes} (as exported), analysed, not run (no weights for Filters & feature maps, "
                 "Explain, Train)")
    else:
        line = _("{name}: input {shapes} (as exported), with its own weights")
    st.sidebar.caption(line.format(name=plain_text.plain(choice.label), shapes=shapes))
    return choice


def _spec_source():
    """The spec builder in the main page (``builder``); here, the input box and a one-line caption."""
    if "spec_text" not in st.session_state:
        st.session_state.spec_text = spec_text.DEFAULT_SPEC
    text = st.session_state.spec_text
    try:
        plan, error = spec_text.spec_plan(text), None
    except CnnscopeError as caught:
        plan, error = None, caught
    slot = builder.render(valid=plan is not None)
    if plan is None:
        _spec_error(slot, text, error)
        return None
    natural = (1, *plan.input)
    linked = st.query_params.get("input") if st.query_params.get("spec") == text else None
    shape_text = st.sidebar.text_input(_("Input N,C,H,W"), value=linked or ",".join(map(str, natural)),
                                       key=f"spec_shape_{plan.input}")
    try:
        shape = input_caps.parse_shape(shape_text)
        if tuple(shape[1:]) != plan.input:  # another input: the spec must fit it too, with the same diagnosis
            plan = spec_text.spec_plan(text, tuple(shape))
    except SpecError as caught:
        _spec_error(slot, text, caught, tuple(shape))
        return None
    except CnnscopeError as caught:
        _error(caught)
        return None
    st.sidebar.caption(_("{name}: {params} parameters, output {output}").format(
        name=plain_text.plain(plan.name), params=f"{plan.params:,}", output="×".join(map(str, plan.output))))
    # the default spec too: a link without ?spec= opens the zoo, not the spec the sender saw
    fits = len(text) <= MAX_LINK_SPEC
    _follow_in_url(spec=text if fits else None, input=None if not fits or tuple(shape) == natural else shape_text)
    if not fits:
        st.sidebar.caption(_("The link does not carry this spec: it is longer than {limit} characters "
                             "(share the spec's text instead).").format(limit=f"{MAX_LINK_SPEC:,}"))
    return model_choice.Choice("spec", text, shape)


def _spec_error(slot, text: str, error, shape=None) -> None:
    """Under the text box in the main page (the partial table and the line, what a phone shows), and where
    it is in the sidebar."""
    line = builder.show_problem(slot, text, error, shape)
    if line is not None:
        st.sidebar.error(plain_text.plain(_("{where}: the spec has a mistake; the Spec section of the page says "
                                            "what and how to fix it").format(where=line.split(': ', 1)[0])))
