"""Theory: the machinery the theorem catalogue (``proofs/``) is written with.

* :mod:`symconv.theory.theorem`: :class:`~symconv.theory.theorem.Theorem`, its steps and checks,
  the parameter grids, and :func:`~symconv.theory.theorem.run_theorem` (verdict: proved, proved
  with a stated region, or contradicted with counterexamples).  A user's own theorems import it.
* :mod:`symconv.theory.derive`: the derived layers the theorems relate (the adjoint and the
  gradients of a convolution, the direct convolution equal to a transposed one, upsampling as a
  transposed convolution).
* :mod:`symconv.theory.fixed`: index maps with fixed (non-symbolic) weights, such as the
  all-ones or triangle kernels of T09 and T11.
* :mod:`symconv.theory.runner`: select and run theorems from a proofs folder.
"""
