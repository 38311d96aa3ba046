"""The interest encoder: behavior and chat text fused into a customer profile, and its recommendations."""
