"""Renderers. They read result objects only and never evaluate."""
