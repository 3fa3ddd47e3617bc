"""The evaluation service: turns submitted products into scores, stars and provincial
decisions (recognition of 3-4 stars, referral of 90+ points to the Ministry)."""

__version__ = "0.1.0"
