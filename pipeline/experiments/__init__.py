"""Experiments: A/B arms of a section, declared in the module file, assigned GrowthBook-compatibly by the runtime,
read out with honest statistics, and concluded through a reviewed PR."""
