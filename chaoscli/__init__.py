"""chaoscli: break a multi-zone AWS web shop in moto and measure what customers would see."""

__version__ = "0.1.0"
