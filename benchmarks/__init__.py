"""``make bench``: Trailmark's figures beside their targets and beside MLflow and Trackio."""
