"""Ways out: figures (plot, term), data files (export), the inspect report."""
