"""One module per protocol family: scientific, citeulike, ml100k, own data (custom)."""
