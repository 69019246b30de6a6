"""The pages, one module per area: try it, sign in, the workbench, users, training."""
