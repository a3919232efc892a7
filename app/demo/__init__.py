"""The Harsewinkel demo town (approximate shapes, real names)."""
