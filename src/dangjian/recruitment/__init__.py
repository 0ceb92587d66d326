"""Member development (发展党员): a file per person through the five stages and 25 steps."""
