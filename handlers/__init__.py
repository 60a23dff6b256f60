"""Front ends and outside systems, one package each: slack/ today."""
