"""Running recorded cells again in fresh kernels."""
