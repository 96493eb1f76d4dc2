"""Erasure: the data-map-driven erasure engine, erasure with a grace period, and the erasure
journal that keeps erased people erased after a backup is restored.
"""
