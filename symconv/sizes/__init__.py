"""Sizes: every output-size rule of the convolution family, for every framework convention.

* :mod:`symconv.sizes.formulas`: the closed-form size and padding formulas, integer or SymPy.
* :mod:`symconv.sizes.conventions`: the framework conventions (PyTorch, ONNX, TensorFlow,
  Keras, JAX) as data: which padding spellings and rules each API has.
* :mod:`symconv.sizes.shapes`: ``resolve`` (a layer and an input size to its exact sizes and
  pads) and the public size functions re-exported by :mod:`symconv`.
* :mod:`symconv.sizes.bruteforce`: the same sizes counted window by window, from the definition.
* :mod:`symconv.sizes.proof`: the T21 argument that a formula equals the brute force for all n.
* :mod:`symconv.sizes.inverse`: the inverse problems (which padding, output_padding or input size
  gives a target size).

Nothing here imports NumPy or SymPy on an integer path.
"""
