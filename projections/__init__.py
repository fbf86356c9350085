"""The read side: one module per read model, with its tables, its batched SQL and its queries."""
