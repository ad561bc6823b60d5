"""Single- versus two-stage linear bandits (thesis chapter 4, sections 4.2, 4.3, 4.7-4.9)."""
