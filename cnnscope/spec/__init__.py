"""Specs: architectures written as data (YAML/JSON or one line), built without evaluating text.

``load`` reads text into a validated ``Spec``, ``plan`` infers every shape, ``build`` makes the
``nn.Module`` (``build_from_spec``) and ``codegen`` writes standalone PyTorch source (``generate_code``).
"""
