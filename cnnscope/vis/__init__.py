"""Pictures the tool makes (PIL images).  Imports the analysis core, never the other way round."""
