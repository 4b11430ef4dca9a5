"""Tooling for IMG_Story's tests and benchmarks (a served app, toy data); never imported by the
package or the app, and not installed with it.
"""
