"""The analysis core: tracing, costs, shapes and memory.  Never prints, never imports a front end."""
