"""Small repository scripts (docs generation, the README quick-start runner); not part of the package."""
