"""Studies derived from ModelReports: comparisons, the kernel study, explanations of a row."""
