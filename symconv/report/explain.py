"""The exact answer to the question that started symconv, each claim citing its theorem.

"In CNNs, are upsampling and transposed convolution the same thing?"  (``../seed``)

>>> print(render_answer(UPSAMPLING_ANSWER, {}).splitlines()[0])
Is upsampling the same as transposed convolution?
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["UPSAMPLING_ANSWER", "Claim", "cited_ids", "render_answer"]

Claim = tuple[str, tuple[str, ...]]

UPSAMPLING_ANSWER: tuple[str, Sequence[Claim]] = (
    "Is upsampling the same as transposed convolution?",
    (
        ("Short answer: fixed upsampling is a special transposed convolution (a fixed, "
         "depthwise kernel); a trainable transposed convolution learns its kernel instead. "
         "Where they differ, the difference is exact and small to state.", ()),
        ("A transposed convolution is the transpose of a convolution's matrix, "
         "convT(y) = C^T y, when output_padding = (n + 2p - d(k-1) - 1) mod s; with "
         "s <= output_padding < d (which PyTorch accepts) it is the transpose of no "
         "convolution with the same parameters.", ("T02",)),
        ("That is why it is also the input gradient of the convolution (backpropagation), "
         "and why 'deconvolution' is a misnomer: it is a transpose, not an inverse.",
         ("T03", "T05")),
        ("It equals a stride-1 convolution over the input with s-1 zeros inserted between "
         "samples, padded by d(k-1)-p, with the kernel rotated by 180 degrees and the channel "
         "roles swapped (the rotation is often left out).", ("T06",)),
        ("Nearest-neighbour upsampling by an integer factor s is exactly a transposed "
         "convolution with an all-ones kernel of size s, stride s, one channel per group.",
         ("T09",)),
        ("Average pooling with kernel = stride = s, transposed, is nearest upsampling "
         "divided by s per axis.", ("T10",)),
        ("Linear upsampling with align_corners=True to size s(n-1)+1 is exactly a transposed "
         "convolution with the triangle kernel 1-|t|/s (size 2s-1), stride s, padding s-1.",
         ("T11",)),
        ("Bilinear upsampling as PyTorch does it by default (half-pixel, align_corners=False) "
         "equals the FCN 'bilinear' transposed convolution (kernel 2s - s mod 2, stride s, "
         "padding ceil((s-1)/2)) everywhere except floor(s/2) border positions per side per "
         "axis, and everywhere on the edge-replicated input.", ("T12",)),
        ("Upsampling then convolving (resize-convolution) is itself one transposed "
         "convolution, whose kernel (flipped K convolved with a box of s ones) has equal "
         "polyphase sums: constant input gives constant output, so no checkerboard from "
         "uneven overlap.", ("T13",)),
        ("Max-unpooling with switches (Zeiler & Fergus) is the transpose of the max-pool "
         "selection matrix; it equals the max-pool gradient exactly when pooling windows do "
         "not overlap, and differs when they do.", ("T14",)),
        ("A sub-pixel convolution (low-resolution conv with r^D times the channels, then "
         "pixel shuffle) is a stride-r transposed convolution with a kernel of size r*k, up "
         "to a crop.", ("T15",)),
        ("Non-integer factors (e.g. 1.5) are not expressible as a transposed convolution: a "
         "stride-s transposed convolution maps n samples to s*n plus a constant.", ()),
    ),
)


def cited_ids(answer: tuple[str, Sequence[Claim]]) -> set[str]:
    """Every theorem id the answer cites."""
    return {i for _, ids in answer[1] for i in ids}


def render_answer(answer: tuple[str, Sequence[Claim]], verdicts: Mapping[str, str]) -> str:
    """The answer as text; with ``verdicts`` each citation shows what the run established."""
    title, claims = answer
    lines = [title, "=" * len(title)]
    for text, ids in claims:
        if ids:
            cites = ", ".join(f"{i}: {verdicts[i]}" if i in verdicts else i for i in ids)
            text = f"{text} [{cites}]"
        lines.append(f"- {text}")
    return "\n".join(lines)
