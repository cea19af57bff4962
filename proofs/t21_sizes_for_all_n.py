"""T21 — every output-size formula equals the brute-force window count, for all sizes.

For fixed hyper-parameters both the closed form (``symconv.sizes.shapes.resolve``) and the count of
windows taken from the definition (``symconv.sizes.bruteforce``) are quasi-affine in the input size
``n``: sums of ``floor((a n + b) / c)``.  If their difference has period ``L`` (``s`` for
convolutions, pooling and SAME padding, 1 for transposed convolutions, ``q`` for a resize by
``p/q``), agreement on ``2L`` consecutive sizes past the validity threshold proves agreement
for every ``n``; below the threshold both sides must reject.  The proof object of each layer
is :class:`symconv.sizes.proof.SizeProof`.  The parameter-general identities (round trip,
SAME output, ambiguity set, periods) are proven algebraically by SymPy.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from symconv.errors import InvalidSpecError
from symconv.sizes.proof import prove_identities, prove_output_size
from symconv.spec import AvgPool, Conv, ConvTranspose, MaxPool, MaxUnpool, PixelShuffle, Resize
from symconv.theory.theorem import Check, Theorem


def _specs(size: str) -> list[Any]:
    big = size == "full"
    ks = range(1, 6 if big else 5)
    ss = range(1, 5 if big else 4)
    out: list[Any] = []

    def add(cls: Any, **kwargs: Any) -> None:
        try:
            out.append(cls(**kwargs))
        except InvalidSpecError:
            pass

    for k in ks:
        for s in ss:
            for d in (1, 2):
                for p in range(0, 3):
                    add(Conv, kernel=k, stride=s, padding=p, dilation=d)
                    for op in range(max(s, d)):
                        add(ConvTranspose, kernel=k, stride=s, padding=p, dilation=d,
                            output_padding=op)
                    for ceil in (False, True):
                        add(MaxPool, kernel=k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
                        add(MaxPool, kernel=k, stride=s, padding=((p, max(p - 1, 0)),),
                            ceil_mode=ceil, convention="onnx")
                add(AvgPool, kernel=k, stride=s, padding=min(d - 1, k // 2))
                for conv in ("tensorflow", "keras", "jax"):
                    # as each framework spells them: tf.nn and lax.conv_transpose read only
                    # 'SAME'/'VALID' (lax.conv_general_dilated any case), Keras any case
                    for mode in (("same", "valid") if conv == "keras" else ("SAME", "VALID")):
                        add(Conv, kernel=k, stride=s, dilation=d if s == 1 else 1,
                            padding=mode, convention=conv)
                        if conv != "tensorflow":
                            add(ConvTranspose, kernel=k, stride=s, padding=mode,
                                convention=conv)
                for mode in ("same_upper", "same_lower"):
                    add(Conv, kernel=k, stride=s, dilation=d, padding=mode, convention="onnx")
                    add(ConvTranspose, kernel=k, stride=s, dilation=d, padding=mode,
                        convention="onnx")
            add(MaxUnpool, kernel=k, stride=s)
    for sf in ("2", "3", "3/2", "2/3", "5/4"):
        out.append(Resize(scale_factor=sf))
    for r in (2, 3):
        out.append(PixelShuffle(factor=r))
    return out


@cache
def _identities() -> dict[str, Any]:
    return {ident.name: ident for ident in prove_identities()}


def _grid(size: str) -> list[dict[str, Any]]:
    layers = [{"layer": spec} for spec in _specs(size)]
    return layers + [{"identity": name} for name in _identities()]


def _check(params: dict[str, Any]) -> Check:
    if "identity" in params:
        found = _identities()[params["identity"]]
        return Check(found.proven, str(found))
    proof = prove_output_size(params["layer"], closed_form=params.get("closed_form"))
    return Check(proof.verdict, str(proof))


THEOREM = Theorem(
    id="T21",
    title="Every output-size formula equals the brute-force window count for all sizes",
    statement=r"\forall n \ge 1:\ o_{\text{closed form}}(n) = \#\{\text{windows by definition}\}"
              r" \text{ (or both reject)}",
    parameters=("layer", "convention"),
    grid=_grid,
    check=_check,
    references=("Dumoulin & Visin (2016)", "PyTorch pooling_output_shape_pad_lr",
                "ONNX operator specs", "TensorFlow GetWindowedOutputSize"),
    source=__doc__ or "",
)
