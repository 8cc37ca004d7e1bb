"""NLU evaluation: held-out figures, baselines, robustness (make evaluate)."""
