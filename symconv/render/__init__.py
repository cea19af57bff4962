"""Renderers: pure functions from result objects to text or JSON-able data.

A renderer never computes a result, never prints and never reads the environment; the same
object always gives the same string.  Modules here import SymPy only to print a symbolic
expression that the caller already built.

* :mod:`symconv.render.shape_text`: ``symconv shape`` (one layer, or the convention comparison).
* :mod:`symconv.render.coverage_text`: ``symconv coverage`` (overlap counts, checkerboards).
* :mod:`symconv.render.theorem_text`: ``symconv prove`` (result table, details, JSON).
* :mod:`symconv.render.explain`: ``symconv explain`` (the seed question, claim by claim).
"""
