"""Models of the rights app."""
